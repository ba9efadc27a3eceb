// Command kafkaready waits until a Kafka broker answers a metadata request (the same probe as
// the services' /readyz), or fails after -timeout. Used by scripts/kafka.sh, and as the health
// check of the distsum/kafka image, which has no shell (deploy/compose: -timeout 5s).
//
//	go run ./deploy/kafka/kafkaready -brokers 127.0.0.1:9092 -timeout 60s
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/kafka"
)

func main() {
	brokers := flag.String("brokers", kafka.DefaultBrokers, "comma-separated broker list")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	pid := flag.Int("pid", 0, "fail at once if this process exits (the broker's JVM)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	list := config.SplitList(*brokers)
	errExited := fmt.Errorf("broker process %d exited", *pid)
	ping := func() error {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		defer pcancel()
		err := kafka.Ping(pctx, list)
		if err != nil && *pid > 0 && !alive(*pid) {
			return backoff.Permanent(errExited)
		}
		return err
	}
	var last error
	b := backoff.WithContext(backoff.NewConstantBackOff(100*time.Millisecond), ctx)
	err := backoff.RetryNotify(ping, b, func(err error, _ time.Duration) { last = err })
	switch {
	case err == nil:
	case errors.Is(err, errExited):
		fmt.Fprintf(os.Stderr, "kafkaready: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "kafkaready: %s not ready after %v: %v\n", *brokers, *timeout, cmp.Or(last, err))
		os.Exit(1)
	}
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}
