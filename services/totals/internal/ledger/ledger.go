// Package ledger is the totals service's state machine: the running total,
// the highest sequence applied per producer, and the Kafka offsets the state
// covers. Applying the same event twice changes nothing, so re-delivery from
// Kafka and re-publishing by a calculator are both harmless. A "duplicate"
// whose content differs from the event counted under its producer and
// sequence is not harmless: it is a Collision (see fingerprint.go).
//
// A producer's events are applied strictly in sequence order: an event that
// arrives ahead of a missing one is held (in the state file too) until the
// missing one arrives, then both are applied. So the high-water mark means
// "every event up to here is counted", and the rule holds even if a producer
// ever writes a later event to Kafka before an earlier one (an idempotent
// producer that fails a batch and goes on with a new epoch can do that; the
// relay then publishes the failed events again, after the later ones).
//
// The ledger has two views: the working state that records are applied to,
// and the durable view, which is what was last saved to the state file. Reads
// (GET /total) see only the durable view, so a total once shown never goes
// back after a crash.
package ledger

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
)

// Outcome says what Apply did with a record.
type Outcome int

const (
	// Applied: the sum was added to the total.
	Applied Outcome = iota
	// Duplicate: the producer's sequence was already applied; skipped.
	Duplicate
	// Covered: the offset is below what the state already covers; skipped
	// without looking at it (a replay after a restart).
	Covered
	// Held: the event is ahead of a missing one of its producer; it is
	// applied when the missing one arrives.
	Held
	// Collision: the producer's sequence was already applied (or held) with
	// other content: two writers under one producer id, or a forged record.
	// The record is not applied and its offset not passed: the caller parks
	// it, then calls Parked.
	Collision
)

// Result is what ApplyRecord did with a record.
type Result struct {
	Outcome Outcome
	// Applied is how many events were added to the total (more than one
	// when the record filled a gap and released held events).
	Applied int
	// Unverified marks a Duplicate whose content could not be compared: its
	// sequence is behind the fingerprint window (or was counted before this
	// process started).
	Unverified bool
	// CountedSum is, for a Collision, the sum of the event counted under the
	// same sequence (held, not yet counted, if CountedHeld).
	CountedSum  int64
	CountedHeld bool
}

// Stats are counters kept with the state.
type Stats struct {
	Applied    uint64
	Duplicates uint64
	Malformed  uint64
	// Gaps counts events that arrived ahead of a missing one and were held.
	Gaps uint64
	// DeletedUnread counts offsets deleted from Kafka (retention,
	// DeleteRecords) before this state had read them.
	DeletedUnread uint64
}

// Snapshot is a copy of the whole state, as the state file keeps it.
type Snapshot struct {
	Topic string
	// TopicID is the Kafka id of the topic the offsets are in (empty: not
	// known yet, e.g. a state saved before ids were recorded).
	TopicID   string
	Total     string
	Producers map[string]uint64
	// Offsets maps partition to the next offset to read.
	Offsets map[int32]int64
	// Held maps producer to the sums of events held ahead of a missing one.
	Held    map[string]map[uint64]int64
	Stats   Stats
	SavedAt time.Time
}

// View is an immutable durable state, as served to readers.
type View struct {
	Total     *big.Int
	Producers map[string]uint64
	Offsets   map[int32]int64
	Stats     Stats
	Held      int   // events held ahead of a missing one
	Gaps      []Gap // the missing sequences those events wait for

	json []byte // Total as a JSON number and a newline, made once per save
}

// TotalJSON is the total as GET /total answers it: a bare JSON integer and a
// newline. Every request of a view shares the bytes (do not modify them):
// formatting a big integer per request is the handler's largest cost.
func (v *View) TotalJSON() []byte {
	if v.json == nil {
		return append(v.Total.Append(nil, 10), '\n')
	}
	return v.json
}

// Gap is a producer's sequences known to be missing: its events From..To
// were never applied, and Held later events wait behind them. Missing counts
// every missing sequence up to the producer's highest held one (there may be
// more holes between held events).
type Gap struct {
	Producer string
	From, To uint64
	Held     int
	Missing  uint64
}

