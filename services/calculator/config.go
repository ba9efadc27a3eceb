package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/service"
	"github.com/distsum/distsum/services/calculator/internal/outbox/pgoutbox"
)

// Outbox backends.
const (
	OutboxSQLite   = "sqlite"
	OutboxPostgres = "postgres"
)

// Config is the calculator's configuration, from flags or environment.
type Config struct {
	Ops            service.Ops
	TLS            service.TLSFiles // gRPC and ops HTTP; the client CA applies to gRPC only
	Kafka          kafka.Settings
	GRPCAddr       string
	GRPC           GRPCLimits
	DataDir        string
	Outbox         string // "sqlite" or "postgres"
	PostgresURL    string
	AdoptInterval  time.Duration
	ProducerID     string
	RelayBatch     int
	Retention      time.Duration
	IdempotencyTTL time.Duration
}

// GRPCLimits bound the gRPC server: what one message, one connection and
// one call may take, and how many connections it keeps.
type GRPCLimits struct {
	MaxRecvBytes int           // largest request message (an Add is under 200 bytes)
	MaxStreams   int           // concurrent calls per connection
	MaxConns     int           // open connections; more are closed on arrival (0: service.DefaultMaxConns)
	MaxConnIdle  time.Duration // a connection without calls for this long is closed (GOAWAY)
	AddTimeout   time.Duration // server-side deadline of one Add
	Reflection   bool
}

// LoadConfig reads flags (args) over environment variables over defaults.
func LoadConfig(args []string) (Config, error) {
	var c Config
	s := config.New("calculator")
	c.Ops.Flags(s, "CALCULATOR", ":8081", "HTTP listen address for /metrics, /healthz, /readyz")
	c.TLS.Flags(s, "CALCULATOR")
	c.Kafka.Flags(s)
	s.StringVar(&c.GRPCAddr, "grpc-addr", "CALCULATOR_GRPC_ADDR", ":9090", "gRPC listen address")
	s.IntVar(&c.GRPC.MaxRecvBytes, "grpc-max-recv-bytes", "CALCULATOR_GRPC_MAX_RECV_BYTES", 4<<10, "largest gRPC request message accepted (RESOURCE_EXHAUSTED beyond)")
	s.IntVar(&c.GRPC.MaxStreams, "grpc-max-streams", "CALCULATOR_GRPC_MAX_STREAMS", 256, "concurrent gRPC calls per connection (more wait for a free one)")
	s.IntVar(&c.GRPC.MaxConns, "grpc-max-conns", "CALCULATOR_GRPC_MAX_CONNS", 0, "open gRPC connections at most; more are closed at once and counted (0: min(4096, file-descriptor limit / 2))")
	s.DurationVar(&c.GRPC.MaxConnIdle, "grpc-max-conn-idle", "CALCULATOR_GRPC_MAX_CONN_IDLE", 5*time.Minute, "close a gRPC connection that has had no call for this long")
	s.DurationVar(&c.GRPC.AddTimeout, "add-timeout", "CALCULATOR_ADD_TIMEOUT", 10*time.Second, "server-side deadline of one Add (DEADLINE_EXCEEDED beyond)")
	s.BoolVar(&c.GRPC.Reflection, "grpc-reflection", "CALCULATOR_GRPC_REFLECTION", true, "serve gRPC server reflection")
	s.StringVar(&c.DataDir, "data-dir", "CALCULATOR_DATA_DIR", "data/calculator", "directory of the outbox database")
	s.StringVar(&c.Outbox, "outbox", "CALCULATOR_OUTBOX", OutboxSQLite, "outbox backend: sqlite (embedded, one instance per outbox) or postgres (shared by several instances)")
	s.StringVar(&c.PostgresURL, "postgres-url", "CALCULATOR_POSTGRES_URL", pgoutbox.DefaultURL, "PostgreSQL database of the postgres outbox (libpq URL or DSN)")
	s.DurationVar(&c.AdoptInterval, "adopt-interval", "CALCULATOR_ADOPT_INTERVAL", 5*time.Second, "postgres outbox: how often to look for dead instances' unpublished events to publish")
	s.StringVar(&c.ProducerID, "producer-id", "CALCULATOR_PRODUCER_ID", "", "identity of this instance (sqlite: set when its outbox is created, which then continues after the id's last sequence in Kafka; postgres: held while running) (default: random)")
	s.IntVar(&c.RelayBatch, "relay-batch", "CALCULATOR_RELAY_BATCH", 2000, "events per publish (at most; a backlog drains in batches this size)")
	s.DurationVar(&c.Retention, "outbox-retention", "CALCULATOR_OUTBOX_RETENTION", time.Hour, "how long published events stay in the outbox")
	s.DurationVar(&c.IdempotencyTTL, "idempotency-ttl", "CALCULATOR_IDEMPOTENCY_TTL", 24*time.Hour, "how long a request_id is remembered")
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
	if c.GRPC.MaxRecvBytes < 256 {
		return c, fmt.Errorf("gRPC max recv bytes %d: want at least 256 (an Add with a 128-byte request id)", c.GRPC.MaxRecvBytes)
	}
	if c.GRPC.MaxStreams < 1 || c.GRPC.MaxConns < 0 {
		return c, errors.New("gRPC max streams must be positive and max conns not negative")
	}
	if c.GRPC.MaxConnIdle <= 0 || c.GRPC.AddTimeout <= 0 {
		return c, errors.New("gRPC max connection idle and Add timeout must be positive")
	}
	if err := c.Kafka.Validate(); err != nil {
		return c, err
	}
	switch c.Outbox {
	case OutboxSQLite, OutboxPostgres:
	default:
		return c, fmt.Errorf("outbox %q: want %s or %s", c.Outbox, OutboxSQLite, OutboxPostgres)
	}
	if c.Outbox == OutboxPostgres && c.PostgresURL == "" {
		return c, errors.New("the postgres outbox needs a database URL")
	}
	if c.AdoptInterval <= 0 {
		return c, errors.New("adopt interval must be positive")
	}
	if c.RelayBatch < 1 {
		return c, errors.New("relay batch must be positive")
	}
	return c, nil
}
