package integration

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/metrics/metricstest"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/tests/testkit"
)

// TestConsumerLagGrowsWhileStalled stalls the totals consumer the way a
// disk fault does in production: a malformed record must be parked in the
// dead-letter file before the consumer may move past it, and the file cannot
// be written (here deadletter.jsonl is a directory, which even root cannot
// open for writing). The process keeps running and serving, but partition 0
// does not advance: every good record behind the poison one waits. The lag
// scraped from /metrics must grow with the records produced during the stall
// (it follows the broker's end offsets on the lag timer; no record is applied
// to trigger an update) and fall to 0 once the disk recovers.
func TestConsumerLagGrowsWhileStalled(t *testing.T) {
	k := startKafka(t)
	totals := testkit.StartTotals(t, k.Bootstrap(), "TOTALS_LAG_INTERVAL=200ms")

	deadLetter := filepath.Join(totals.DataDir, "deadletter.jsonl")
	if err := os.MkdirAll(deadLetter, 0o755); err != nil {
		t.Fatal(err)
	}

	cfg := kafka.ProducerConfig("test-stall")
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer(k.Brokers(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	seq := uint64(0)
	want := new(big.Int)
	produce := func(n int) {
		t.Helper()
		for range n {
			seq++
			e := sumevent.Event{Version: sumevent.SchemaVersion, ProducerID: "stall-test", Sequence: seq, Num1: int64(seq), Sum: int64(seq)}
			msg, err := sumevent.Message(topic, e)
			if err != nil {
				t.Fatal(err)
			}
			msg.Partition = 0
			if _, _, err := producer.SendMessage(msg); err != nil {
				t.Fatal(err)
			}
			want.Add(want, big.NewInt(e.Sum))
		}
	}

	if _, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: 0, Value: sarama.StringEncoder("poison: not json")}); err != nil {
		t.Fatal(err)
	}
	produce(20)
	waitLag(t, totals.OpsURL, "0", func(v float64) bool { return v >= 21 }, "the poison record and 20 records behind it")
	produce(30)
	lag := waitLag(t, totals.OpsURL, "0", func(v float64) bool { return v >= 51 }, "30 more records during the stall")
	if got := totals.Total(t); got.Sign() != 0 {
		t.Fatalf("total %s during the stall, want 0 (nothing behind the poison record may be applied)", got)
	}
	t.Logf("lag on partition 0 grew to %v while the consumer was stalled", lag)

	// The disk recovers: the record is parked, everything behind it applied.
	if err := os.Remove(deadLetter); err != nil {
		t.Fatal(err)
	}
	waitLag(t, totals.OpsURL, "0", func(v float64) bool { return v == 0 }, "caught up after the stall")
	deadline := time.Now().Add(30 * time.Second)
	for got := totals.Total(t); got.Cmp(want) != 0; got = totals.Total(t) {
		if time.Now().After(deadline) {
			t.Fatalf("total %s after the stall, want %s", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := totals.Stats(t); s.Malformed != 1 {
		t.Fatalf("malformed = %d, want the one poison record", s.Malformed)
	}
}

// waitLag polls totals_consumer_lag{partition} on the service's /metrics
// until ok holds (60 s at most) and returns the value then.
func waitLag(t *testing.T, base, partition string, ok func(float64) bool, what string) float64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last, lastErr := -1.0, error(nil)
	for time.Now().Before(deadline) {
		last, lastErr = scrapeLag(base, partition)
		if lastErr == nil && ok(last) {
			return last
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: totals_consumer_lag{partition=%q} = %v (err %v) after 60s", what, partition, last, lastErr)
	return 0
}

func scrapeLag(base, partition string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return metricstest.Scrape(ctx, base+"/metrics", "totals_consumer_lag", "partition", partition)
}