// MissingSequences lists, by producer, the sequences known to be missing:
// from the high-water mark + 1 to the first held sequence - 1.
func MissingSequences(producers map[string]uint64, held map[string]map[uint64]int64) []Gap {
	var gaps []Gap
	for p, h := range held {
		if len(h) == 0 {
			continue
		}
		hwm := producers[p]
		first, last := uint64(0), uint64(0)
		for seq := range h {
			if first == 0 || seq < first {
				first = seq
			}
			last = max(last, seq)
		}
		gaps = append(gaps, Gap{Producer: p, From: hwm + 1, To: first - 1, Held: len(h), Missing: last - hwm - uint64(len(h))})
	}
	slices.SortFunc(gaps, func(a, b Gap) int { return strings.Compare(a.Producer, b.Producer) })
	return gaps
}

// Ledger holds the state; it is safe for concurrent use.
type Ledger struct {
	topic  string
	dedupe bool

	mu        sync.Mutex
	topicID   string
	total     big.Int
	producers map[string]*producer
	offsets   map[int32]int64
	held      map[string]map[uint64]counted
	stats     Stats
	dirty     bool

	// Fingerprints of recent applied events (see fingerprint.go); window 0
	// turns the content check off.
	window, budget int
	used           int // ring slots allocated, all producers

	durable atomic.Pointer[View]
	wmu     sync.Mutex
	waiters map[*waiter]struct{} // WaitCounted calls not yet counted (wmu)
}

// New returns an empty ledger for topic. dedupe=false applies duplicates too
// and exists only so tests can prove they detect double counting.
func New(topic string, dedupe bool) *Ledger {
	l := &Ledger{topic: topic, dedupe: dedupe, producers: map[string]*producer{}, offsets: map[int32]int64{}, held: map[string]map[uint64]counted{},
		window: DefaultWindow, budget: DefaultFingerprintBudget, waiters: map[*waiter]struct{}{}}
	l.durable.Store(&View{Total: new(big.Int), Producers: map[string]uint64{}, Offsets: map[int32]int64{}, json: []byte("0\n")})
	return l
}

// WithFingerprints sets the fingerprint window per producer and the budget
// of all producers' windows together (entries); window 0 turns the check of
// a duplicate's content off (a collision is then a plain duplicate). Call
// it before the ledger is used.
func (l *Ledger) WithFingerprints(window, budget int) *Ledger {
	l.window, l.budget = max(window, 0), max(budget, 0)
	return l
}

// Restore loads a saved snapshot into an empty ledger.
func (l *Ledger) Restore(s Snapshot) error {
	if s.Topic != l.topic {
		return fmt.Errorf("state is for topic %q, not %q", s.Topic, l.topic)
	}
	total, ok := new(big.Int).SetString(s.Total, 10)
	if !ok {
		return fmt.Errorf("state: total %q is not an integer", s.Total)
	}
	// The working state gets copies: s also becomes the durable view, which
	// readers use while Apply changes the working state.
	l.mu.Lock()
	l.topicID = s.TopicID
	l.total.Set(total)
	for p, hwm := range s.Producers {
		l.producers[p] = &producer{hwm: hwm}
	}
	if s.Offsets != nil {
		l.offsets = maps.Clone(s.Offsets)
	}
	for p, h := range s.Held {
		// The state file keeps held sums, not fingerprints: a duplicate of
		// a restored held event is compared by its sum only.
		hc := make(map[uint64]counted, len(h))
		for seq, sum := range h {
			hc[seq] = counted{sum: sum}
		}
		l.held[p] = hc
	}
	l.stats = s.Stats
	l.mu.Unlock()
	l.publish(s)
	return nil
}

// NextOffset is the first offset of partition the state does not cover.
func (l *Ledger) NextOffset(partition int32) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.offsets[partition]
	return o, ok
}

// TopicID is the id of the topic the offsets are in ("" if not known).
func (l *Ledger) TopicID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.topicID
}

// SetTopicID records the id of the topic the offsets are in.
func (l *Ledger) SetTopicID(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.topicID != id {
		l.topicID, l.dirty = id, true
	}
}

// ForgetOffsets drops the offsets the state covers (the topic they were in is
// gone) and records the id of the topic now read, which is read again from
// its oldest record. The total, the high-water marks and the held events
// stay: the producers' sequences skip whatever was counted before.
func (l *Ledger) ForgetOffsets(topicID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.offsets = map[int32]int64{}
	l.topicID, l.dirty = topicID, true
}

// Advance moves a partition's next offset forward to offset (records below
// it are gone from Kafka); it reports how many offsets were skipped.
func (l *Ledger) Advance(partition int32, offset int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	next := l.offsets[partition]
	if offset <= next {
		return 0
	}
	l.offsets[partition] = offset
	l.stats.DeletedUnread += uint64(offset - next)
	l.dirty = true
	return offset - next
}

