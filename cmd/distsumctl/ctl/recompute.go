package ctl

// recompute.go is the audit's own model of the topic: it recomputes, from the records alone, the
// total a correct totals replica must show. It deliberately shares no code with the totals
// service's ledger ("independently"): only the record format (sumevent.Decode) is common.
//
// The rule it checks: every distinct (producer, sequence) is counted once, and a producer's
// events count only up to its highest sequence contiguous from 1 (an event ahead of a missing
// one is not counted until the missing one arrives).

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/distsum/distsum/libs/sumevent"
)

// record is one Kafka record of the topic as the audit read it.
type record struct {
	offset    int64
	ev        sumevent.Event // zero when malformed
	malformed string         // why it could not be decoded, "" when it decoded
}

// Log holds the records read from each partition, in offset order.
type Log struct {
	parts map[int32][]record
	// start is the first offset read per partition (a checkpoint's offset or the oldest one).
	start map[int32]int64
	// truncated marks partitions whose oldest record is not their first (retention deleted the
	// start) and that were read without a checkpoint: producers on them may be audited in part.
	truncated map[int32]bool
}

// NewLog returns an empty log.
func NewLog() *Log {
	return &Log{parts: map[int32][]record{}, start: map[int32]int64{}, truncated: map[int32]bool{}}
}

// Begin records where the reading of partition p starts and whether the log's start is gone.
func (l *Log) Begin(p int32, from int64, truncated bool) {
	l.start[p] = from
	l.truncated[p] = truncated
	if _, ok := l.parts[p]; !ok {
		l.parts[p] = nil
	}
}

// Add records the value read at (p, offset). Offsets of one partition must come in increasing
// order; a record at or below the last one is ignored (a re-read after extending).
func (l *Log) Add(p int32, offset int64, value []byte) {
	rs := l.parts[p]
	if n := len(rs); n > 0 && offset <= rs[n-1].offset {
		return
	}
	r := record{offset: offset}
	ev, err := sumevent.Decode(value)
	if err != nil {
		r.malformed = err.Error()
	} else {
		r.ev = ev
	}
	l.parts[p] = append(rs, r)
}

// Next is the offset after the last record read from p (its start when none was read).
func (l *Log) Next(p int32) int64 {
	rs := l.parts[p]
	if len(rs) == 0 {
		return l.start[p]
	}
	return rs[len(rs)-1].offset + 1
}

