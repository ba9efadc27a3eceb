package main

import (
	"fmt"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
)

// Config is the calculator's configuration, from flags or environment.
type Config struct {
	GRPCAddr        string
	HTTPAddr        string
	DataDir         string
	Brokers         []string
	Topic           string
	Partitions      int
	ProducerID      string
	RelayBatch      int
	Retention       time.Duration
	IdempotencyTTL  time.Duration
	ShutdownTimeout time.Duration
	LogLevel        string
}

// LoadConfig reads flags (args) over environment variables over defaults.
func LoadConfig(args []string) (Config, error) {
	s := config.New("calculator")
	grpcAddr := s.String("grpc-addr", "CALCULATOR_GRPC_ADDR", ":9090", "gRPC listen address")
	httpAddr := s.String("http-addr", "CALCULATOR_HTTP_ADDR", ":8081", "HTTP listen address for /metrics, /healthz, /readyz")
	dataDir := s.String("data-dir", "CALCULATOR_DATA_DIR", "data/calculator", "directory of the outbox database")
	brokers := s.String("kafka-brokers", "KAFKA_BROKERS", kafka.DefaultBrokers, "comma-separated Kafka bootstrap brokers")
	topic := s.String("kafka-topic", "KAFKA_TOPIC", "calculator-sum-topic", "topic the sums are published to")
	partitions := s.Int("kafka-partitions", "KAFKA_TOPIC_PARTITIONS", 3, "partitions when the topic has to be created")
	producerID := s.String("producer-id", "CALCULATOR_PRODUCER_ID", "", "identity of this instance when its outbox is created (default: random)")
	batch := s.Int("relay-batch", "CALCULATOR_RELAY_BATCH", 500, "events per publish")
	retention := s.Duration("outbox-retention", "CALCULATOR_OUTBOX_RETENTION", time.Hour, "how long published events stay in the outbox")
	ttl := s.Duration("idempotency-ttl", "CALCULATOR_IDEMPOTENCY_TTL", 24*time.Hour, "how long a request_id is remembered")
	shutdown := s.Duration("shutdown-timeout", "CALCULATOR_SHUTDOWN_TIMEOUT", 15*time.Second, "grace period for in-flight calls on SIGTERM")
	level := s.String("log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	if err := s.Parse(args); err != nil {
		return Config{}, err
	}
	c := Config{
		GRPCAddr: *grpcAddr, HTTPAddr: *httpAddr, DataDir: *dataDir,
		Brokers: kafka.ParseBrokers(*brokers), Topic: *topic, Partitions: *partitions,
		ProducerID: *producerID, RelayBatch: *batch, Retention: *retention, IdempotencyTTL: *ttl,
		ShutdownTimeout: *shutdown, LogLevel: *level,
	}
	switch {
	case len(c.Brokers) == 0:
		return c, fmt.Errorf("no Kafka brokers given")
	case c.Topic == "":
		return c, fmt.Errorf("no Kafka topic given")
	case c.RelayBatch < 1 || c.Partitions < 1:
		return c, fmt.Errorf("relay batch and partitions must be positive")
	}
	return c, nil
}
