// Command kprobe checks a Kafka path from wherever it runs (typically a container on the
// end-to-end network, behind a Toxiproxy link) with an idempotent sarama producer.
//
//	kprobe -brokers toxiproxy:29092 -topic t -mode roundtrip -n 100
//	    produce n records, read them back from every partition; exit 0 when all came back
//	kprobe -brokers toxiproxy:29092 -topic t -mode loop -interval 200ms -duration 60s
//	    send one record per interval and print "ok <seq>" or "err <seq> <error>" per attempt
//
// Output is one line per event on stdout; logs go to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
)

func main() {
	brokers := flag.String("brokers", "kafka:19092", "bootstrap brokers, comma separated")
	topic := flag.String("topic", "kprobe", "topic (must exist)")
	mode := flag.String("mode", "roundtrip", "roundtrip | loop")
	n := flag.Int("n", 100, "records to send in roundtrip mode")
	interval := flag.Duration("interval", 200*time.Millisecond, "loop mode: time between sends")
	duration := flag.Duration("duration", time.Minute, "loop mode: how long to run")
	timeout := flag.Duration("timeout", 60*time.Second, "roundtrip mode: overall deadline")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))

	// The services' idempotent producer (libs/kafka), with short timeouts: a probe reports
	// a cut link quickly.
	cfg := kafka.ProducerConfig("kprobe")
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 3 * time.Second
	cfg.Net.WriteTimeout = 3 * time.Second
	cfg.Producer.Timeout = 3 * time.Second
	cfg.Metadata.Retry.Max = 2
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	addrs := strings.Split(*brokers, ",")

	var err error
	switch *mode {
	case "roundtrip":
		cfg.Producer.Retry.Max = 5
		err = roundtrip(cfg, addrs, *topic, *n, *timeout)
	case "loop":
		cfg.Producer.Retry.Max = 1
		cfg.Producer.Retry.BackoffFunc = nil // the fixed Backoff below
		cfg.Producer.Retry.Backoff = 100 * time.Millisecond
		err = loop(cfg, addrs, *topic, *interval, *duration)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Println("FAIL", err)
		os.Exit(1)
	}
	fmt.Println("PASS")
}

func roundtrip(cfg *sarama.Config, brokers []string, topic string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer client.Close()
	prod, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		return fmt.Errorf("producer: %w", err)
	}
	defer prod.Close()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(run),
			Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", run, i))}
	}
	if err := prod.SendMessages(msgs); err != nil {
		return fmt.Errorf("produce: %w", err)
	}
	fmt.Printf("produced %d run=%s\n", n, run)

	cons, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	defer cons.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	found := make(chan string, 1024)
	for _, p := range parts {
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return fmt.Errorf("consume %d: %w", p, err)
		}
		defer pc.Close()
		go func() {
			for {
				select {
				case m, ok := <-pc.Messages():
					if !ok {
						return
					}
					if string(m.Key) == run {
						select {
						case found <- string(m.Value):
						case <-ctx.Done():
							return
						}
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for len(seen) < n {
		select {
		case v := <-found:
			if seen[v] {
				return fmt.Errorf("record %s read twice", v)
			}
			seen[v] = true
		case <-ctx.Done():
			return fmt.Errorf("consumed %d of %d before the deadline", len(seen), n)
		}
	}
	fmt.Printf("consumed %d run=%s\n", len(seen), run)
	return nil
}

func loop(cfg *sarama.Config, brokers []string, topic string, interval, duration time.Duration) error {
	end := time.Now().Add(duration)
	var prod sarama.SyncProducer
	defer func() {
		if prod != nil {
			_ = prod.Close()
		}
	}()
	for seq := 0; time.Now().Before(end); seq++ {
		t0 := time.Now()
		if prod == nil {
			p, err := sarama.NewSyncProducer(brokers, cfg)
			if err != nil {
				fmt.Printf("err %d connect: %v\n", seq, err)
				time.Sleep(interval)
				continue
			}
			prod = p
		}
		_, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: topic,
			Key: sarama.StringEncoder("loop"), Value: sarama.StringEncoder(strconv.Itoa(seq))})
		if err != nil {
			fmt.Printf("err %d %v\n", seq, err)
		} else {
			fmt.Printf("ok %d offset=%d in=%v\n", seq, off, time.Since(t0).Round(time.Millisecond))
		}
		if d := interval - time.Since(t0); d > 0 {
			time.Sleep(d)
		}
	}
	return nil
}
