package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/service"
	"github.com/distsum/distsum/services/totals/internal/api"
)

// Config is the totals service's configuration, from flags or environment.
type Config struct {
	Ops     service.Ops
	TLS     service.TLSFiles // the HTTP listener (REST API); the client CA applies to it
	Kafka   kafka.Settings
	DataDir string
	// ReplicaID names this replica (its checkpoint key and, by default, its
	// consumer group); empty: generated once and kept in <data dir>/replica-id.
	ReplicaID string
	// GroupID empty: sum-group-<replica id>, a group of its own, so that the
	// replica reads every partition.
	GroupID       string
	FlushInterval time.Duration
	// SaveGap is the shortest time between two saves of the state file
	// (0: the next save starts as soon as the last is done). Each save costs
	// ~0.3 ms of kernel CPU (temp file, fsync, rename, directory fsync): the
	// default gap keeps a busy topic to ~200 saves/s for ~4 ms of latency.
	SaveGap     time.Duration
	LagInterval time.Duration
	// CheckpointTopic empty: <KAFKA_TOPIC>-checkpoints.
	CheckpointTopic       string
	CheckpointInterval    time.Duration // 0: no checkpoints published or read
	RestoreFromCheckpoint bool
	// DisableDedupe counts duplicates too. Only a test build has the
	// setting (dedupe_off.go, tag distsum_unsafe_disable_dedupe): the
	// failure suite's negative control, never in a service binary.
	DisableDedupe bool
	// MaxWaiters bounds concurrent GET /total?after= waits (429 beyond).
	MaxWaiters int
}

// envUnsafeDisableDedupe turns deduplication off in a test build; a
// service build refuses to start when it is set.
const envUnsafeDisableDedupe = "TOTALS_UNSAFE_DISABLE_DEDUPE"

// unsafeDedupeSetting registers the setting that turns deduplication off;
// nil (no such setting) except in a test build (dedupe_off.go).
var unsafeDedupeSetting func(s *config.Set, c *Config)

// LoadConfig reads flags (args) over environment variables over defaults.
func LoadConfig(args []string) (Config, error) {
	var c Config
	s := config.New("totals")
	c.Ops.Flags(s, "TOTALS", ":8080", "public HTTP listen address (GET /total, /healthz, /readyz)")
	c.Ops.OpsAddrFlag(s, "TOTALS", ":8083", "ops HTTP listen address (/metrics, /stats, /healthz, /readyz, pprof); must differ from the public one")
	c.TLS.Flags(s, "TOTALS")
	c.Kafka.Flags(s)
	s.StringVar(&c.DataDir, "data-dir", "TOTALS_DATA_DIR", "data/totals", "directory of the state file and the dead-letter file")
	s.StringVar(&c.ReplicaID, "replica-id", "TOTALS_REPLICA_ID", "", "this replica's id (empty: generated on first start and kept in <data dir>/replica-id)")
	s.StringVar(&c.GroupID, "group-id", "TOTALS_GROUP_ID", "", "Kafka consumer group (empty: sum-group-<replica id>, so each replica reads every partition; never share one between replicas)")
	s.StringVar(&c.CheckpointTopic, "checkpoint-topic", "TOTALS_CHECKPOINT_TOPIC", "", "compacted topic of the replicas' state checkpoints (empty: <KAFKA_TOPIC>-checkpoints)")
	s.DurationVar(&c.CheckpointInterval, "checkpoint-interval", "TOTALS_CHECKPOINT_INTERVAL", 10*time.Second, "how often the last saved state is published as a checkpoint if it changed (0: no checkpoints)")
	s.BoolVar(&c.RestoreFromCheckpoint, "restore-from-checkpoint", "TOTALS_RESTORE_FROM_CHECKPOINT", false, "operator action: move the local state file aside and start from the newest checkpoint")
	s.DurationVar(&c.FlushInterval, "flush-interval", "TOTALS_FLUSH_INTERVAL", 50*time.Millisecond, "how often the saved offsets are committed to Kafka and a failed save is retried (applied events are saved at once, one save at a time)")
	s.DurationVar(&c.SaveGap, "save-gap", "TOTALS_SAVE_GAP", 5*time.Millisecond, "shortest time between two saves of the state file (0: a save starts as soon as events are applied and the last save is done); longer: fewer fsyncs, each covering more events, for a longer accepted -> counted")
	s.DurationVar(&c.LagInterval, "lag-interval", "TOTALS_LAG_INTERVAL", 5*time.Second, "how often the claimed partitions' end offsets are read to update totals_consumer_lag")
	s.IntVar(&c.MaxWaiters, "max-waiters", "TOTALS_MAX_WAITERS", 1024, "concurrent GET /total?after= waits at most; more are answered 429 with Retry-After")
	if unsafeDedupeSetting != nil {
		unsafeDedupeSetting(s, &c)
	} else if v, set := os.LookupEnv(envUnsafeDisableDedupe); set {
		// Asked for something this build does not have: starting without it
		// would silently run another configuration than the one requested.
		return Config{}, fmt.Errorf("environment %s=%q: this totals build cannot turn deduplication off (only a test build, tag distsum_unsafe_disable_dedupe, can); unset it", envUnsafeDisableDedupe, v)
	}
	if err := s.Parse(args); err != nil {
		return Config{}, err
	}
	c.DataDir = service.DataDir(c.DataDir)
	if err := c.Ops.Validate(); err != nil {
		return c, err
	}
	if err := c.TLS.Validate(); err != nil {
		return c, err
	}
	if c.Ops.HTTP.WriteTimeout <= api.MaxWait {
		// net/http would cut the longest ?after= wait before its answer.
		return c, fmt.Errorf("HTTP write timeout %s must exceed the longest ?after= wait (%s)", c.Ops.HTTP.WriteTimeout, api.MaxWait)
	}
	if c.MaxWaiters < 1 {
		return c, errors.New("max waiters must be positive")
	}
	if err := c.Kafka.Validate(); err != nil {
		return c, err
	}
	if c.CheckpointTopic == "" {
		c.CheckpointTopic = c.Kafka.Topic + "-checkpoints"
	}
	switch {
	case c.CheckpointTopic == c.Kafka.Topic:
		return c, errors.New("the checkpoint topic must not be the sum topic")
	case c.CheckpointInterval < 0:
		return c, errors.New("checkpoint interval must be 0 (off) or positive")
	case c.RestoreFromCheckpoint && c.CheckpointInterval == 0:
		return c, errors.New("restoring from a checkpoint needs checkpoints (TOTALS_CHECKPOINT_INTERVAL > 0)")
	case c.FlushInterval <= 0:
		return c, errors.New("flush interval must be positive")
	case c.SaveGap < 0 || c.SaveGap > time.Minute:
		return c, errors.New("save gap must be from 0 to 1m")
	case c.LagInterval <= 0:
		return c, errors.New("lag interval must be positive")
	}
	return c, nil
}
