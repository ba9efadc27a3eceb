package main

import (
	"fmt"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
)

// Config is the totals service's configuration, from flags or environment.
type Config struct {
	HTTPAddr      string
	DataDir       string
	Brokers       []string
	Topic         string
	Partitions    int
	GroupID       string
	FlushInterval time.Duration
	// DisableDedupe counts duplicates too. Test-only: it exists so the
	// failure suite can prove it detects a double count.
	DisableDedupe   bool
	ShutdownTimeout time.Duration
	LogLevel        string
}

// LoadConfig reads flags (args) over environment variables over defaults.
func LoadConfig(args []string) (Config, error) {
	s := config.New("totals")
	httpAddr := s.String("http-addr", "TOTALS_HTTP_ADDR", ":8080", "HTTP listen address (REST, /metrics, /healthz, /readyz)")
	dataDir := s.String("data-dir", "TOTALS_DATA_DIR", "data/totals", "directory of the state file and the dead-letter file")
	brokers := s.String("kafka-brokers", "KAFKA_BROKERS", kafka.DefaultBrokers, "comma-separated Kafka bootstrap brokers")
	topic := s.String("kafka-topic", "KAFKA_TOPIC", "calculator-sum-topic", "topic of the sum events")
	partitions := s.Int("kafka-partitions", "KAFKA_TOPIC_PARTITIONS", 3, "partitions when the topic has to be created")
	group := s.String("group-id", "TOTALS_GROUP_ID", "sum-group", "Kafka consumer group")
	flush := s.Duration("flush-interval", "TOTALS_FLUSH_INTERVAL", 50*time.Millisecond, "how often applied events are saved to the state file")
	noDedupe := s.Bool("unsafe-disable-dedupe", "TOTALS_UNSAFE_DISABLE_DEDUPE", false, "TEST ONLY: count duplicate events too")
	shutdown := s.Duration("shutdown-timeout", "TOTALS_SHUTDOWN_TIMEOUT", 15*time.Second, "grace period on SIGTERM")
	level := s.String("log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	if err := s.Parse(args); err != nil {
		return Config{}, err
	}
	c := Config{
		HTTPAddr: *httpAddr, DataDir: *dataDir, Brokers: kafka.ParseBrokers(*brokers), Topic: *topic,
		Partitions: *partitions, GroupID: *group, FlushInterval: *flush, DisableDedupe: *noDedupe,
		ShutdownTimeout: *shutdown, LogLevel: *level,
	}
	switch {
	case len(c.Brokers) == 0:
		return c, fmt.Errorf("no Kafka brokers given")
	case c.Topic == "" || c.GroupID == "":
		return c, fmt.Errorf("topic and group id must be set")
	case c.FlushInterval <= 0 || c.Partitions < 1:
		return c, fmt.Errorf("flush interval and partitions must be positive")
	}
	return c, nil
}
