package state

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ev(producer string, seq uint64, sum int64) sumevent.Event {
	return sumevent.Event{Version: 1, ProducerID: producer, Sequence: seq, Num1: sum, Sum: sum}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	l := ledger.New("t", true)
	l.Apply(2, 7, ev("a", 1, -4))
	l.Skip(2, 8)
	s, _ := l.Snapshot()
	body, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	restore := func(topic string, body []byte) (*ledger.Ledger, error) {
		snap, err := Decode(body)
		if err != nil {
			return nil, err
		}
		r := ledger.New(topic, true)
		return r, r.Restore(snap)
	}
	r, err := restore("t", body)
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := r.NextOffset(2); !ok || next != 9 {
		t.Fatalf("next offset %d %v", next, ok)
	}
	if v := r.View(); v.Total.String() != "-4" || v.Stats.Malformed != 1 {
		t.Fatalf("restored view %+v", v)
	}
	if o, _ := r.Apply(2, 9, ev("a", 1, -4)); o != ledger.Duplicate {
		t.Fatal("restored ledger re-applied sequence 1")
	}
	if _, err := restore("other", body); err == nil {
		t.Fatal("state of another topic accepted")
	}
	if _, err := restore("t", []byte(`{"topic":"t","total":"x"}`)); err == nil {
		t.Fatal("non-numeric total accepted")
	}
}

// Events held ahead of a missing one survive a restart through the state
// file, and are applied when the missing one arrives.
func TestHeldEventsSurviveARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	l := ledger.New("t", true)
	st, err := Open(path, l, quiet())
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range []uint64{1, 4, 5} {
		l.Apply(0, int64(i), ev("a", q, int64(q)*10))
	}
	if _, changed, err := st.Save(); !changed || err != nil {
		t.Fatalf("save: changed=%v err=%v", changed, err)
	}
	r := ledger.New("t", true)
	if _, err := Open(path, r, quiet()); err != nil {
		t.Fatal(err)
	}
	if v := r.View(); v.Total.Int64() != 10 || v.Held != 2 {
		t.Fatalf("restored: total %s held %d", v.Total, v.Held)
	}
	r.Apply(0, 3, ev("a", 2, 20))
	r.Apply(0, 4, ev("a", 3, 30))
	if s, _ := r.Snapshot(); s.Total != "150" || s.Producers["a"] != 5 || len(s.Held) != 0 {
		t.Fatalf("snapshot %+v", s)
	}
}

// A corrupt state file stops the service with an error naming the file; it
// is never read as an empty state.
func TestOpenRefusesACorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, ledger.New("t", true), quiet())
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a corrupt file: %v", err)
	}
}
