// Package service is what every service's main shares: its operational
// settings (one flag group), the JSON logger, the ops surface (metrics
// registry, /metrics, /healthz, /readyz) as one wire provider set, and Main,
// which parses the settings, wires the application and runs it until SIGINT
// or SIGTERM.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/ratelog"
	"github.com/distsum/distsum/libs/tracing"
)

// App runs until its context ends.
type App interface {
	Run(ctx context.Context) error
}

// Ops are the operational settings every service has.
type Ops struct {
	// HTTPAddr serves /metrics, /healthz and /readyz, unless OpsAddr is
	// set: then it serves the service's public API (and /healthz, /readyz).
	HTTPAddr string
	// OpsAddr, when set, is the ops endpoints' own address (/metrics,
	// /healthz, /readyz, pprof and the service's operational routes), so
	// that public clients neither reach them nor take their connections.
	OpsAddr         string
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	// PProf serves net/http/pprof under /debug/pprof/ on the ops address (off by
	// default: profiles reveal internals and cost CPU while taken).
	PProf bool
	// HTTP bounds what one client can hold of the HTTP server.
	HTTP HTTPLimits
}

// HTTPLimits bound the HTTP server: how long a client may take to send a
// request and to read the answer, how long an idle keep-alive connection is
// kept, the header size, and the open connections (kept below the process's
// file-descriptor limit so the state file and Kafka always get one).
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConns          int // per listener; 0: DefaultMaxConns() shared by the listeners
}

// Flags defines the settings on s: -http-addr ($PREFIX_HTTP_ADDR),
// -shutdown-timeout ($PREFIX_SHUTDOWN_TIMEOUT), -pprof ($PREFIX_PPROF) and
// -log-level ($LOG_LEVEL).
func (o *Ops) Flags(s *config.Set, prefix, httpAddr, httpUsage string) {
	s.StringVar(&o.HTTPAddr, "http-addr", prefix+"_HTTP_ADDR", httpAddr, httpUsage)
	s.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", prefix+"_SHUTDOWN_TIMEOUT", 15*time.Second, "grace period on SIGTERM")
	s.BoolVar(&o.PProf, "pprof", prefix+"_PPROF", false, "serve net/http/pprof under /debug/pprof/ on the ops HTTP address")
	o.LogLevel = slog.LevelInfo
	s.TextVar(&o.LogLevel, "log-level", "LOG_LEVEL", "debug, info, warn or error")
	h := &o.HTTP
	s.DurationVar(&h.ReadHeaderTimeout, "http-read-header-timeout", prefix+"_HTTP_READ_HEADER_TIMEOUT", 5*time.Second, "time a client has to send a request's headers (slow clients are closed)")
	s.DurationVar(&h.ReadTimeout, "http-read-timeout", prefix+"_HTTP_READ_TIMEOUT", 10*time.Second, "time a client has to send a whole request")
	s.DurationVar(&h.WriteTimeout, "http-write-timeout", prefix+"_HTTP_WRITE_TIMEOUT", 40*time.Second, "time from a request's headers to the end of its answer (above the longest wait the API allows)")
	s.DurationVar(&h.IdleTimeout, "http-idle-timeout", prefix+"_HTTP_IDLE_TIMEOUT", 60*time.Second, "how long an idle keep-alive connection is kept")
	s.IntVar(&h.MaxHeaderBytes, "http-max-header-bytes", prefix+"_HTTP_MAX_HEADER_BYTES", 16<<10, "largest request header accepted (431 beyond)")
	s.IntVar(&h.MaxConns, "http-max-conns", prefix+"_HTTP_MAX_CONNS", 0, "open HTTP connections at most on each listener; more are closed at once and counted (0: min(4096, file-descriptor limit / 2), split between the listeners)")
}

// OpsAddrFlag defines -ops-addr ($PREFIX_OPS_ADDR): the ops endpoints on
// an address of their own, apart from -http-addr.
func (o *Ops) OpsAddrFlag(s *config.Set, prefix, addr, usage string) {
	s.StringVar(&o.OpsAddr, "ops-addr", prefix+"_OPS_ADDR", addr, usage)
}

