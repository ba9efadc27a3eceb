// Command totals keeps the running total of every sum the calculator accepted,
// exactly once, from the Kafka topic, in a crash-safe state file, and serves
// it over REST (GET /total).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/distsum/distsum/libs/logging"
)

func main() {
	cfg, err := LoadConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "totals:", err)
		os.Exit(2)
	}
	log := logging.New("totals", cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	app, cleanup, err := InitializeApp(ctx, cfg, log)
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
