package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/libs/outbox"
	"github.com/distsum/distsum/libs/service"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/calculator/internal/relay"
	"github.com/distsum/distsum/services/calculator/internal/server"
)

// App is the running calculator: gRPC API, outbox, relay and ops HTTP.
type App struct {
	cfg     Config
	log     *slog.Logger
	store   *outbox.Store
	relay   *relay.Relay
	grpc    *GRPC
	ops     *OpsServer
	checker *health.Checker
}

// GRPC is the gRPC server with its health service.
type GRPC struct {
	Server *grpc.Server
	Health *grpchealth.Server
}

// OpsServer serves /metrics, /healthz and /readyz.
type OpsServer struct{ *http.Server }

// ProvideRegistry returns the metrics registry.
func ProvideRegistry() *prometheus.Registry { return metrics.NewRegistry() }

// ProvideOutbox opens the outbox and exposes its metrics.
func ProvideOutbox(cfg Config, reg *prometheus.Registry, log *slog.Logger) (*outbox.Store, func(), error) {
	s, err := outbox.Open(filepath.Join(cfg.DataDir, "outbox.db"), outbox.Options{
		ProducerID: cfg.ProducerID, Metrics: outbox.NewCommitMetrics(reg), Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	outbox.RegisterBacklogMetrics(reg, s)
	return s, func() {
		if err := s.Close(); err != nil {
			log.Error("closing the outbox", "err", err)
		}
	}, nil
}

// ProvideRelay builds the outbox-to-Kafka relay.
func ProvideRelay(cfg Config, store *outbox.Store, reg *prometheus.Registry, log *slog.Logger) *relay.Relay {
	newPub := relay.KafkaPublisherFactory(cfg.Brokers, cfg.Topic, "calculator-"+store.ProducerID())
	return relay.New(store, newPub, relay.Options{BatchSize: cfg.RelayBatch}, log.With("component", "relay"), relay.NewMetrics(reg))
}

// ProvideGRPC builds the gRPC server: CalculatorService, health, reflection
// and the grpc_server_* metrics.
func ProvideGRPC(store *outbox.Store, reg *prometheus.Registry, log *slog.Logger) *GRPC {
	m := metrics.NewGRPCServerMetrics(reg)
	s := grpc.NewServer(
		grpc.ChainUnaryInterceptor(m.UnaryServerInterceptor()),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	calculatorpb.RegisterCalculatorServiceServer(s, server.New(store, log))
	h := grpchealth.NewServer()
	healthpb.RegisterHealthServer(s, h)
	reflection.Register(s)
	m.InitializeMetrics(s)
	return &GRPC{Server: s, Health: h}
}

// ProvideChecker returns the readiness checks: the outbox answers and Kafka
// is reachable (polled in the background).
func ProvideChecker(ctx context.Context, cfg Config, store *outbox.Store) *health.Checker {
	c := health.New(2 * time.Second)
	c.Add("outbox", store.Ping)
	c.Add("kafka", health.Poll(ctx, 2*time.Second, func(ctx context.Context) error { return kafka.Ping(ctx, cfg.Brokers) }).Check)
	return c
}

// ProvideOpsServer builds the HTTP server for metrics and health.
func ProvideOpsServer(cfg Config, reg *prometheus.Registry, checker *health.Checker) *OpsServer {
	r := mux.NewRouter()
	r.Use(metrics.NewHTTPMetrics(reg).Middleware)
	r.Handle("/metrics", metrics.Handler(reg)).Methods(http.MethodGet)
	r.HandleFunc("/healthz", health.Live).Methods(http.MethodGet)
	r.HandleFunc("/readyz", checker.ReadyHandler).Methods(http.MethodGet)
	return &OpsServer{&http.Server{Addr: cfg.HTTPAddr, Handler: r, ReadHeaderTimeout: 5 * time.Second}}
}

// NewApp assembles the application.
func NewApp(cfg Config, log *slog.Logger, store *outbox.Store, r *relay.Relay, g *GRPC, ops *OpsServer, checker *health.Checker) *App {
	return &App{cfg: cfg, log: log, store: store, relay: r, grpc: g, ops: ops, checker: checker}
}

// Run serves until ctx ends, then shuts down in order: stop taking calls and
// let in-flight Adds finish, let the relay finish its batch, then return
// (the outbox is closed by the injector's cleanup).
func (a *App) Run(ctx context.Context) error {
	grpcLis, err := net.Listen("tcp", a.cfg.GRPCAddr)
	if err != nil {
		return err
	}
	httpLis, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- a.grpc.Server.Serve(grpcLis) }()
	go func() {
		if err := a.ops.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()

	relayCtx, stopRelay := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		// The topic is created before the first publish; until Kafka answers,
		// Adds are still accepted into the outbox.
		if err := kafka.EnsureTopic(relayCtx, a.cfg.Brokers, a.cfg.Topic, int32(a.cfg.Partitions), 1); err != nil {
			if relayCtx.Err() == nil {
				a.log.Error("cannot create the topic", "topic", a.cfg.Topic, "err", err)
			}
		}
		a.relay.Run(relayCtx)
	}()
	go func() { defer bg.Done(); a.prune(relayCtx) }()

	a.grpc.Health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	a.grpc.Health.SetServingStatus("CalculatorService", healthpb.HealthCheckResponse_SERVING)
	a.log.Info("calculator started", "grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String(),
		"producer_id", a.store.ProducerID(), "brokers", a.cfg.Brokers, "topic", a.cfg.Topic)

	select {
	case <-ctx.Done():
	case err = <-errc:
		a.log.Error("server failed", "err", err)
	}
	a.log.Info("shutting down")
	a.grpc.Health.Shutdown()
	stopped := make(chan struct{})
	go func() { a.grpc.Server.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(a.cfg.ShutdownTimeout):
		a.log.Warn("grace period over; closing remaining calls")
		a.grpc.Server.Stop()
	}
	stopRelay()
	bg.Wait()
	shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.ops.Shutdown(shCtx) //nolint:errcheck // closing anyway
	a.log.Info("calculator stopped")
	return err
}

// prune deletes published events past retention and expired idempotency
// keys, so the outbox stays bounded.
func (a *App) prune(ctx context.Context) {
	service.Every(ctx, time.Minute, func() {
		now := time.Now()
		ev, keys, err := a.store.Prune(ctx, now.Add(-a.cfg.Retention), now.Add(-a.cfg.IdempotencyTTL))
		if err != nil {
			a.log.Warn("outbox prune failed", "err", err)
		} else if ev+keys > 0 {
			a.log.Debug("outbox pruned", "events", ev, "keys", keys)
		}
	})
}
