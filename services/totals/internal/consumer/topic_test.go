package consumer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

func TestChangedTopic(t *testing.T) {
	next := map[int32]int64{0: 30, 2: 5}
	if why := changed("id1", "id1", next, map[int32]int64{0: 30, 1: 0, 2: 9}); why != "" {
		t.Fatalf("same topic: %s", why)
	}
	if why := changed("", "id1", next, map[int32]int64{0: 40, 2: 9}); why != "" {
		t.Fatalf("an old state without an id: %s", why)
	}
	if why := changed("id0", "id1", next, map[int32]int64{0: 40, 2: 9}); !strings.Contains(why, "deleted and created again") {
		t.Fatalf("another id: %q", why)
	}
	// No id to compare (an old state, or the id unreadable): a saved offset
	// past the end gives the change away.
	if why := changed("", "", next, map[int32]int64{0: 12, 2: 9}); !strings.Contains(why, "partition 0 ends at offset 12, the state's next offset is 30") {
		t.Fatalf("offset past the end: %q", why)
	}
}

// consumingTopology applies records while the end offsets are being read, as
// the running session does while the lag timer checks the topic.
type consumingTopology struct {
	fakeTopology
	during func()
}

func (f consumingTopology) Bounds(topic string, ps []int32) (map[int32]int64, map[int32]int64, error) {
	oldest, newest, err := f.fakeTopology.Bounds(topic, ps)
	f.during()
	return oldest, newest, err
}

// The end offsets are read while records arrive: the state may then be past
// them, and that is not a changed topic (it was, before the next offsets
// were taken first: a healthy replica re-read the whole topic every few
// seconds under load).
func TestTopicWatchIgnoresRecordsConsumedMeanwhile(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	l.SetTopicID("id")
	for off := range int64(10) {
		l.Apply(0, off, sumevent.Event{ProducerID: "p", Sequence: uint64(off + 1), Sum: 1})
	}
	c.WithTopology(consumingTopology{
		fakeTopology: fakeTopology{partitions: 1, id: "id", oldest: map[int32]int64{0: 0}, newest: map[int32]int64{0: 10}},
		during: func() { // two more records arrive and are applied meanwhile
			for off := int64(10); off < 12; off++ {
				l.Apply(0, off, sumevent.Event{ProducerID: "p", Sequence: uint64(off + 1), Sum: 1})
			}
		},
	})
	c.watchTopic(context.Background(), []int32{0})
	c.topicMu.Lock()
	pending := c.watch.pending
	c.topicMu.Unlock()
	if pending != "" {
		t.Fatalf("records consumed while the end offsets were read taken for a changed topic: %s", pending)
	}
	if next, _ := l.NextOffset(0); next != 12 {
		t.Fatalf("next offset %d, want 12 (offsets forgotten?)", next)
	}
}

func TestRecreatedTopicIsReadAgainUntilItsOldEnd(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	l.SetTopicID("old")
	for off := range int64(30) {
		l.Apply(0, off, sumevent.Event{ProducerID: "p", Sequence: uint64(off + 1), Sum: 1})
	}
	c.WithTopology(fakeTopology{partitions: 1, id: "new", oldest: map[int32]int64{0: 0}, newest: map[int32]int64{0: 5}})
	c.setUpTopic([]int32{0}, map[int32]int64{0: 5})
	if _, known := l.NextOffset(0); known || l.TopicID() != "new" {
		t.Fatalf("offsets kept after the topic changed (id %s)", l.TopicID())
	}
	err := c.TopicCheck(context.Background())
	if err == nil || !strings.Contains(err.Error(), "deleted and created again") || !strings.Contains(err.Error(), "partition 0 at 0 of 5") {
		t.Fatalf("re-reading: %v", err)
	}
	// The new topic's events continue the producer's sequence.
	for off := range int64(5) {
		if o, _ := l.Apply(0, off, sumevent.Event{ProducerID: "p", Sequence: uint64(31 + off), Sum: 1}); o != ledger.Applied {
			t.Fatalf("offset %d: outcome %v", off, o)
		}
	}
	if err := c.TopicCheck(context.Background()); err != nil || testutil.ToFloat64(c.m.rereading) != 0 {
		t.Fatalf("after the re-read: %v", err)
	}
	s, _ := l.Snapshot()
	if s.Total != "35" {
		t.Fatalf("total %s, want 35", s.Total)
	}
}

func TestRecordsDeletedUnreadAreSkippedAndReported(t *testing.T) {
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	l.Apply(0, 9, sumevent.Event{ProducerID: "p", Sequence: 1, Sum: 1})
	moved := c.skipDeleted([]int32{0, 1}, map[int32]int64{0: 20, 1: 0})
	if moved[0] != 20 || len(moved) != 1 {
		t.Fatalf("moved %v", moved)
	}
	if next, _ := l.NextOffset(0); next != 20 {
		t.Fatalf("next offset %d, want 20", next)
	}
	s, _ := l.Snapshot()
	if s.Stats.DeletedUnread != 10 {
		t.Fatalf("deleted unread %d, want 10", s.Stats.DeletedUnread)
	}
	l.Durable(s)
	if err := c.LogCheck(context.Background()); err == nil || !strings.Contains(err.Error(), "partition 0 offsets 10..19") {
		t.Fatalf("log check: %v", err)
	}
}
