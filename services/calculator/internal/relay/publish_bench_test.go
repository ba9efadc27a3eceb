package relay

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/distsum/distsum/libs/sumevent"
)

// benchBrokers is the broker the publish benchmark runs against: $BENCH_KAFKA_BROKERS,
// else a Kafka at 127.0.0.1:9092 when one answers (make up's), else an in-process kfake
// broker. The figure is the adapter's cost (sarama's idempotent producer, acks=all, one
// SendMessages per batch); against kfake it leaves out the broker's own fsync and I/O.
func benchBrokers(b *testing.B) (brokers []string, kind string) {
	if v := os.Getenv("BENCH_KAFKA_BROKERS"); v != "" {
		return strings.Split(v, ","), "kafka"
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:9092", 200*time.Millisecond); err == nil {
		c.Close()
		return []string{"127.0.0.1:9092"}, "kafka"
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "bench-sum-topic"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c.ListenAddrs(), "kfake"
}

// BenchmarkPublish measures one relay batch: encode the events, send them with the
// idempotent producer and wait for every acknowledgement.
// Run: go test -run=NONE -bench=Publish ./services/calculator/internal/relay
func BenchmarkPublish(b *testing.B) {
	brokers, kind := benchBrokers(b)
	topic := "bench-sum-topic"
	if kind == "kafka" {
		topic = fmt.Sprintf("bench-sum-topic-%d", time.Now().UnixNano()) // auto-created, never the service's topic
	}
	for _, batch := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("broker=%s/batch=%d", kind, batch), func(b *testing.B) {
			pub, err := KafkaPublisherFactory(brokers, topic, "relay-bench")()
			if err != nil {
				b.Fatal(err)
			}
			defer pub.Close()
			events := make([]sumevent.Event, batch)
			seq := uint64(0)
			next := func() {
				for i := range events {
					seq++
					events[i] = sumevent.Event{ProducerID: "calc-bench", Sequence: seq, Num1: 1, Num2: 2, Sum: 3, AcceptedAt: time.Now().UnixNano()}
				}
			}
			next()
			if err := pub.Publish(context.Background(), events); err != nil { // warm up: metadata, producer id
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				next()
				if err := pub.Publish(context.Background(), events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
