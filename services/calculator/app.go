package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/lifecycle"
	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/libs/service"
	"github.com/distsum/distsum/libs/tracing"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/calculator/internal/identity"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
	"github.com/distsum/distsum/services/calculator/internal/outbox/pgoutbox"
	"github.com/distsum/distsum/services/calculator/internal/relay"
	"github.com/distsum/distsum/services/calculator/internal/server"
)

// App is the running calculator: gRPC API, outbox, relay and ops HTTP.
type App struct {
	cfg     Config
	log     *slog.Logger
	store   outbox.Backend
	relay   *relay.Relay
	adopt   Adoption
	grpc    *GRPC
	ops     *http.Server
	tls     *service.TLS // nil: plaintext
	checker *health.Checker
	topic   *kafka.TopicMetrics
}

// GRPC is the gRPC server with its health service.
type GRPC struct {
	Server *grpc.Server
	Health *grpchealth.Server
	Conns  *service.ConnLimit // bounds the listener's connections
}

// ProvideOutbox opens the configured outbox and exposes its metrics.
func ProvideOutbox(ctx context.Context, cfg Config, reg prometheus.Registerer, log *slog.Logger) (outbox.Backend, func(), error) {
	var s outbox.Backend
	var err error
	switch cfg.Outbox {
	case OutboxPostgres:
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err = pgoutbox.Open(octx, cfg.PostgresURL, pgoutbox.Options{
			ProducerID: cfg.ProducerID, Metrics: outbox.NewCommitMetrics(reg), Registerer: reg, Logger: log,
		})
	default:
		s, err = outbox.Open(filepath.Join(cfg.DataDir, "outbox.db"), outbox.Options{
			ProducerID: cfg.ProducerID, Metrics: outbox.NewCommitMetrics(reg), Logger: log,
		})
	}
	if err != nil {
		return nil, nil, err
	}
	var lease *identity.Lease
	if sq, ok := s.(*outbox.Store); ok && identityCheck {
		// Before any Add: sequences continue after the log's, and no other
		// live calculator holds the id (pgoutbox does both in PostgreSQL).
		lease, err = identity.Check(ctx, sq, identity.Options{
			Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.Topic, ProducerID: sq.ProducerID(), Instance: sq.Instance(),
			Configured: cfg.ProducerID != "", Lookback: cfg.RelayBatch, Log: log,
			EnsureTopic: func(ctx context.Context) error { _, err := cfg.Kafka.EnsureTopic(ctx, log); return err },
		})
		if err != nil {
			s.Close()
			return nil, nil, err
		}
	}
	outbox.RegisterBacklogMetrics(reg, s)
	return s, func() {
		if err := s.Close(); err != nil {
			log.Error("closing the outbox", "err", err)
		}
		lease.Release()
	}, nil
}

// identityCheck is off only in a test build (tag distsum_no_identity_check),
// the negative control of the check: never a setting of the service.
var identityCheck = true

// ProvideRelay builds the outbox-to-Kafka relay.
func ProvideRelay(cfg Config, store outbox.Backend, m *relay.Metrics, log *slog.Logger) *relay.Relay {
	newPub := relay.KafkaPublisherFactory(cfg.Kafka.Brokers, cfg.Kafka.Topic, "calculator-"+store.ProducerID())
	return relay.New(store, newPub, relay.Options{BatchSize: cfg.RelayBatch}, log.With("component", "relay"), m)
}

// Adoption runs until ctx ends, publishing orphaned producers' backlogs.
type Adoption func(ctx context.Context)

// ProvideAdoption is, for the shared PostgreSQL outbox, the loop that
// publishes dead instances' stranded events: a relay bound to the orphaned
// producer id drains its backlog (nil for SQLite, whose outbox only its own
// process can read).
func ProvideAdoption(cfg Config, store outbox.Backend, m *relay.Metrics, log *slog.Logger) Adoption {
	pg, ok := store.(*pgoutbox.Store)
	if !ok {
		return nil
	}
	drain := func(ctx context.Context, o *pgoutbox.Orphan) bool {
		newPub := relay.KafkaPublisherFactory(cfg.Kafka.Brokers, cfg.Kafka.Topic, "calculator-"+o.ProducerID())
		return relay.New(o, newPub, relay.Options{BatchSize: cfg.RelayBatch},
			log.With("component", "relay", "adopted_producer", o.ProducerID()), m).Drain(ctx)
	}
	return func(ctx context.Context) { pg.RunAdoption(ctx, cfg.AdoptInterval, drain) }
}

// ProvideCalculatorService is the Add implementation on the outbox.
func ProvideCalculatorService(store outbox.Backend, log *slog.Logger) calculatorpb.CalculatorServiceServer {
	return server.New(store, log)
}

