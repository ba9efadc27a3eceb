// Command distsumctl is the command-line client of the Distributed Sum System: add, total,
// stats, and audit (recompute the total from the Kafka topic and check every totals replica).
// See README.md here and `distsumctl --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/distsum/distsum/cmd/distsumctl/ctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ctl.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
