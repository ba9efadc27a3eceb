// Command kafkaready waits until a Kafka broker answers a metadata request (the same probe as
// the services' /readyz), or fails after -timeout. Used by scripts/kafka.sh.
//
//	go run ./deploy/kafka/kafkaready -brokers 127.0.0.1:9092 -timeout 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

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
	var err error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		err = kafka.Ping(pctx, list)
		pcancel()
		if err == nil {
			return
		}
		if *pid > 0 && !alive(*pid) {
			fmt.Fprintf(os.Stderr, "kafkaready: broker process %d exited\n", *pid)
			os.Exit(2)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "kafkaready: %s not ready after %v: %v\n", *brokers, *timeout, err)
			os.Exit(1)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}
