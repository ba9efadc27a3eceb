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

	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/lifecycle"
	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/libs/retry"
	"github.com/distsum/distsum/libs/service"
	"github.com/distsum/distsum/services/totals/internal/api"
	"github.com/distsum/distsum/services/totals/internal/checkpoint"
	"github.com/distsum/distsum/services/totals/internal/consumer"
	"github.com/distsum/distsum/services/totals/internal/ledger"
	"github.com/distsum/distsum/services/totals/internal/state"
)

// App is the running totals service.
type App struct {
	cfg      Config
	replica  Replica
	state    *state.Store
	cp       *checkpoint.Publisher
	log      *slog.Logger
	ledger   *ledger.Ledger
	consumer *consumer.Consumer
	ops      *http.Server         // /metrics, /stats, /healthz, /readyz, pprof
	public   service.PublicServer // GET /total, /healthz, /readyz
	tls      *service.TLS         // nil: plaintext
	topic    *kafka.TopicMetrics
}

// ProvideLedger returns the empty ledger the state file is loaded into.
func ProvideLedger(cfg Config, log *slog.Logger) *ledger.Ledger {
	if cfg.DisableDedupe {
		log.Warn("DEDUPLICATION IS OFF: duplicates will be counted (a test build of totals)")
	}
	return ledger.New(cfg.Kafka.Topic, !cfg.DisableDedupe)
}

// ProvideState loads the state file into the ledger. A missing file is a
// first start; a corrupt or unreadable one stops the service.
func ProvideState(cfg Config, l *ledger.Ledger, log *slog.Logger) (*state.Store, error) {
	path := filepath.Join(cfg.DataDir, "state")
	if cfg.RestoreFromCheckpoint {
		// The operator's explicit action: the local state, loadable or not,
		// is moved aside and replaced by the newest checkpoint at start.
		st, _, err := state.OpenReplacing(path, l, log)
		return st, err
	}
	return state.Open(path, l, log)
}

// ProvidePublisher returns the checkpoint publisher (nil when checkpoints
// are off).
func ProvidePublisher(cfg Config, r Replica, st *state.Store, reg prometheus.Registerer, log *slog.Logger) *checkpoint.Publisher {
	if cfg.CheckpointInterval == 0 {
		return nil
	}
	return checkpoint.NewPublisher(cfg.Kafka.Brokers, cfg.CheckpointTopic, r.ID, st.LastSaved, reg, log.With("component", "checkpoint"))
}

// ProvideConsumer builds the consumer; it joins the group when it runs.
func ProvideConsumer(cfg Config, r Replica, l *ledger.Ledger, st *state.Store, reg prometheus.Registerer, log *slog.Logger) *consumer.Consumer {
	newGroup := func() (sarama.ConsumerGroup, error) {
		return sarama.NewConsumerGroup(cfg.Kafka.Brokers, r.GroupID, kafka.ConsumerConfig("totals-"+r.ID))
	}
	offsets := consumer.NewBrokerOffsets(func() (sarama.Client, error) {
		return sarama.NewClient(cfg.Kafka.Brokers, kafka.ConsumerConfig("totals-lag"))
	})
	dl := consumer.NewDeadLetter(filepath.Join(cfg.DataDir, "deadletter.jsonl"))
	return consumer.New(newGroup, cfg.Kafka.Topic, l, st, dl, cfg.FlushInterval, reg, log.With("component", "consumer")).
		WithLag(offsets, cfg.LagInterval).WithTopology(offsets).WithSaveGap(cfg.SaveGap)
}

// ProvideChecks are the readiness checks: Kafka is reachable (polled in the
// background), the state is being saved, the replica reads every
// partition of the topic, and no producer sequence collided.
func ProvideChecks(ctx context.Context, cfg Config, st *state.Store, c *consumer.Consumer) health.Checks {
	return health.Checks{Gate: map[string]health.Check{
		"kafka": cfg.Kafka.ReadyCheck(ctx), "state": st.Healthy, "partitions": c.PartitionsCheck, "log": c.LogCheck, "topic": c.TopicCheck,
		"collisions": c.CollisionsCheck,
	}}
}

// ProvideHandler mounts /stats on the ops router: per-producer marks and
// offsets are operational, off the public address.
func ProvideHandler(r *mux.Router, l *ledger.Ledger) http.Handler {
	api.OpsRoutes(r, l)
	return r
}

// ProvidePublicServer serves the REST API on the public address, with
// /healthz and /readyz for the load balancers that probe it; no total is
// served while the consumer says it may not be.
func ProvidePublicServer(cfg Config, l *ledger.Ledger, c *consumer.Consumer, checker *health.Checker, m *metrics.HTTPMetrics, reg prometheus.Registerer) service.PublicServer {
	r := mux.NewRouter()
	r.Use(m.Middleware(service.PublicListener))
	service.HealthRoutes(r, checker)
	api.Routes(r, l, c.Serving, api.Limits{MaxWaiters: cfg.MaxWaiters, Registerer: reg})
	return service.NewPublicServer(cfg.Ops, r, reg)
}

