// Package service is the shared main of the services: parse settings, set up
// the JSON logger, wire the application, run it until SIGINT or SIGTERM, and
// exit with a status that says whether it stopped cleanly.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/distsum/distsum/libs/logging"
)

// App runs until its context ends.
type App interface {
	Run(ctx context.Context) error
}

// Main runs a service and exits the process: 2 for bad settings, 1 when it
// cannot start or fails, 0 after a graceful stop.
func Main[C any, A App](name string, load func(args []string) (C, error), level func(C) string,
	wire func(ctx context.Context, cfg C, log *slog.Logger) (A, func(), error)) {
	cfg, err := load(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(2)
	}
	log := logging.New(name, level(cfg))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	app, cleanup, err := wire(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	err = app.Run(ctx)
	cleanup()
	if err != nil {
		os.Exit(1)
	}
}

// Every calls f every d until ctx ends (periodic housekeeping: flushes,
// pruning).
func Every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