// Partitions lists the partitions read, in order.
func (l *Log) Partitions() []int32 {
	ps := make([]int32, 0, len(l.parts))
	for p := range l.parts {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// Base is what a checkpoint says was counted before the offsets the audit starts from.
type Base struct {
	Set   bool
	Total *big.Int
	HWM   map[string]uint64
}

// Range is an inclusive range of sequences.
type Range struct{ From, To uint64 }

func (r Range) String() string {
	if r.From == r.To {
		return strconv.FormatUint(r.From, 10)
	}
	return fmt.Sprintf("%d..%d", r.From, r.To)
}

// Conflict is a (producer, sequence) recorded twice with different content.
type Conflict struct {
	Sequence uint64 `json:"sequence"`
	First    string `json:"first"`  // "partition:offset" of the copy counted
	Second   string `json:"second"` // "partition:offset" of the other
	Detail   string `json:"detail"`
}

// Producer is what the log says about one producer.
type Producer struct {
	ID      string `json:"producer"`
	Base    uint64 `json:"base_hwm,omitempty"` // from the checkpoint
	HWM     uint64 `json:"hwm"`                // highest sequence contiguous from 1 (or from Base)
	Min     uint64 `json:"min_seen,omitempty"`
	Max     uint64 `json:"max_seen,omitempty"`
	Partial bool   `json:"partial,omitempty"` // the log no longer holds its start (retention)
	// Counted is how many distinct events above Base and up to HWM the log holds; Sum their sums.
	Counted uint64   `json:"counted"`
	Sum     *big.Int `json:"sum"`
	Gaps    []Range  `json:"gaps,omitempty"` // sequences missing below Max
	// Copies is how many records repeat an event already read, with identical content
	// (re-publications); CopySum the sum of those records, CopySeqs their sequences (the first few).
	Copies   uint64   `json:"copies"`
	CopySum  *big.Int `json:"copy_sum"`
	CopySeqs []uint64 `json:"copy_sequences,omitempty"`
	// Ahead is the sum of the distinct events above HWM (waiting for a missing one).
	Ahead     *big.Int   `json:"ahead_sum"`
	Conflicts []Conflict `json:"conflicts,omitempty"`
}

// HoldsString says which sequences the log accounts for: "1..130", "base 100, 101..130",
// "none".
func (p *Producer) HoldsString() string {
	switch {
	case p.Partial:
		return fmt.Sprintf("%d..%d (its start is no longer in the log)", p.Min, p.HWM)
	case p.HWM == 0:
		return "none from 1"
	case p.Base > 0 && p.HWM == p.Base:
		return fmt.Sprintf("1..%d (checkpoint)", p.Base)
	case p.Base > 0:
		return fmt.Sprintf("1..%d (checkpoint) and %d..%d", p.Base, p.Base+1, p.HWM)
	}
	return fmt.Sprintf("1..%d", p.HWM)
}

// Result is the recomputation over the records below a cut.
type Result struct {
	Records   int `json:"records"`
	Malformed int `json:"malformed"`
	// MalformedAt lists the first malformed records as "partition:offset: reason".
	MalformedAt []string    `json:"malformed_at,omitempty"`
	Producers   []*Producer `json:"producers"`
	// Total is the base total plus every producer's Sum: what a correct replica shows at the cut.
	Total *big.Int `json:"total"`
	// Counted is the number of events a correct replica has counted (meaningful without a
	// checkpoint: the base's count is unknown).
	Counted uint64 `json:"counted"`
	// Partial: some producer's start is gone, so the total cannot be checked.
	Partial bool `json:"partial"`
}

// Producer returns the result of producer id, nil if the log holds none of its events.
func (r *Result) Producer(id string) *Producer {
	for _, p := range r.Producers {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Problems lists what is wrong in the log itself, whatever the replicas say: sequences missing
// below a producer's highest, and events recorded twice with different content.
func (r *Result) Problems() []string {
	var out []string
	for _, p := range r.Producers {
		if len(p.Gaps) > 0 {
			out = append(out, fmt.Sprintf("producer %s: sequences missing from the log: %s (log holds up to %d; %s are not counted until they arrive)",
				p.ID, rangesString(p.Gaps, 10), p.Max, plural(uint64(p.Max-p.HWM), "later event")))
		}
		for _, c := range p.Conflicts {
			out = append(out, fmt.Sprintf("producer %s: sequence %d recorded twice with different content (%s and %s): %s",
				p.ID, c.Sequence, c.First, c.Second, c.Detail))
		}
	}
	return out
}

func rangesString(rs []Range, max int) string {
	var parts []string
	for i, r := range rs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more ranges", len(rs)-max))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

func plural(n uint64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return fmt.Sprintf("%d %sies", n, what[:len(what)-1])
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// maxListed bounds the sequences and malformed records listed in a result.
const maxListed = 10

// seen is the first copy of an event read.
type seen struct {
	ev  sumevent.Event
	pos string
}

// Recompute runs the rule over the records of each partition p at offsets below cut[p] (every
// record read when cut is nil; none of p when cut has no entry for it).
func (l *Log) Recompute(cut map[int32]int64, base Base) *Result {
	res := &Result{Total: new(big.Int)}
	if base.Set && base.Total != nil {
		res.Total.Set(base.Total)
	}
	events := map[string]map[uint64]seen{}
	prods := map[string]*Producer{}
	minPart := map[string]int32{} // partition of a producer's lowest sequence
	get := func(id string) *Producer {
		p := prods[id]
		if p == nil {
			p = &Producer{ID: id, Base: base.HWM[id], Sum: new(big.Int), CopySum: new(big.Int), Ahead: new(big.Int)}
			prods[id] = p
			events[id] = map[uint64]seen{}
		}
		return p
	}
	for id := range base.HWM {
		get(id)
	}
	for _, part := range l.Partitions() {
		limit, limited := int64(0), cut != nil
		if limited {
			var ok bool
			if limit, ok = cut[part]; !ok {
				continue
			}
		}
		for _, r := range l.parts[part] {
			if limited && r.offset >= limit {
				break
			}
			res.Records++
			pos := fmt.Sprintf("%d:%d", part, r.offset)
			if r.malformed != "" {
				res.Malformed++
				if len(res.MalformedAt) < maxListed {
					res.MalformedAt = append(res.MalformedAt, pos+": "+r.malformed)
				}
				continue
			}
			p := get(r.ev.ProducerID)
			seq := r.ev.Sequence
			if seq <= p.Base { // counted before the checkpoint: this record is a copy
				p.Copies++
				p.CopySum.Add(p.CopySum, big.NewInt(r.ev.Sum))
				if len(p.CopySeqs) < maxListed {
					p.CopySeqs = append(p.CopySeqs, seq)
				}
				continue
			}
			if first, dup := events[p.ID][seq]; dup {
				if diff := differs(first.ev, r.ev); diff != "" {
					p.Conflicts = append(p.Conflicts, Conflict{Sequence: seq, First: first.pos, Second: pos, Detail: diff})
					continue
				}
				p.Copies++
				p.CopySum.Add(p.CopySum, big.NewInt(r.ev.Sum))
				if len(p.CopySeqs) < maxListed {
					p.CopySeqs = append(p.CopySeqs, seq)
				}
				continue
			}
			events[p.ID][seq] = seen{ev: r.ev, pos: pos}
			if p.Min == 0 || seq < p.Min {
				p.Min = seq
				minPart[p.ID] = part
			}
			p.Max = max(p.Max, seq)
		}
	}

	for _, p := range prods {
		evs := events[p.ID]
		// A producer whose lowest sequence read is above 1, with no checkpoint covering it, on a
		// partition whose start retention deleted: its earlier events may have been counted from
		// records that are gone.
		if _, inBase := base.HWM[p.ID]; !inBase && p.Min > 1 && l.truncated[minPart[p.ID]] {
			p.Partial = true
			res.Partial = true
		}
		from := p.Base // sequences up to here are counted by the checkpoint
		if p.Partial {
			from = p.Min - 1
		}
		p.HWM = from
		for {
			e, ok := evs[p.HWM+1]
			if !ok {
				break
			}
			p.HWM++
			p.Counted++
			p.Sum.Add(p.Sum, big.NewInt(e.ev.Sum))
		}
		// Gaps: sequences above the counted prefix and below the highest read, not in the log.
		// (Walks the sequences read, not the range: one stray huge sequence must not loop.)
		var ahead []uint64
		for s, e := range evs {
			if s > p.HWM {
				ahead = append(ahead, s)
				p.Ahead.Add(p.Ahead, big.NewInt(e.ev.Sum))
			}
		}
		slices.Sort(ahead)
		prev := p.HWM
		for _, s := range ahead {
			if s > prev+1 {
				p.Gaps = append(p.Gaps, Range{prev + 1, s - 1})
			}
			prev = s
		}
		res.Total.Add(res.Total, p.Sum)
		res.Counted += p.Counted
		res.Producers = append(res.Producers, p)
	}
	slices.SortFunc(res.Producers, func(a, b *Producer) int { return strings.Compare(a.ID, b.ID) })
	return res
}

// differs says how two events with one identity differ, "" if they do not.
func differs(a, b sumevent.Event) string {
	var d []string
	if a.Num1 != b.Num1 || a.Num2 != b.Num2 || a.Sum != b.Sum {
		d = append(d, fmt.Sprintf("%d+%d=%d vs %d+%d=%d", a.Num1, a.Num2, a.Sum, b.Num1, b.Num2, b.Sum))
	}
	if a.RequestID != b.RequestID {
		d = append(d, fmt.Sprintf("request id %q vs %q", a.RequestID, b.RequestID))
	}
	if a.AcceptedAt != b.AcceptedAt {
		d = append(d, fmt.Sprintf("accepted at %d vs %d", a.AcceptedAt, b.AcceptedAt))
	}
	return strings.Join(d, ", ")
}