// ProvideGRPC builds the gRPC server: CalculatorService, health, reflection,
// the grpc_server_* metrics, and panic recovery (a panicking call gets
// INTERNAL; the process and the other calls go on). With tl it serves TLS
// and, with a client CA, requires client certificates (it is the public API).
func ProvideGRPC(cfg Config, svc calculatorpb.CalculatorServiceServer, reg *prometheus.Registry, log *slog.Logger, tl *service.TLS) *GRPC {
	m := metrics.NewGRPCServerMetrics(reg)
	panics := promauto.With(reg).NewCounter(prometheus.CounterOpts{
		Name: "grpc_server_panics_recovered_total", Help: "gRPC calls whose handler panicked; each was answered INTERNAL.",
	})
	recovered := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		panics.Inc()
		log.Error("panic in a gRPC handler", "panic", p, "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})
	lim := cfg.GRPC
	opts := []grpc.ServerOption{
		// Metrics outside recovery, so a recovered panic is counted as INTERNAL.
		grpc.ChainUnaryInterceptor(m.UnaryServerInterceptor(), recovery.UnaryServerInterceptor(recovered),
			deadline(lim.AddTimeout, calculatorpb.CalculatorService_Add_FullMethodName)),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: lim.MaxConnIdle}),
		grpc.MaxRecvMsgSize(lim.MaxRecvBytes),
		grpc.MaxConcurrentStreams(uint32(lim.MaxStreams)),
	}
	if tl != nil {
		opts = append(opts, grpc.Creds(tl.GRPCCredentials()))
	}
	if tracing.Enabled() {
		opts = append(opts, tracedAdds())
	}
	s := grpc.NewServer(opts...)
	calculatorpb.RegisterCalculatorServiceServer(s, svc)
	h := grpchealth.NewServer()
	healthpb.RegisterHealthServer(s, h)
	if lim.Reflection {
		reflection.Register(s)
	}
	m.InitializeMetrics(s)
	return &GRPC{Server: s, Health: h, Conns: service.NewConnLimit(lim.MaxConns, reg, "grpc")}
}

// tracedAdds makes a server span of every CalculatorService call (its
// parent is the client's traceparent, if any); health checks and reflection
// are not traced.
func tracedAdds() grpc.ServerOption {
	return grpc.StatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithFilter(filters.ServiceName(calculatorpb.CalculatorService_ServiceDesc.ServiceName))))
}

// deadline bounds method's calls to d on the server, whatever deadline the
// client sent (or none): an Add stuck behind a slow outbox ends (as
// UNAVAILABLE, retry with the same request_id) instead of holding its
// stream and memory for as long as the client waits.
func deadline(d time.Duration, method string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if info.FullMethod != method {
			return next(ctx, req)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return next(ctx, req)
	}
}

// ProvideChecks: the calculator is ready while it can take Adds, that is
// while its outbox can commit (Ping: a failed commit, on a full disk, makes
// it not ready until a commit succeeds). Kafka (polled in the background) is reported,
// not gating: while the broker is away Adds still become durable in the
// outbox, so a Kafka outage must not pull every calculator out of its
// Service.
func ProvideChecks(ctx context.Context, cfg Config, store outbox.Backend) health.Checks {
	return health.Checks{
		Gate:   map[string]health.Check{"outbox": store.Ping},
		Report: map[string]health.Check{"kafka": cfg.Kafka.ReadyCheck(ctx)},
	}
}

// NewApp assembles the application.
func NewApp(cfg Config, log *slog.Logger, store outbox.Backend, r *relay.Relay, adopt Adoption, g *GRPC, ops *http.Server, tl *service.TLS, checker *health.Checker, topic *kafka.TopicMetrics) *App {
	return &App{cfg: cfg, log: log, store: store, relay: r, adopt: adopt, grpc: g, ops: ops, tls: tl, checker: checker, topic: topic}
}

// Run serves until ctx ends, then shuts down in order: stop taking calls and
// let in-flight Adds finish, let the relay finish its batch, stop the ops
// server (the outbox is closed by the injector's cleanup).
func (a *App) Run(ctx context.Context) error {
	grpcLis, err := net.Listen("tcp", a.cfg.GRPCAddr)
	if err != nil {
		return err
	}
	grpcLis = a.grpc.Conns.Listener(grpcLis)
	httpLis, err := net.Listen("tcp", a.cfg.Ops.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return err
	}
	// The ops listener serves the certificate but asks no client one even
	// with a client CA: Kubernetes probes and Prometheus cannot always
	// present one, and it serves no Add and no total.
	httpLis = a.tls.Listener(httpLis, false)
	g := lifecycle.New(ctx, a.log, a.cfg.Ops.ShutdownTimeout)
	g.GRPC(a.grpc.Server, grpcLis, a.grpc.Health.Shutdown)
	g.Go("relay", func(ctx context.Context) error {
		// The topic is created (or checked) before the first publish; until
		// Kafka answers, Adds are still accepted into the outbox. A topic that
		// cannot keep acknowledged events stops the calculator.
		if err := a.cfg.Kafka.SetUpTopic(ctx, a.log, a.topic); err != nil {
			return err
		}
		a.relay.Run(ctx)
		return nil
	})
	if a.adopt != nil {
		g.Go("adopt", func(ctx context.Context) error {
			a.adopt(ctx)
			return nil
		})
	}
	g.Go("prune", func(ctx context.Context) error {
		lifecycle.Every(ctx, time.Minute, func() { a.prune(ctx) })
		return nil
	})
	g.Go("grpc-health", func(ctx context.Context) error {
		a.checker.SyncGRPC(ctx, a.grpc.Health, 2*time.Second, calculatorpb.CalculatorService_ServiceDesc.ServiceName)
		return nil
	})
	g.HTTP(a.ops, httpLis)
	a.log.Info("calculator started", "grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String(),
		"tls", a.tls != nil, "mtls", a.cfg.TLS.ClientCAFile != "", "outbox", a.cfg.Outbox, "producer_id", a.store.ProducerID(), "brokers", a.cfg.Kafka.Brokers, "topic", a.cfg.Kafka.Topic)
	err = g.Run()
	a.log.Info("calculator stopped")
	return err
}

// prune deletes published events past retention and expired idempotency
// keys, so the outbox stays bounded.
func (a *App) prune(ctx context.Context) {
	now := time.Now()
	ev, keys, err := a.store.Prune(ctx, now.Add(-a.cfg.Retention), now.Add(-a.cfg.IdempotencyTTL))
	if err != nil {
		a.log.Warn("outbox prune failed", "err", err)
	} else if ev+keys > 0 {
		a.log.Debug("outbox pruned", "events", ev, "keys", keys)
	}
}