// NewApp assembles the application.
func NewApp(cfg Config, r Replica, log *slog.Logger, l *ledger.Ledger, st *state.Store, cp *checkpoint.Publisher, c *consumer.Consumer, ops *http.Server, public service.PublicServer, tl *service.TLS, topic *kafka.TopicMetrics) *App {
	return &App{cfg: cfg, replica: r, log: log, ledger: l, state: st, cp: cp, consumer: c, ops: ops, public: public, tls: tl, topic: topic}
}

// setUpCheckpoints creates the checkpoint topic (compacted, replicated as
// the sum topic) and, for a replica without a state file, restores the
// checkpoint that covers the most; no total is served meanwhile.
func (a *App) setUpCheckpoints(ctx context.Context) error {
	spec := a.cfg.Kafka.TopicSpec()
	spec.Name, spec.Partitions, spec.Retention, spec.Compact = a.cfg.CheckpointTopic, 1, 0, true
	if _, err := kafka.EnsureTopic(ctx, a.log, a.cfg.Kafka.Brokers, spec); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if !a.state.Fresh() {
		return nil
	}
	a.consumer.Restoring(errors.New("restoring the state from a checkpoint"))
	defer a.consumer.Restoring(nil)
	_, err := retry.Until(ctx, retry.Policy(250*time.Millisecond, 5*time.Second), func() (bool, error) {
		_, found, err := checkpoint.Restore(ctx, a.cfg.Kafka.Brokers, a.cfg.CheckpointTopic, a.cfg.Kafka.Topic, a.state, a.cfg.RestoreFromCheckpoint, a.log)
		if errors.Is(err, checkpoint.ErrNone) {
			return false, retry.Permanent(fmt.Errorf("refusing to start: TOTALS_RESTORE_FROM_CHECKPOINT is set but there is %w", err))
		}
		return found, err
	}, func(err error, next time.Duration) {
		a.log.Warn("cannot read the checkpoints yet; retrying", "err", err, "retry_in", next)
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Run serves until ctx ends, then stops consuming and saves the state, then
// stops the HTTP servers.
func (a *App) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", a.public.Addr)
	if err != nil {
		return fmt.Errorf("public HTTP address: %w", err)
	}
	opsLis, err := net.Listen("tcp", a.ops.Addr)
	if err != nil {
		lis.Close()
		return fmt.Errorf("ops HTTP address: %w", err)
	}
	// The REST API is public: with a client CA, clients need a certificate;
	// the ops listener serves the certificate but asks for none (probes and
	// Prometheus cannot always present one).
	lis = a.tls.Listener(lis, true)
	opsLis = a.tls.Listener(opsLis, false)
	if a.cp != nil && a.state.Fresh() {
		// Set before the HTTP server answers: an empty ledger's total is partial.
		a.consumer.Restoring(errors.New("restoring the state from a checkpoint"))
	}
	g := lifecycle.New(ctx, a.log, a.cfg.Ops.ShutdownTimeout)
	g.Go("consumer", func(ctx context.Context) error {
		// Create the topic if the calculator has not yet, so the group can
		// join; a topic that cannot keep acknowledged events stops totals.
		if err := a.cfg.Kafka.SetUpTopic(ctx, a.log, a.topic); err != nil {
			return err
		}
		if a.cp != nil {
			if err := a.setUpCheckpoints(ctx); err != nil || ctx.Err() != nil {
				return err
			}
			done := make(chan struct{})
			pctx, stop := context.WithCancel(ctx)
			go func() { defer close(done); a.cp.Run(pctx, a.cfg.CheckpointInterval) }()
			defer func() { stop(); <-done }()
		}
		return a.consumer.Run(ctx)
	})
	g.HTTP(a.public.Server, lis)
	g.HTTP(a.ops, opsLis)
	a.log.Info("totals started", "http", lis.Addr().String(), "ops", opsLis.Addr().String(), "tls", a.tls != nil, "mtls", a.cfg.TLS.ClientCAFile != "", "brokers", a.cfg.Kafka.Brokers, "topic", a.cfg.Kafka.Topic, "replica", a.replica.ID, "group", a.replica.GroupID)
	err = g.Run()
	// The consumer saves on its way out; this save covers a consumer the
	// group abandoned after its grace period.
	a.consumer.Flush()
	a.log.Info("totals stopped", "total", a.ledger.View().Total.String())
	return err
}
