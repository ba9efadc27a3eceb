package main

import (
	"errors"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/service"
)

// Config is the totals service's configuration, from flags or environment.
type Config struct {
	Ops           service.Ops
	Kafka         kafka.Settings
	DataDir       string
	GroupID       string
	FlushInterval time.Duration
	LagInterval   time.Duration
	// DisableDedupe counts duplicates too. Test-only: it exists so the
	// failure suite can prove it detects a double count.
	DisableDedupe bool
}

// LoadConfig reads flags (args) over environment variables over defaults.
func LoadConfig(args []string) (Config, error) {
	var c Config
	s := config.New("totals")
	c.Ops.Flags(s, "TOTALS", ":8080", "HTTP listen address (REST, /metrics, /healthz, /readyz)")
	c.Kafka.Flags(s)
	s.StringVar(&c.DataDir, "data-dir", "TOTALS_DATA_DIR", "data/totals", "directory of the state file and the dead-letter file")
	s.StringVar(&c.GroupID, "group-id", "TOTALS_GROUP_ID", "sum-group", "Kafka consumer group")
	s.DurationVar(&c.FlushInterval, "flush-interval", "TOTALS_FLUSH_INTERVAL", 50*time.Millisecond, "how often applied events are saved to the state file")
	s.DurationVar(&c.LagInterval, "lag-interval", "TOTALS_LAG_INTERVAL", 5*time.Second, "how often the claimed partitions' end offsets are read to update totals_consumer_lag")
	s.BoolVar(&c.DisableDedupe, "unsafe-disable-dedupe", "TOTALS_UNSAFE_DISABLE_DEDUPE", false, "TEST ONLY: count duplicate events too")
	if err := s.Parse(args); err != nil {
		return Config{}, err
	}
	c.DataDir = service.DataDir(c.DataDir)
	if err := c.Kafka.Validate(); err != nil {
		return c, err
	}
	switch {
	case c.GroupID == "":
		return c, errors.New("group id must be set")
	case c.FlushInterval <= 0:
		return c, errors.New("flush interval must be positive")
	case c.LagInterval <= 0:
		return c, errors.New("lag interval must be positive")
	}
	return c, nil
}