// Apply applies the event read at (partition, offset) and reports what it
// did and how many events it added to the total (more than one when it fills
// a gap and releases held events).
func (l *Ledger) Apply(partition int32, offset int64, e sumevent.Event) (Outcome, int) {
	r := l.ApplyRecord(partition, offset, &e)
	return r.Outcome, r.Applied
}

// ApplyRecord is Apply with the details of a duplicate or a collision.
func (l *Ledger) ApplyRecord(partition int32, offset int64, e *sumevent.Event) Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	if next, ok := l.offsets[partition]; ok && offset < next {
		return Result{Outcome: Covered}
	}
	if !l.dedupe { // test-only: count everything, duplicates included
		l.offsets[partition] = offset + 1
		l.dirty = true
		l.add(e.Sum)
		pr := l.producer(e.ProducerID)
		pr.hwm = max(pr.hwm, e.Sequence)
		return Result{Outcome: Applied, Applied: 1}
	}
	var fp uint64
	if l.window > 0 {
		fp = fingerprint(e)
	}
	pr := l.producers[e.ProducerID]
	var hwm uint64
	if pr != nil {
		hwm = pr.hwm
	}
	switch {
	case e.Sequence <= hwm:
		r := Result{Outcome: Duplicate}
		if l.window > 0 {
			c, ok := pr.ring.lookup(e.Sequence, hwm)
			if r.Unverified = !ok || c.fp == 0; ok && differs(c, fp, e.Sum) {
				return Result{Outcome: Collision, CountedSum: c.sum}
			}
		}
		l.offsets[partition] = offset + 1
		l.dirty = true
		l.stats.Duplicates++
		return r
	case e.Sequence > hwm+1:
		held := l.held[e.ProducerID]
		if c, dup := held[e.Sequence]; dup {
			r := Result{Outcome: Duplicate}
			if l.window > 0 {
				if differs(c, fp, e.Sum) {
					return Result{Outcome: Collision, CountedSum: c.sum, CountedHeld: true}
				}
				r.Unverified = c.fp == 0
			}
			l.offsets[partition] = offset + 1
			l.dirty = true
			l.stats.Duplicates++
			return r
		}
		l.offsets[partition] = offset + 1
		l.dirty = true
		if held == nil {
			held = map[uint64]counted{}
			l.held[e.ProducerID] = held
		}
		held[e.Sequence] = counted{fp: fp, sum: e.Sum}
		l.stats.Gaps++
		return Result{Outcome: Held}
	}
	l.offsets[partition] = offset + 1
	l.dirty = true
	l.add(e.Sum)
	if pr == nil {
		pr = l.producer(e.ProducerID)
	}
	l.remember(pr, e.Sequence, counted{fp: fp, sum: e.Sum})
	hwm, n := e.Sequence, 1
	if held := l.held[e.ProducerID]; held != nil {
		for c, ok := held[hwm+1]; ok; c, ok = held[hwm+1] {
			delete(held, hwm+1)
			l.add(c.sum)
			hwm++
			n++
			l.remember(pr, hwm, c)
		}
		if len(held) == 0 {
			delete(l.held, e.ProducerID)
		}
	}
	pr.hwm = hwm
	return Result{Outcome: Applied, Applied: n}
}

// producer returns p's entry, made on its first applied event.
func (l *Ledger) producer(p string) *producer {
	pr := l.producers[p]
	if pr == nil {
		pr = &producer{}
		l.producers[p] = pr
	}
	return pr
}

// differs reports whether an event (fingerprint fp, sum) is not the counted
// one c. A c whose fingerprint is not known is compared by its sum.
func differs(c counted, fp uint64, sum int64) bool {
	return c.sum != sum || (c.fp != 0 && c.fp != fp)
}

// remember puts the applied event seq of a producer in its ring. Sequences
// arrive contiguous; the ring grows up to the window while the budget
// allows, then wraps.
func (l *Ledger) remember(pr *producer, seq uint64, c counted) {
	if l.window == 0 {
		return
	}
	r := &pr.ring
	if !r.wrapped && seq != r.from+uint64(len(r.slots)) {
		r.from, r.slots = seq, r.slots[:0] // not contiguous (cannot happen in order): start again
	}
	if !r.wrapped {
		if len(r.slots) == cap(r.slots) {
			grow := min(max(2*cap(r.slots), 64), l.window) - cap(r.slots)
			grow = min(grow, l.budget-l.used)
			if grow > 0 {
				r.slots = append(make([]counted, 0, cap(r.slots)+grow), r.slots...)
				l.used += grow
			}
		}
		if len(r.slots) < cap(r.slots) {
			r.slots = append(r.slots, c)
			return
		}
		r.wrapped = true
	}
	if len(r.slots) > 0 {
		r.slots[(seq-r.from)%uint64(len(r.slots))] = c
	}
}

