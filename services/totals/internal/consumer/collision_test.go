package consumer

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/distsum/distsum/libs/sumevent"
)

// A record reusing a counted sequence with another sum is parked, counted
// in totals_sequence_collisions_total and fails the "collisions" check until
// restart; a re-publish of the counted event stays a plain duplicate.
func TestCollisionIsParkedAndFailsReadiness(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	first := sumevent.Event{ProducerID: "p1", Sequence: 17, RequestID: "a", Num1: 2, Num2: 3, Sum: 5}
	for i := uint64(1); i < 17; i++ {
		c.handle(record(t, 0, int64(i-1), sumevent.Event{ProducerID: "p1", Sequence: i, RequestID: "x", Num1: 0, Sum: 0}))
	}
	c.handle(record(t, 0, 16, first))
	if err := c.handle(record(t, 0, 17, first)); err != nil { // re-published after a crash
		t.Fatal(err)
	}
	if err := c.CollisionsCheck(context.Background()); err != nil {
		t.Fatalf("a re-publish failed the check: %v", err)
	}
	second := sumevent.Event{ProducerID: "p1", Sequence: 17, RequestID: "b", Num1: 4, Num2: 5, Sum: 9}
	if err := c.handle(record(t, 0, 18, second)); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	err := c.CollisionsCheck(context.Background())
	want := "producer p1: sequence 17 counted with sum 5, record at partition 0 offset 18 has sum 9 (two writers under one producer id?)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("collisions check: %v, want it to name %q", err, want)
	}
	if got := testutil.ToFloat64(c.m.collisions.WithLabelValues("p1")); got != 1 {
		t.Fatalf("totals_sequence_collisions_total{producer=p1} = %v", got)
	}
	if got := testutil.ToFloat64(c.m.duplicates); got != 1 {
		t.Fatalf("totals_duplicates_skipped_total = %v, want the re-publish only", got)
	}
	if v := l.View(); v.Total.Int64() != 5 || v.Offsets[0] != 19 || v.Stats.Malformed != 0 {
		t.Fatalf("view total %s offsets %v stats %+v", v.Total, v.Offsets, v.Stats)
	}
	f, err := os.Open(c.deadLetter.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var parked []Parked
	for sc.Scan() {
		var p Parked
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		parked = append(parked, p)
	}
	if len(parked) != 1 || parked[0].Offset != 18 || !strings.Contains(parked[0].Error, "sequence collision") {
		t.Fatalf("parked %+v", parked)
	}
	if back, err := sumevent.Decode([]byte(parked[0].Value)); err != nil || back.Sum != 9 {
		t.Fatalf("parked value %q: %v", parked[0].Value, err)
	}
}

// A duplicate the ledger cannot compare (counted before a restart) is
// counted as unverified, not passed silently.
func TestUnverifiedDuplicateIsCounted(t *testing.T) {
	dir := t.TempDir()
	c, _ := newConsumer(t, filepath.Join(dir, "state"))
	c.handle(record(t, 0, 0, sumevent.Event{ProducerID: "p", Sequence: 1, RequestID: "a", Num1: 1, Sum: 1}))
	c.Flush()
	r, _ := newConsumer(t, filepath.Join(dir, "state"))
	if err := r.handle(record(t, 0, 1, sumevent.Event{ProducerID: "p", Sequence: 1, RequestID: "b", Num1: 7, Sum: 7})); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(r.m.unverified); got != 1 {
		t.Fatalf("totals_duplicates_unverified_total = %v", got)
	}
	if r.CollisionsCheck(context.Background()) != nil {
		t.Fatal("an unverifiable duplicate reported as a collision")
	}
}
