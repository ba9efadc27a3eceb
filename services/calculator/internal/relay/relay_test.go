package relay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
)

// recordingPublisher keeps what the "broker" acknowledged and can fail.
type recordingPublisher struct {
	mu       *sync.Mutex
	acked    *[]sumevent.Event
	failNext *int // batches to refuse before accepting again
}

func (p recordingPublisher) Publish(_ context.Context, evs []sumevent.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if *p.failNext > 0 {
		*p.failNext--
		return errors.New("broker unavailable")
	}
	*p.acked = append(*p.acked, evs...)
	return nil
}

func (recordingPublisher) Close() error { return nil }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T) *outbox.Store {
	s, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.db"), outbox.Options{ProducerID: "calc-t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRelayPublishesInOrderAndMarksOnlyAfterAck(t *testing.T) {
	store := openStore(t)
	var mu sync.Mutex
	var acked []sumevent.Event
	failNext := 3
	pub := recordingPublisher{&mu, &acked, &failNext}
	created := 0
	r := New(store, func() (Publisher, error) { created++; return pub, nil }, Options{BatchSize: 7, Idle: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, quiet(), nil)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()

	for i := 1; i <= 50; i++ {
		if _, err := store.Append(ctx, outbox.Entry{Num1: int64(i), Num2: 0, Sum: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _, _ := store.Backlog(ctx)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog still %d", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	if len(acked) != 50 {
		t.Fatalf("broker acknowledged %d events, want 50 (no duplicates when nothing crashed)", len(acked))
	}
	for i, e := range acked {
		if e.Sequence != uint64(i+1) {
			t.Fatalf("event %d has sequence %d: out of order", i, e.Sequence)
		}
	}
	if created < 2 {
		t.Fatalf("publisher created %d times; a failed publish must start a new producer session", created)
	}
}

// markFailingSource fails its first marks (fail < 0: every one).
type markFailingSource struct {
	*outbox.Store
	mu    sync.Mutex
	fail  int
	tries int
}

func (s *markFailingSource) MarkPublished(ctx context.Context, upTo uint64) error {
	s.mu.Lock()
	s.tries++
	failing := s.fail != 0
	if s.fail > 0 {
		s.fail--
	}
	s.mu.Unlock()
	if failing {
		return errors.New("disk full")
	}
	return s.Store.MarkPublished(ctx, upTo)
}

func waitBacklog(t *testing.T, store *outbox.Store, want int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if n, _, _ := store.Backlog(context.Background()); n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog never reached %d", want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A mark that fails is made again; what the broker acknowledged is not
// published a second time by the same relay.
func TestFailedMarkIsRetriedWithoutPublishingAgain(t *testing.T) {
	store := openStore(t)
	src := &markFailingSource{Store: store, fail: 2}
	var mu sync.Mutex
	var acked []sumevent.Event
	zero := 0
	pub := recordingPublisher{&mu, &acked, &zero}
	r := New(src, func() (Publisher, error) { return pub, nil }, Options{BatchSize: 100, Idle: 10 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}, quiet(), nil)
	for i := 0; i < 5; i++ {
		store.Append(context.Background(), outbox.Entry{Num1: 1, Num2: 1, Sum: 2})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	waitBacklog(t, store, 0)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(acked) != 5 || src.tries != 3 {
		t.Fatalf("acknowledged %d events with %d marks, want 5 and 3 (two failed)", len(acked), src.tries)
	}
}

// A relay that stops (or crashes) between the broker's acknowledgement and
// the outbox's mark leaves the events pending: the next one publishes them
// again, with the same identity, for totals to skip.
func TestUnmarkedBatchIsPublishedAgainWithTheSameIdentity(t *testing.T) {
	store := openStore(t)
	var mu sync.Mutex
	var acked []sumevent.Event
	zero := 0
	pub := recordingPublisher{&mu, &acked, &zero}
	for i := 0; i < 5; i++ {
		store.Append(context.Background(), outbox.Entry{Num1: 1, Num2: 1, Sum: 2})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	opts := Options{BatchSize: 100, Idle: 10 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	first := New(&markFailingSource{Store: store, fail: -1}, func() (Publisher, error) { return pub, nil }, opts, quiet(), nil)
	go func() { first.Run(ctx); close(done) }()
	for deadline := time.Now().Add(5 * time.Second); count() < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("first relay published nothing")
		}
	}
	cancel()
	<-done
	waitBacklog(t, store, 5)

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go New(store, func() (Publisher, error) { return pub, nil }, opts, quiet(), nil).Run(ctx)
	waitBacklog(t, store, 0)
	mu.Lock()
	defer mu.Unlock()
	if len(acked) != 10 {
		t.Fatalf("acknowledged %d, want the 5 events twice", len(acked))
	}
	for i := 0; i < 5; i++ {
		if acked[i] != acked[i+5] {
			t.Fatalf("re-published event differs: %+v vs %+v", acked[i], acked[i+5])
		}
	}
}

// blockingMarkSource holds every mark until released.
type blockingMarkSource struct {
	*outbox.Store
	release chan struct{}
}

func (s *blockingMarkSource) MarkPublished(ctx context.Context, upTo uint64) error {
	<-s.release
	return s.Store.MarkPublished(ctx, upTo)
}

// relayWithMarksHeld runs a relay over store whose marks wait until the test
// ends; it returns what the broker acknowledged so far.
func relayWithMarksHeld(t *testing.T, store *outbox.Store, batch int) func() []sumevent.Event {
	src := &blockingMarkSource{Store: store, release: make(chan struct{})}
	var mu sync.Mutex
	var acked []sumevent.Event
	zero := 0
	pub := recordingPublisher{&mu, &acked, &zero}
	r := New(src, func() (Publisher, error) { return pub, nil }, Options{BatchSize: batch, Idle: 10 * time.Millisecond}, quiet(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); close(src.release); <-done })
	return func() []sumevent.Event { mu.Lock(); defer mu.Unlock(); return slices.Clone(acked) }
}

// An event accepted while the previous batch is being marked is published
// without waiting for that mark (an outbox commit).
func TestNextBatchIsPublishedWhileTheLastIsMarked(t *testing.T) {
	store := openStore(t)
	acked := relayWithMarksHeld(t, store, 100)
	for want := 1; want <= 2; want++ {
		if _, err := store.Append(context.Background(), outbox.Entry{Num1: 1, Sum: 1}); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); len(acked()) < want; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("event %d not published while the mark of the one before waits", want)
			}
		}
	}
}

// A backlog of full batches is published while the batch before is being
// marked: the relay reads on after what the broker acknowledged instead of
// re-reading the oldest unmarked events and waiting for their mark.
func TestFullBatchesArePublishedWhileTheLastIsMarked(t *testing.T) {
	store := openStore(t)
	for i := 1; i <= 15; i++ {
		if _, err := store.Append(context.Background(), outbox.Entry{Num1: int64(i), Sum: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	acked := relayWithMarksHeld(t, store, 5)
	for deadline := time.Now().Add(5 * time.Second); len(acked()) < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d events published while the first batch's mark waits; want the second batch too", len(acked()))
		}
	}
	for i, e := range acked() {
		if e.Sequence != uint64(i+1) {
			t.Fatalf("published out of order at %d: %+v", i, e)
		}
	}
}

// Drain publishes the whole backlog through publish failures, then returns
// (true) instead of waiting for more; an ended context returns false.
func TestDrainPublishesTheBacklogAndReturns(t *testing.T) {
	store := openStore(t)
	ctx := context.Background()
	for i := 1; i <= 23; i++ {
		if _, err := store.Append(ctx, outbox.Entry{Num1: int64(i), Sum: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var acked []sumevent.Event
	failNext := 2
	pub := recordingPublisher{&mu, &acked, &failNext}
	r := New(store, func() (Publisher, error) { return pub, nil }, Options{BatchSize: 5, MaxBackoff: 10 * time.Millisecond}, quiet(), nil)
	if !r.Drain(ctx) {
		t.Fatal("Drain did not finish")
	}
	if n, _, _ := store.Backlog(ctx); n != 0 || len(acked) != 23 {
		t.Fatalf("after Drain: backlog %d, published %d, want 0 and 23", n, len(acked))
	}
	for i, e := range acked {
		if e.Sequence != uint64(i+1) {
			t.Fatalf("published out of order at %d: %+v", i, e)
		}
	}
	if _, err := store.Append(ctx, outbox.Entry{Num1: 1, Sum: 1}); err != nil {
		t.Fatal(err)
	}
	failNext = 1 << 30
	stopped, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if r.Drain(stopped) {
		t.Fatal("Drain reported done while the broker refused every batch")
	}
}
