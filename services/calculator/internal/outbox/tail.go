package outbox

import (
	"sort"
	"sync"

	"github.com/distsum/distsum/libs/sumevent"
)

// tail is the newest committed, unpublished events, kept in memory so the
// relay publishes what the writer just committed without reading the rows
// back (that read was about a tenth of the calculator's CPU under load).
// The database stays the record: a relay behind by more than the tail holds
// (the broker down for a while), or a process that restarted with events
// pending, reads them from the database until it has caught up.
type tail struct {
	mu sync.Mutex
	// events are committed events in sequence order, none marked published.
	// Every unpublished event with a sequence of at least from is in it.
	events []sumevent.Event
	from   uint64
	marked uint64 // every event up to this sequence is marked published
	max    int
}

// newTail starts with what the outbox holds at open: every event up to last
// was committed by an earlier process (the database has those), and every
// event up to marked is published.
func newTail(last, marked uint64, max int) *tail {
	return &tail{from: last + 1, marked: marked, max: max}
}

// committed adds a commit's new events (in sequence order) and its mark.
func (t *tail) committed(events []sumevent.Event, markedUpTo uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, events...)
	if markedUpTo > t.marked {
		t.marked = markedUpTo
		i := 0
		for i < len(t.events) && t.events[i].Sequence <= markedUpTo {
			i++
		}
		t.events = t.events[i:]
	}
	if over := len(t.events) - t.max; over > 0 {
		// The relay is far behind: keep the newest; it reads the older ones
		// from the database.
		t.events = t.events[over:]
		t.from = t.events[0].Sequence
	}
}

// markedUpTo is the newest mark committed.
func (t *tail) markedUpTo() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.marked
}

// pending returns up to limit of the oldest unpublished events above after,
// and false when some of them are not in memory (read the database).
func (t *tail) pending(after uint64, limit int) ([]sumevent.Event, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if max(t.marked, after)+1 < t.from {
		return nil, false
	}
	evs := t.events[sort.Search(len(t.events), func(i int) bool { return t.events[i].Sequence > after }):]
	n := min(limit, len(evs))
	return append([]sumevent.Event(nil), evs[:n]...), true
}
