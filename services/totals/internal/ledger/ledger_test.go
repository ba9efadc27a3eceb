package ledger

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
)

func ev(producer string, seq uint64, sum int64) sumevent.Event {
	return sumevent.Event{Version: 1, ProducerID: producer, Sequence: seq, Num1: sum, Sum: sum}
}

// apply returns only the outcome.
func apply(l *Ledger, p int32, off int64, e sumevent.Event) Outcome {
	o, _ := l.Apply(p, off, e)
	return o
}

func TestDuplicatesAreSkippedBySequence(t *testing.T) {
	l := New("t", true)
	outcomes := []Outcome{
		apply(l, 0, 0, ev("a", 1, 10)),
		apply(l, 0, 1, ev("a", 2, 20)),
		apply(l, 0, 2, ev("a", 1, 10)), // re-published after a calculator crash
		apply(l, 0, 3, ev("a", 2, 20)),
		apply(l, 1, 0, ev("b", 1, 5)), // another producer has its own sequence
		apply(l, 0, 4, ev("a", 3, 30)),
		apply(l, 0, 2, ev("a", 3, 30)), // offset already covered (replay after restart)
	}
	want := []Outcome{Applied, Applied, Duplicate, Duplicate, Applied, Applied, Covered}
	for i := range want {
		if outcomes[i] != want[i] {
			t.Fatalf("record %d: outcome %v, want %v", i, outcomes[i], want[i])
		}
	}
	s, changed := l.Snapshot()
	if !changed || s.Total != "65" || s.Producers["a"] != 3 || s.Producers["b"] != 1 || s.Offsets[0] != 5 || s.Offsets[1] != 1 || s.Stats.Duplicates != 2 || s.Stats.Applied != 4 {
		t.Fatalf("snapshot %+v", s)
	}
}