func (l *Ledger) add(sum int64) {
	l.total.Add(&l.total, big.NewInt(sum))
	l.stats.Applied++
}

// Skip advances past a record that cannot be applied (it was parked).
// It reports false when the offset was already covered.
func (l *Ledger) Skip(partition int32, offset int64) bool {
	return l.skip(partition, offset, true)
}

// Parked advances past a Collision's record once it is parked.
func (l *Ledger) Parked(partition int32, offset int64) bool {
	return l.skip(partition, offset, false)
}

func (l *Ledger) skip(partition int32, offset int64, malformed bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if next, ok := l.offsets[partition]; ok && offset < next {
		return false
	}
	l.offsets[partition] = offset + 1
	if malformed {
		l.stats.Malformed++
	}
	l.dirty = true
	return true
}

// Snapshot returns the working state if it changed since the last call.
func (l *Ledger) Snapshot() (s Snapshot, changed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return Snapshot{}, false
	}
	s = Snapshot{
		Topic: l.topic, TopicID: l.topicID, Total: l.total.String(), Producers: make(map[string]uint64, len(l.producers)),
		Offsets: maps.Clone(l.offsets), Stats: l.stats, SavedAt: time.Now().UTC(),
	}
	for p, pr := range l.producers {
		s.Producers[p] = pr.hwm
	}
	if len(l.held) > 0 {
		s.Held = make(map[string]map[uint64]int64, len(l.held))
		for p, h := range l.held {
			sums := make(map[uint64]int64, len(h))
			for seq, c := range h {
				sums[seq] = c.sum
			}
			s.Held[p] = sums
		}
	}
	l.dirty = false
	return s, true
}

// Unsaved marks the working state dirty again after a failed save, so the
// next save retries it.
func (l *Ledger) Unsaved() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dirty = true
}

// Durable records that s is on disk and makes it the view readers see.
func (l *Ledger) Durable(s Snapshot) { l.publish(s) }

func (l *Ledger) publish(s Snapshot) {
	total, _ := new(big.Int).SetString(s.Total, 10)
	held := 0
	for _, h := range s.Held {
		held += len(h)
	}
	v := &View{Total: total, Producers: s.Producers, Offsets: s.Offsets, Stats: s.Stats, Held: held,
		Gaps: MissingSequences(s.Producers, s.Held), json: append(total.Append(nil, 10), '\n')}
	l.durable.Store(v)
	l.wmu.Lock()
	for w := range l.waiters {
		if v.Counted(w.tok) {
			close(w.counted)
			delete(l.waiters, w)
		}
	}
	l.wmu.Unlock()
}

// waiter is a WaitCounted call; counted is closed once a durable view
// counts tok. A save wakes only the waiters it counts: with many ?after=
// requests waiting and saves following each other, waking every one at
// every save would cost more than the saves.
type waiter struct {
	tok     sumevent.Token
	counted chan struct{}
}

// View returns the durable state.
func (l *Ledger) View() *View { return l.durable.Load() }

// Counted reports whether the event behind tok is in the durable state.
func (v *View) Counted(tok sumevent.Token) bool { return v.Producers[tok.ProducerID] >= tok.Sequence }

// WaitCounted blocks until the event behind tok is durably counted, and
// returns the view that counts it, or ctx's error.
func (l *Ledger) WaitCounted(ctx context.Context, tok sumevent.Token) (*View, error) {
	for {
		if v := l.View(); v.Counted(tok) {
			return v, nil
		}
		w := &waiter{tok: tok, counted: make(chan struct{})}
		l.wmu.Lock()
		// publish stores the view before it looks at the waiters: checked
		// again under wmu, a view stored since is not missed.
		if v := l.View(); v.Counted(tok) {
			l.wmu.Unlock()
			return v, nil
		}
		l.waiters[w] = struct{}{}
		l.wmu.Unlock()
		select {
		case <-ctx.Done():
			l.wmu.Lock()
			delete(l.waiters, w)
			l.wmu.Unlock()
			return l.View(), ctx.Err()
		case <-w.counted:
		}
	}
}
