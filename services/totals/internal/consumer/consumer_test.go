package consumer

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
	"github.com/distsum/distsum/services/totals/internal/state"
)

func newConsumer(t *testing.T, statePath string) (*Consumer, *ledger.Ledger) {
	l := ledger.New("topic", true)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := state.Open(statePath, l, log)
	if err != nil {
		t.Fatal(err)
	}
	dl := NewDeadLetter(filepath.Join(t.TempDir(), "deadletter.jsonl"))
	return New(nil, "topic", l, st, dl, 0, prometheus.NewRegistry(), log), l
}

func record(t *testing.T, p int32, off int64, e sumevent.Event) *sarama.ConsumerMessage {
	v, err := sumevent.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return &sarama.ConsumerMessage{Topic: "topic", Partition: p, Offset: off, Value: v}
}

func TestMalformedRecordIsParkedCountedAndSkipped(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	bad := &sarama.ConsumerMessage{Topic: "topic", Partition: 0, Offset: 0, Key: []byte("k"), Value: []byte{0xff, 'x'}}
	if err := c.handle(bad); err != nil {
		t.Fatal(err)
	}
	if err := c.handle(record(t, 0, 1, sumevent.Event{ProducerID: "p", Sequence: 1, Num1: 2, Sum: 2})); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	v := l.View()
	if v.Total.Int64() != 2 || v.Stats.Malformed != 1 || v.Offsets[0] != 2 {
		t.Fatalf("view %+v", v)
	}
	if got := testutil.ToFloat64(c.m.malformed); got != 1 {
		t.Fatalf("totals_malformed_records_total = %v", got)
	}
	f, err := os.Open(c.deadLetter.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	var p Parked
	if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.Offset != 0 || p.Encoding != "base64" || p.Error == "" {
		t.Fatalf("parked %+v %v", p, err)
	}
}

// A state file that cannot be written (full disk, read-only volume) keeps
// the last saved total visible, reports unhealthy, and is retried with
// nothing lost once the disk recovers.
func TestFailedSaveKeepsTheLastTotalAndRetries(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "disk")
	c, l := newConsumer(t, filepath.Join(blocker, "state"))
	c.handle(record(t, 0, 0, sumevent.Event{ProducerID: "p", Sequence: 1, Num1: 5, Sum: 5, AcceptedAt: time.Now().UnixNano()}))
	// A file where the state directory should be makes every save fail.
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if c.state.Healthy(context.Background()) == nil || l.View().Total.Sign() != 0 || testutil.ToFloat64(c.m.flushErrors) != 1 {
		t.Fatalf("after a failed save: healthy=%v total=%s", c.state.Healthy(context.Background()), l.View().Total)
	}
	c.handle(record(t, 0, 1, sumevent.Event{ProducerID: "p", Sequence: 2, Num1: 7, Sum: 7}))
	os.Remove(blocker)
	c.Flush()
	if c.state.Healthy(context.Background()) != nil || l.View().Total.Int64() != 12 {
		t.Fatalf("after recovery: healthy=%v total=%s", c.state.Healthy(context.Background()), l.View().Total)
	}
	if n := testutil.CollectAndCount(c.m.endToEnd); n != 1 {
		t.Fatalf("latency histogram series %d", n)
	}
	// The event's latency is observed once, when a save covers it, not at
	// the failed save.
	if n := histogramCount(t, c.m.endToEnd); n != 1 {
		t.Fatalf("end-to-end latency observations %d, want 1", n)
	}
}

// An applied event is saved, and served to ?after= readers, as soon as the
// saver is free, not at the next flush interval; offsets are committed to
// Kafka on the interval only.
func TestAppliedEventIsSavedWithoutWaitingForTheInterval(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	c.flushInterval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.saveLoop(ctx) }()
	defer func() { cancel(); <-done }()
	for seq := uint64(1); seq <= 3; seq++ {
		if err := c.handle(record(t, 0, int64(seq-1), sumevent.Event{ProducerID: "p", Sequence: seq, Num1: 2, Sum: 2})); err != nil {
			t.Fatal(err)
		}
		c.wakeSaver() // as ConsumeClaim does once a fetch's records are applied
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := l.WaitCounted(wctx, sumevent.Token{ProducerID: "p", Sequence: seq})
		wcancel()
		if err != nil || v.Total.Int64() != int64(2*seq) {
			t.Fatalf("event %d not saved without the interval: %v", seq, err)
		}
	}
	// The counter moves just after the view does.
	for deadline := time.Now().Add(5 * time.Second); testutil.ToFloat64(c.m.flushes) < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := testutil.ToFloat64(c.m.flushes); n != 3 {
		t.Fatalf("saves %v, want 3 (one per event applied while the saver was idle)", n)
	}
}

// With a save gap, records that arrive just after a save wait for the gap:
// fewer saves, each covering more.
func TestSaveGapSpacesSaves(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	c.flushInterval = time.Hour
	const gap = 300 * time.Millisecond
	c.WithSaveGap(gap)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.saveLoop(ctx) }()
	defer func() { cancel(); <-done }()
	var saved [3]time.Time
	for seq := uint64(1); seq <= 3; seq++ {
		if err := c.handle(record(t, 0, int64(seq-1), sumevent.Event{ProducerID: "p", Sequence: seq, Num1: 1, Sum: 1})); err != nil {
			t.Fatal(err)
		}
		c.wakeSaver()
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := l.WaitCounted(wctx, sumevent.Token{ProducerID: "p", Sequence: seq})
		wcancel()
		if err != nil {
			t.Fatalf("event %d not saved: %v", seq, err)
		}
		saved[seq-1] = time.Now()
	}
	for i := 1; i < len(saved); i++ {
		if d := saved[i].Sub(saved[i-1]); d < gap*9/10 {
			t.Fatalf("saves %d and %d %s apart, want at least the gap %s", i, i+1, d, gap)
		}
	}
}

type fakeClaim struct {
	sarama.ConsumerGroupClaim // only Partition, Messages and HighWaterMarkOffset are used
	msgs                      chan *sarama.ConsumerMessage
}

func (c fakeClaim) Partition() int32                         { return 0 }
func (c fakeClaim) Messages() <-chan *sarama.ConsumerMessage { return c.msgs }
func (c fakeClaim) HighWaterMarkOffset() int64               { return 0 }

// The records of one fetch are saved together: the saver is woken once the
// claim has nothing more buffered, not at the first record.
func TestOneSaveCoversAFetch(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	c.flushInterval = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	saved := make(chan struct{})
	go func() { defer close(saved); c.saveLoop(ctx) }()
	claim := fakeClaim{msgs: make(chan *sarama.ConsumerMessage, 100)}
	for seq := uint64(1); seq <= 100; seq++ {
		claim.msgs <- record(t, 0, int64(seq-1), sumevent.Event{ProducerID: "p", Sequence: seq, Num1: 1, Sum: 1})
	}
	consumed := make(chan error, 1)
	go func() { consumed <- c.ConsumeClaim(fakeSession{ctx: ctx}, claim) }()
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if v, err := l.WaitCounted(wctx, sumevent.Token{ProducerID: "p", Sequence: 100}); err != nil || v.Total.Int64() != 100 {
		t.Fatalf("fetch not saved: %v", err)
	}
	cancel()
	<-saved
	if err := <-consumed; err != nil {
		t.Fatal(err)
	}
	if n := testutil.ToFloat64(c.m.flushes); n != 1 {
		t.Fatalf("%v saves for one fetch of 100 records, want 1", n)
	}
}

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}
