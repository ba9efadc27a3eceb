package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/IBM/sarama"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/filestore"
	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/services/totals/internal/api"
	"github.com/distsum/distsum/services/totals/internal/consumer"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// StateKind names the totals state document in its file header.
const StateKind = "totals-state"

// App is the running totals service.
type App struct {
	cfg      Config
	log      *slog.Logger
	ledger   *ledger.Ledger
	consumer *consumer.Consumer
	http     *http.Server
}

// ProvideRegistry returns the metrics registry.
func ProvideRegistry() *prometheus.Registry { return metrics.NewRegistry() }

// ProvideStateFile names the state file.
func ProvideStateFile(cfg Config) filestore.File {
	return filestore.File{Path: filepath.Join(cfg.DataDir, "state"), Kind: StateKind}
}

// ProvideLedger loads the state file. A missing file is a first start; a
// corrupt or unreadable one is an error that stops the service.
func ProvideLedger(cfg Config, state filestore.File, log *slog.Logger) (*ledger.Ledger, error) {
	l := ledger.New(cfg.Topic, !cfg.DisableDedupe)
	if cfg.DisableDedupe {
		log.Warn("DEDUPLICATION IS OFF: duplicates will be counted (test-only setting)")
	}
	body, found, err := state.Load()
	if err != nil {
		return nil, fmt.Errorf("refusing to start: %w (restore it from a backup or move it away to rebuild the total from Kafka)", err)
	}
	if !found {
		log.Info("no state file: first start, total 0", "file", state.Path)
		return l, nil
	}
	if err := l.Restore(body); err != nil {
		return nil, fmt.Errorf("refusing to start: state file %s: %w", state.Path, err)
	}
	v := l.View()
	log.Info("state loaded", "file", state.Path, "total", v.Total.String(), "producers", len(v.Producers), "offsets", v.Offsets)
	return l, nil
}

// ProvideConsumer builds the consumer; it joins the group when it runs.
func ProvideConsumer(cfg Config, l *ledger.Ledger, state filestore.File, reg *prometheus.Registry, log *slog.Logger) *consumer.Consumer {
	newGroup := func() (sarama.ConsumerGroup, error) {
		return sarama.NewConsumerGroup(cfg.Brokers, cfg.GroupID, kafka.ConsumerConfig("totals"))
	}
	m := consumer.NewMetrics(reg, func() float64 { return float64(l.View().Stats.Gaps) }, func() float64 { return float64(l.View().Held) })
	dl := consumer.NewDeadLetter(filepath.Join(cfg.DataDir, "deadletter.jsonl"))
	return consumer.New(newGroup, cfg.Topic, l, state, dl, cfg.FlushInterval, log.With("component", "consumer"), m)
}

// ProvideHTTP builds the REST API with metrics and health endpoints.
func ProvideHTTP(ctx context.Context, cfg Config, l *ledger.Ledger, c *consumer.Consumer, reg *prometheus.Registry) *http.Server {
	checker := health.New(2 * time.Second)
	checker.Add("kafka", health.Poll(ctx, 2*time.Second, func(ctx context.Context) error { return kafka.Ping(ctx, cfg.Brokers) }).Check)
	checker.Add("state", c.Healthy)
	r := mux.NewRouter()
	r.Use(metrics.NewHTTPMetrics(reg).Middleware)
	r.Handle("/metrics", metrics.Handler(reg)).Methods(http.MethodGet)
	r.HandleFunc("/healthz", health.Live).Methods(http.MethodGet)
	r.HandleFunc("/readyz", checker.ReadyHandler).Methods(http.MethodGet)
	api.Routes(r, l)
	return &http.Server{Addr: cfg.HTTPAddr, Handler: r, ReadHeaderTimeout: 5 * time.Second}
}

// NewApp assembles the application.
func NewApp(cfg Config, log *slog.Logger, l *ledger.Ledger, c *consumer.Consumer, srv *http.Server) *App {
	return &App{cfg: cfg, log: log, ledger: l, consumer: c, http: srv}
}

// Run serves until ctx ends, then stops consuming, saves the state and stops
// the HTTP server.
func (a *App) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		if err := a.http.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	consumeCtx, stopConsuming := context.WithCancel(context.Background())
	consumed := make(chan error, 1)
	go func() {
		// Create the topic if the calculator has not yet, so the group can join.
		if err := kafka.EnsureTopic(consumeCtx, a.cfg.Brokers, a.cfg.Topic, int32(a.cfg.Partitions), 1); err != nil && consumeCtx.Err() == nil {
			a.log.Error("cannot create the topic", "topic", a.cfg.Topic, "err", err)
		}
		consumed <- a.consumer.Run(consumeCtx)
	}()
	a.log.Info("totals started", "http", lis.Addr().String(), "brokers", a.cfg.Brokers, "topic", a.cfg.Topic, "group", a.cfg.GroupID)
	select {
	case <-ctx.Done():
	case err = <-errc:
		a.log.Error("http server failed", "err", err)
	case err = <-consumed:
		a.log.Error("consumer stopped", "err", err)
		consumed = nil // already returned
	}
	a.log.Info("shutting down")
	stopConsuming()
	if consumed != nil {
		select {
		case <-consumed:
		case <-time.After(a.cfg.ShutdownTimeout):
			a.log.Warn("consumer did not stop in time")
		}
	}
	a.consumer.Flush()
	shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.http.Shutdown(shCtx) //nolint:errcheck // closing anyway
	a.log.Info("totals stopped", "total", a.ledger.View().Total.String())
	return err
}