// A producer whose batch failed after a later batch was written publishes
// the failed events again after the later ones: 1, 4, 5, 2, 3, 4, 5. Every
// event is counted once, and the token of 4 is not "counted" before 2 and 3.
func TestEventsAheadOfAMissingOneAreHeldUntilItArrives(t *testing.T) {
	l := New("t", true)
	seqs := []uint64{1, 4, 5, 4, 2, 3, 4, 5}
	want := []Outcome{Applied, Held, Held, Duplicate, Applied, Applied, Duplicate, Duplicate}
	for i, q := range seqs {
		if got := apply(l, 0, int64(i), ev("a", q, int64(q)*10)); got != want[i] {
			t.Fatalf("event %d (seq %d): %v, want %v", i, q, got, want[i])
		}
		if q == 5 && i == 2 {
			s, _ := l.Snapshot()
			l.Durable(s)
			if v := l.View(); v.Counted(sumevent.Token{ProducerID: "a", Sequence: 4}) || v.Total.Int64() != 10 || v.Held != 2 {
				t.Fatalf("with 2 and 3 missing: total %s held %d", v.Total, v.Held)
			}
			// Held events survive a restart (the state file's round trip
			// of held events is tested in package state).
			r := New("t", true)
			if err := r.Restore(s); err != nil {
				t.Fatal(err)
			}
			l = r
		}
	}
	s, _ := l.Snapshot()
	if s.Total != "150" || s.Producers["a"] != 5 || len(s.Held) != 0 || s.Stats.Applied != 5 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestWithoutDedupeDuplicatesAreCounted(t *testing.T) {
	l := New("t", false)
	l.Apply(0, 0, ev("a", 1, 10))
	l.Apply(0, 1, ev("a", 1, 10))
	l.Apply(0, 2, ev("a", 3, 10))
	if s, _ := l.Snapshot(); s.Total != "30" {
		t.Fatalf("total %s, want the double count 30", s.Total)
	}
}

func TestTotalNeverOverflows(t *testing.T) {
	l := New("t", true)
	for i := uint64(1); i <= 4; i++ {
		l.Apply(0, int64(i), ev("a", i, math.MaxInt64))
	}
	s, _ := l.Snapshot()
	if s.Total != "36893488147419103228" { // 4 * (2^63 - 1)
		t.Fatalf("total %s", s.Total)
	}
}

func TestReadersSeeOnlyTheDurableView(t *testing.T) {
	l := New("t", true)
	e := ev("a", 1, 10)
	e.AcceptedAt = time.Now().UnixNano()
	l.Apply(0, 0, e)
	if v := l.View(); v.Total.Sign() != 0 {
		t.Fatalf("unsaved total visible: %s", v.Total)
	}
	tok := sumevent.Token{ProducerID: "a", Sequence: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.WaitCounted(ctx, tok); err == nil {
		t.Fatal("WaitCounted returned before the state was saved")
	}
	got := make(chan *View)
	go func() {
		v, _ := l.WaitCounted(context.Background(), tok)
		got <- v
	}()
	s, _ := l.Snapshot()
	l.Durable(s)
	if v := <-got; v.Total.Int64() != 10 {
		t.Fatalf("durable total %s", v.Total)
	}
	if _, changed := l.Snapshot(); changed {
		t.Fatal("snapshot reported changes after nothing was applied")
	}
}

// A save wakes the waiters whose events it counts and no others; a waiter
// that gives up is forgotten.
func TestSaveWakesOnlyTheWaitersItCounts(t *testing.T) {
	l := New("t", true)
	type result struct {
		seq uint64
		v   *View
	}
	got := make(chan result, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for seq := uint64(1); seq <= 3; seq++ {
		go func() {
			v, err := l.WaitCounted(ctx, sumevent.Token{ProducerID: "p", Sequence: seq})
			if err == nil {
				got <- result{seq, v}
			}
		}()
	}
	waitFor(t, func() bool { l.wmu.Lock(); defer l.wmu.Unlock(); return len(l.waiters) == 3 })
	l.Apply(0, 0, ev("p", 1, 10))
	l.Apply(0, 1, ev("p", 2, 5))
	s, _ := l.Snapshot()
	l.Durable(s)
	for range 2 {
		r := <-got
		if r.seq > 2 || r.v.Total.Int64() != 15 {
			t.Fatalf("waiter %d woken with total %s", r.seq, r.v.Total)
		}
	}
	select {
	case r := <-got:
		t.Fatalf("waiter %d woken by a save that does not count it", r.seq)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	waitFor(t, func() bool { l.wmu.Lock(); defer l.wmu.Unlock(); return len(l.waiters) == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// After a restore, applying an event must not show in the durable view
// before it is saved: the view and the working state share no maps.
func TestRestoredViewIsNotTheWorkingState(t *testing.T) {
	l := New("t", true)
	l.Apply(0, 0, ev("p", 1, 10))
	s, _ := l.Snapshot()
	r := New("t", true)
	if err := r.Restore(s); err != nil {
		t.Fatal(err)
	}
	r.Apply(0, 1, ev("p", 2, 5))
	if v := r.View(); v.Counted(sumevent.Token{ProducerID: "p", Sequence: 2}) || v.Offsets[0] != 1 || v.Total.Int64() != 10 {
		t.Fatalf("unsaved event visible after a restore: counted=%v offsets=%v total=%s",
			v.Counted(sumevent.Token{ProducerID: "p", Sequence: 2}), v.Offsets, v.Total)
	}
}

func TestMissingSequences(t *testing.T) {
	producers := map[string]uint64{"a": 4, "b": 10}
	held := map[string]map[uint64]int64{
		"a": {9: 1, 10: 1, 12: 1}, // 5..8 missing, and 11
		"c": {3: 1},               // never seen: 1..2 missing
		"b": {},
	}
	got := MissingSequences(producers, held)
	want := []Gap{{Producer: "a", From: 5, To: 8, Held: 3, Missing: 5}, {Producer: "c", From: 1, To: 2, Held: 1, Missing: 2}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if MissingSequences(producers, nil) != nil {
		t.Fatal("gaps without held events")
	}
	// Through the ledger: a held event shows in the durable view's gaps.
	l := New("t", true)
	l.Apply(0, 0, sumevent.Event{ProducerID: "p", Sequence: 1, Sum: 1})
	l.Apply(0, 1, sumevent.Event{ProducerID: "p", Sequence: 4, Sum: 1})
	s, _ := l.Snapshot()
	l.Durable(s)
	if g := l.View().Gaps; len(g) != 1 || g[0] != (Gap{Producer: "p", From: 2, To: 3, Held: 1, Missing: 2}) {
		t.Fatalf("view gaps %+v", g)
	}
}

// evr is an event with its request id and operands, as a calculator writes it.
func evr(producer string, seq uint64, req string, n1, n2 int64) *sumevent.Event {
	return &sumevent.Event{Version: 1, ProducerID: producer, Sequence: seq, RequestID: req, Num1: n1, Num2: n2, Sum: n1 + n2}
}

// Two calculators given one producer id both write sequence 2: the second is
// a collision (not applied, its offset not passed until it is parked), while
// a re-publish of the same event stays a plain duplicate.
func TestCollisionIsToldFromARepublish(t *testing.T) {
	l := New("t", true)
	l.ApplyRecord(0, 0, evr("p", 1, "r1", 1, 1))
	l.ApplyRecord(0, 1, evr("p", 2, "r2", 2, 3))
	if r := l.ApplyRecord(0, 2, evr("p", 2, "r2", 2, 3)); r.Outcome != Duplicate || r.Unverified {
		t.Fatalf("re-publish: %+v, want a verified duplicate", r)
	}
	r := l.ApplyRecord(0, 3, evr("p", 2, "other", 4, 5))
	if r.Outcome != Collision || r.CountedSum != 5 || r.CountedHeld {
		t.Fatalf("second writer: %+v, want a collision with the counted sum 5", r)
	}
	if next, _ := l.NextOffset(0); next != 3 {
		t.Fatalf("next offset %d: a collision passed its offset before it was parked", next)
	}
	// Same numbers, another request: still another Add.
	if r := l.ApplyRecord(0, 3, evr("p", 1, "r9", 1, 1)); r.Outcome != Collision {
		t.Fatalf("same sum, other request id: %v, want a collision", r.Outcome)
	}
	if !l.Parked(0, 3) {
		t.Fatal("Parked did not pass the offset")
	}
	s, _ := l.Snapshot()
	if s.Total != "7" || s.Producers["p"] != 2 || s.Offsets[0] != 4 || s.Stats.Duplicates != 1 || s.Stats.Malformed != 0 {
		t.Fatalf("snapshot %+v", s)
	}
}

// A held event's sequence written again with other content is a collision
// too, also after a restart (held sums are in the state file).
func TestCollisionOfAHeldEvent(t *testing.T) {
	l := New("t", true)
	l.ApplyRecord(0, 0, evr("p", 1, "r1", 1, 0))
	if r := l.ApplyRecord(0, 1, evr("p", 3, "r3", 3, 0)); r.Outcome != Held {
		t.Fatalf("%+v", r)
	}
	if r := l.ApplyRecord(0, 2, evr("p", 3, "r3", 3, 0)); r.Outcome != Duplicate || r.Unverified {
		t.Fatalf("held re-publish: %+v", r)
	}
	if r := l.ApplyRecord(0, 3, evr("p", 3, "x", 7, 0)); r.Outcome != Collision || !r.CountedHeld || r.CountedSum != 3 {
		t.Fatalf("held collision: %+v", r)
	}
	l.Parked(0, 3)
	s, _ := l.Snapshot()
	r := New("t", true)
	if err := r.Restore(s); err != nil {
		t.Fatal(err)
	}
	if res := r.ApplyRecord(0, 4, evr("p", 3, "y", 8, 0)); res.Outcome != Collision || res.CountedSum != 3 {
		t.Fatalf("held collision after a restart: %+v", res)
	}
	if res := r.ApplyRecord(0, 4, evr("p", 3, "r3", 3, 0)); res.Outcome != Duplicate || !res.Unverified {
		t.Fatalf("held re-publish after a restart: %+v, want an unverified duplicate (no fingerprint kept)", res)
	}
	// Released by 2, the restored held event enters the window with its
	// sum only: another sum is a collision, the same sum cannot be told.
	r.ApplyRecord(0, 5, evr("p", 2, "r2", 2, 0))
	if res := r.ApplyRecord(0, 6, evr("p", 3, "z", 5, 0)); res.Outcome != Collision || res.CountedSum != 3 {
		t.Fatalf("released held event, other sum: %+v", res)
	}
	if res := r.ApplyRecord(0, 6, evr("p", 3, "z", 1, 2)); res.Outcome != Duplicate || !res.Unverified {
		t.Fatalf("released held event, same sum other request: %+v, want unverified", res)
	}
}

// A duplicate behind the window cannot be checked: it is an unverified
// duplicate; inside the window it is checked. With fingerprints off (the
// negative control) the same collision is a silent, verified-looking
// duplicate: the check is what catches it.
func TestCollisionWindow(t *testing.T) {
	const window = 8
	fill := func(l *Ledger) {
		for i := uint64(1); i <= 20; i++ {
			l.ApplyRecord(0, int64(i), evr("p", i, fmt.Sprint("r", i), int64(i), 0))
		}
	}
	l := New("t", true).WithFingerprints(window, 1<<20)
	fill(l)
	if r := l.ApplyRecord(0, 21, evr("p", 13, "other", 1, 1)); r.Outcome != Collision || r.CountedSum != 13 {
		t.Fatalf("inside the window: %+v", r)
	}
	if r := l.ApplyRecord(0, 21, evr("p", 12, "other", 1, 1)); r.Outcome != Duplicate || !r.Unverified {
		t.Fatalf("behind the window: %+v, want an unverified duplicate", r)
	}
	if r := l.ApplyRecord(0, 22, evr("p", 20, "r20", 20, 0)); r.Outcome != Duplicate || r.Unverified {
		t.Fatalf("re-publish inside the window: %+v", r)
	}

	off := New("t", true).WithFingerprints(0, 0)
	fill(off)
	if r := off.ApplyRecord(0, 21, evr("p", 13, "other", 1, 1)); r.Outcome != Duplicate || r.Unverified {
		t.Fatalf("fingerprints off: %+v, want the silent duplicate the check exists for", r)
	}

	// The budget bounds all rings together: a second producer gets what is
	// left, and its duplicates behind that are unverified.
	b := New("t", true).WithFingerprints(window, window+2)
	fill(b)
	for i := uint64(1); i <= 5; i++ {
		b.ApplyRecord(1, int64(i), evr("q", i, "q", int64(i), 0))
	}
	if b.used != window+2 {
		t.Fatalf("%d slots allocated, budget %d", b.used, window+2)
	}
	if r := b.ApplyRecord(1, 6, evr("q", 4, "x", 0, 0)); r.Outcome != Collision {
		t.Fatalf("inside the second producer's 2 slots: %+v", r)
	}
	if r := b.ApplyRecord(1, 6, evr("q", 3, "x", 0, 0)); r.Outcome != Duplicate || !r.Unverified {
		t.Fatalf("behind the second producer's 2 slots: %+v", r)
	}
}
