package ledger

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
)

func ev(producer string, seq uint64, sum int64) sumevent.Event {
	return sumevent.Event{Version: 1, ProducerID: producer, Sequence: seq, Num1: sum, Sum: sum}
}

func TestDuplicatesAreSkippedBySequence(t *testing.T) {
	l := New("t", true)
	outcomes := []Outcome{
		l.Apply(0, 0, ev("a", 1, 10)),
		l.Apply(0, 1, ev("a", 2, 20)),
		l.Apply(0, 2, ev("a", 1, 10)), // re-published after a calculator crash
		l.Apply(0, 3, ev("a", 2, 20)),
		l.Apply(1, 0, ev("b", 1, 5)), // another producer has its own sequence
		l.Apply(0, 4, ev("a", 3, 30)),
		l.Apply(0, 2, ev("a", 3, 30)), // offset already covered (replay after restart)
	}
	want := []Outcome{Applied, Applied, Duplicate, Duplicate, Applied, Applied, Covered}
	for i := range want {
		if outcomes[i] != want[i] {
			t.Fatalf("record %d: outcome %v, want %v", i, outcomes[i], want[i])
		}
	}
	s, _, changed := l.Snapshot()
	if !changed || s.Total != "65" || s.Producers["a"] != 3 || s.Producers["b"] != 1 || s.Offsets[0] != 5 || s.Offsets[1] != 1 || s.Stats.Duplicates != 2 || s.Stats.Applied != 4 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestWithoutDedupeDuplicatesAreCounted(t *testing.T) {
	l := New("t", false)
	l.Apply(0, 0, ev("a", 1, 10))
	l.Apply(0, 1, ev("a", 1, 10))
	if s, _, _ := l.Snapshot(); s.Total != "20" {
		t.Fatalf("total %s, want the double count 20", s.Total)
	}
}

func TestTotalNeverOverflows(t *testing.T) {
	l := New("t", true)
	for i := uint64(1); i <= 4; i++ {
		l.Apply(0, int64(i), ev("a", i, math.MaxInt64))
	}
	s, _, _ := l.Snapshot()
	if s.Total != "36893488147419103228" { // 4 * (2^63 - 1)
		t.Fatalf("total %s", s.Total)
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	l := New("t", true)
	l.Apply(2, 7, ev("a", 1, -4))
	l.Skip(2, 8)
	s, _, _ := l.Snapshot()
	body, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r := New("t", true)
	if err := r.Restore(body); err != nil {
		t.Fatal(err)
	}
	if next, ok := r.NextOffset(2); !ok || next != 9 {
		t.Fatalf("next offset %d %v", next, ok)
	}
	if v := r.View(); v.Total.String() != "-4" || v.Stats.Malformed != 1 {
		t.Fatalf("restored view %+v", v)
	}
	if r.Apply(2, 9, ev("a", 1, -4)) != Duplicate {
		t.Fatal("restored ledger re-applied sequence 1")
	}
	if err := New("other", true).Restore(body); err == nil {
		t.Fatal("state of another topic accepted")
	}
	if err := New("t", true).Restore([]byte(`{"topic":"t","total":"x"}`)); err == nil {
		t.Fatal("non-numeric total accepted")
	}
}

func TestReadersSeeOnlyTheDurableView(t *testing.T) {
	l := New("t", true)
	l.Apply(0, 0, ev("a", 1, 10))
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
	s, accepted, _ := l.Snapshot()
	if len(accepted) != 1 {
		t.Fatalf("accepted times %v", accepted)
	}
	l.Durable(s)
	if v := <-got; v.Total.Int64() != 10 {
		t.Fatalf("durable total %s", v.Total)
	}
	if _, _, changed := l.Snapshot(); changed {
		t.Fatal("snapshot reported changes after nothing was applied")
	}
}
