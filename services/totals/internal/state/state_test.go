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
	if _, changed, err := st.Save(nil); !changed || err != nil {
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

func TestTopicIDRoundTripAndOldFilesWithoutIt(t *testing.T) {
	l := ledger.New("t", true)
	l.Apply(0, 0, ev("a", 1, 5))
	l.SetTopicID("f9CdsurRRbqaj2FHFm0kxA")
	l.Advance(1, 40)
	s, _ := l.Snapshot()
	body, err := Encode(s)
	if err != nil || !strings.Contains(string(body), `"topic_id": "f9CdsurRRbqaj2FHFm0kxA"`) {
		t.Fatalf("%s %v", body, err)
	}
	back, err := Decode(body)
	if err != nil || back.TopicID != s.TopicID || back.Stats.DeletedUnread != 40 {
		t.Fatalf("%+v %v", back, err)
	}
	// A file saved before topic ids were recorded loads, with no id: the
	// consumer records the topic's id at its next session.
	old := `{"topic": "t", "total": "12", "producers": {"a": 3}, "offsets": {"0": 3}, "stats": {"applied": 3}, "saved_at": "2026-01-01T00:00:00Z"}`
	path := filepath.Join(t.TempDir(), "state")
	if err := (File{Path: path, Kind: Kind}).Save([]byte(old)); err != nil {
		t.Fatal(err)
	}
	r := ledger.New("t", true)
	st, err := Open(path, r, quiet())
	if err != nil || st.Fresh() || r.TopicID() != "" || r.View().Total.Int64() != 12 || string(st.LastSaved()) != old {
		t.Fatalf("old file: %v fresh=%v id=%q total=%s", err, st != nil && st.Fresh(), r.TopicID(), r.View().Total)
	}
}

func TestOpenReplacingMovesTheFileAsideAndAdoptSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, ledger.New("t", true), quiet()); err == nil {
		t.Fatal("a corrupt file loaded")
	}
	l := ledger.New("t", true)
	st, aside, err := OpenReplacing(path, l, quiet())
	if err != nil || !strings.Contains(aside, "state.corrupt-") || !st.Fresh() {
		t.Fatalf("%q %v", aside, err)
	}
	if b, err := os.ReadFile(aside); err != nil || string(b) != "garbage" {
		t.Fatalf("moved file: %q %v", b, err)
	}
	snap := ledger.Snapshot{Topic: "t", TopicID: "x", Total: "42", Producers: map[string]uint64{"a": 2}, Offsets: map[int32]int64{0: 2}}
	if err := st.Adopt(snap); err != nil {
		t.Fatal(err)
	}
	again := ledger.New("t", true)
	if _, err := Open(path, again, quiet()); err != nil || again.View().Total.Int64() != 42 || again.TopicID() != "x" {
		t.Fatalf("after adopt: %v %s", err, again.View().Total)
	}
}