// OpsListenAddr is where the ops endpoints are served: OpsAddr, or
// HTTPAddr when the service has no separate ops address.
func (o Ops) OpsListenAddr() string {
	if o.OpsAddr != "" {
		return o.OpsAddr
	}
	return o.HTTPAddr
}

// maxConns is each HTTP listener's connection bound: HTTP.MaxConns, or
// DefaultMaxConns shared by the listeners (two with an ops address).
func (o Ops) maxConns() int {
	switch {
	case o.HTTP.MaxConns > 0:
		return o.HTTP.MaxConns
	case o.OpsAddr != "":
		return max(1, DefaultMaxConns()/2)
	}
	return DefaultMaxConns()
}

// Validate reports a setting that cannot work.
func (o Ops) Validate() error {
	if o.OpsAddr != "" && sameListenAddr(o.OpsAddr, o.HTTPAddr) {
		return fmt.Errorf("ops address %q and HTTP address %q are the same port: the ops endpoints need their own", o.OpsAddr, o.HTTPAddr)
	}
	h := o.HTTP
	for name, d := range map[string]time.Duration{"read header": h.ReadHeaderTimeout, "read": h.ReadTimeout, "write": h.WriteTimeout, "idle": h.IdleTimeout} {
		if d <= 0 {
			return fmt.Errorf("HTTP %s timeout %s must be positive", name, d)
		}
	}
	if h.MaxHeaderBytes < 1<<10 {
		return fmt.Errorf("HTTP max header bytes %d: want at least 1024", h.MaxHeaderBytes)
	}
	if h.MaxConns < 0 {
		return fmt.Errorf("HTTP max conns %d must not be negative", h.MaxConns)
	}
	return nil
}

// sameListenAddr reports whether listening on a and on b would take the
// same port: equal non-zero ports on the same host or on a wildcard one
// (":8080" and "127.0.0.1:8080" collide). Port 0 picks a free port each time.
func sameListenAddr(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return a == b
	}
	if pa != pb || pa == "0" {
		return false
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wildcard(ha) || wildcard(hb)
}

// NewLogger returns a JSON logger to stderr tagged with the service name,
// and makes it the default.
func NewLogger(name string, level slog.Level) *slog.Logger {
	// Identical warnings and errors (a loop failing on a full disk) are
	// written at most once a second, the next one with the count dropped.
	// A record logged with a traced context carries its trace_id and span_id.
	h := ratelog.New(tracing.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})), time.Second, slog.LevelWarn)
	log := slog.New(h).With("service", name)
	slog.SetDefault(log)
	return log
}

// Main runs a service and exits the process: 2 for bad settings, 1 when it
// cannot start or fails, 0 after a graceful stop. `app probe URL` is the
// binary's health probe instead (see ProbeCommand), read before any setting.
func Main[C any, A App](name string, load func(args []string) (C, error), ops func(C) Ops,
	wire func(ctx context.Context, cfg C, log *slog.Logger) (A, func(), error)) {
	probeMode(name)
	cfg, err := load(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	log := NewLogger(name, ops(cfg).LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// Tracing (OTEL_* variables) before the wiring: the gRPC server and the
	// outbox instrument themselves only when it is on.
	shutdownTracing, err := tracing.Setup(ctx, name, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(2)
	}
	app, cleanup, err := wire(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	err = app.Run(ctx)
	cleanup()
	// The spans of the last requests are exported before the process ends.
	flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if ferr := shutdownTracing(flushCtx); ferr != nil {
		log.Warn("tracing: spans not flushed", "err", ferr)
	}
	cancel()
	if err != nil {
		log.Error("stopped on an error", "err", err)
		os.Exit(1)
	}
}

// DataDir resolves a data directory setting. Under `bazel run` the working
// directory is inside Bazel's output tree, which `bazel clean` deletes, so a
// relative directory is taken relative to the workspace
// (BUILD_WORKSPACE_DIRECTORY, set by bazel run) instead: accepted Adds and
// the saved total outlive the build outputs.
func DataDir(dir string) string {
	if ws := os.Getenv("BUILD_WORKSPACE_DIRECTORY"); ws != "" && !filepath.IsAbs(dir) {
		return filepath.Join(ws, dir)
	}
	return dir
}
