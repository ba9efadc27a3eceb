package consumer

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/distsum/distsum/libs/sumevent"
)

func TestLag(t *testing.T) {
	for _, tc := range []struct {
		name              string
		next              int64
		known             bool
		oldest, end, want int64
	}{
		{"caught up", 10, true, 0, 10, 0},
		{"behind", 4, true, 0, 10, 6},
		{"never seen: from the oldest record", 0, false, 3, 10, 7},
		{"empty partition", 0, false, 0, 0, 0},
		{"records below the next offset deleted by retention", 2, true, 5, 10, 5},
		{"end below next (stale answer) is not negative", 12, true, 0, 10, 0},
	} {
		if got := lag(tc.next, tc.known, tc.oldest, tc.end); got != tc.want {
			t.Errorf("%s: lag(%d, %v, %d, %d) = %d, want %d", tc.name, tc.next, tc.known, tc.oldest, tc.end, got, tc.want)
		}
	}
}

// fakeOffsets is a broker whose partitions grow as records are produced.
type fakeOffsets struct {
	mu     sync.Mutex
	oldest map[int32]int64
	end    map[int32]int64
	err    error
	calls  int
}

func (f *fakeOffsets) Range(topic string, ps []int32) (map[int32]int64, map[int32]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, nil, f.err
	}
	o, e := map[int32]int64{}, map[int32]int64{}
	for _, p := range ps {
		o[p], e[p] = f.oldest[p], f.end[p]
	}
	return o, e, nil
}

func (f *fakeOffsets) produce(p int32, n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.end[p] += n
}

func (f *fakeOffsets) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeOffsets) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

// While no record arrives (a stalled consumer), the lag follows the broker's
// end offsets on the timer; it is the distance from what the ledger has.
func TestLagFollowsEndOffsetsWithoutRecords(t *testing.T) {
	c, _ := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	broker := &fakeOffsets{oldest: map[int32]int64{0: 0, 1: 2}, end: map[int32]int64{0: 3, 1: 2}}
	c.WithLag(broker, 5*time.Millisecond)
	for off := int64(0); off < 3; off++ {
		if err := c.handle(record(t, 0, off, sumevent.Event{ProducerID: "p", Sequence: uint64(off + 1), Num1: 1, Sum: 1})); err != nil {
			t.Fatal(err)
		}
	}
	gauge := func(p string) float64 { return testutil.ToFloat64(c.m.lag.WithLabelValues(p)) }
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: lag p0=%v p1=%v", what, gauge("0"), gauge("1"))
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.trackLag(ctx, []int32{0, 1}) }()

	waitFor("caught up", func() bool { return gauge("0") == 0 && gauge("1") == 0 && broker.callCount() > 0 })
	broker.produce(0, 5) // records the consumer does not apply
	broker.produce(1, 4) // a partition it has never read: from its oldest offset (2)
	waitFor("lag grows with the end offsets", func() bool { return gauge("0") == 5 && gauge("1") == 4 })
	broker.produce(0, 100)
	waitFor("and keeps growing", func() bool { return gauge("0") == 105 })

	// A broker that does not answer leaves the last value (no false zero).
	broker.setErr(errors.New("broker down"))
	broker.produce(0, 1)
	time.Sleep(30 * time.Millisecond)
	if got := gauge("0"); got != 105 {
		t.Fatalf("lag while the broker fails = %v, want the last value 105", got)
	}
	broker.setErr(nil)
	waitFor("updated again", func() bool { return gauge("0") == 106 })

	cancel()
	<-done
	calls := broker.callCount()
	broker.produce(0, 1)
	time.Sleep(30 * time.Millisecond)
	if broker.callCount() != calls || gauge("0") != 106 {
		t.Fatalf("lag updates went on after the session ended: %d calls (was %d), lag %v", broker.callCount(), calls, gauge("0"))
	}
}

// Without an offsets source the consumer keeps only the per-record update.
func TestNoLagTrackingWithoutOffsets(t *testing.T) {
	c, _ := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	done := make(chan struct{})
	go func() { defer close(done); c.trackLag(context.Background(), []int32{0}) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("trackLag without offsets did not return")
	}
}

type fakeSession struct {
	sarama.ConsumerGroupSession // only Claims and Context are used
	ctx                         context.Context
	claims                      map[string][]int32
}

func (s fakeSession) Claims() map[string][]int32 { return s.claims }
func (s fakeSession) Context() context.Context   { return s.ctx }

// blockingOffsets is a broker that does not answer until released.
type blockingOffsets struct{ release chan struct{} }

func (b blockingOffsets) Range(string, []int32) (map[int32]int64, map[int32]int64, error) {
	<-b.release
	return map[int32]int64{0: 0}, map[int32]int64{0: 99}, nil
}

// A new session drops the lag of partitions it does not hold (another
// consumer reports them), and ending a session does not wait for a broker
// that does not answer, nor let its late answer set a value.
func TestSessionLagLifecycle(t *testing.T) {
	c, _ := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	c.m.lag.WithLabelValues("2").Set(7) // from an earlier session
	c.m.lag.WithLabelValues("0").Set(3) // kept by the new session
	broker := blockingOffsets{release: make(chan struct{})}
	c.WithLag(broker, time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.startLag(fakeSession{ctx: ctx, claims: map[string][]int32{"topic": {0}}})
	if n, kept := testutil.CollectAndCount(c.m.lag), testutil.ToFloat64(c.m.lag.WithLabelValues("0")); n != 1 || kept != 3 {
		t.Fatalf("%d lag series, partition 0 at %v after the new session started; want only partition 0's, kept at 3", n, kept)
	}
	start := time.Now()
	c.stopLag()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stopLag waited %s for an unanswered broker", d)
	}
	close(broker.release)
	time.Sleep(50 * time.Millisecond)
	if got := testutil.ToFloat64(c.m.lag.WithLabelValues("0")); got != 3 {
		t.Fatalf("the ended session's late answer set the lag to %v", got)
	}
}
