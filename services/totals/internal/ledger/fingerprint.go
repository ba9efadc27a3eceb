package ledger

import "github.com/distsum/distsum/libs/sumevent"

// The ledger's durable state is O(producers): a high-water mark each. To
// tell a re-published event (same content: harmless) from another event
// under the same producer and sequence (two writers given one producer id,
// or a forged record: a collision), it also keeps in memory the fingerprints
// of each producer's most recent applied events. Both kinds of duplicate land
// close behind the original — a calculator re-publishes what it had not
// marked sent, a second live writer numbers its events alongside the first —
// so a window of the last K sequences sees them, and the memory stays bounded:
// K per producer and a ledger-wide budget (a producer whose ring cannot grow
// keeps the window it has). A duplicate behind the window, or of an event
// applied before the process started, cannot be checked; it is reported as
// unverified, never silently as a plain duplicate.
const (
	// DefaultWindow is K: 65,536 sequences, 1 MiB per producer.
	DefaultWindow = 1 << 16
	// DefaultFingerprintBudget bounds all producers' rings together:
	// 4 Mi entries, 64 MiB (64 producers at the full window).
	DefaultFingerprintBudget = 1 << 22
)

// producer is the ledger's working state of one producer: the high-water
// mark (every sequence up to it is counted) and the recent fingerprints.
type producer struct {
	hwm  uint64
	ring ring
}

// counted is what the ledger remembers of an applied or held event.
type counted struct {
	fp  uint64 // 0: not known (held before a restart)
	sum int64
}

// ring holds the counted events of one producer's sequences from..hwm, the
// last len(slots) of them once it wraps. Applied sequences are contiguous
// (strict order), so the slot of sequence s is (s-from) % len(slots).
type ring struct {
	from    uint64 // first sequence fingerprinted by this process
	slots   []counted
	wrapped bool // full: no more growth
}

// lookup returns the counted event of seq (at or below hwm) if it is in the
// window.
func (r *ring) lookup(seq, hwm uint64) (counted, bool) {
	if seq < r.from || len(r.slots) == 0 || hwm-seq >= uint64(len(r.slots)) {
		return counted{}, false
	}
	return r.slots[(seq-r.from)%uint64(len(r.slots))], true
}

// fingerprint is a 64-bit FNV-1a hash of the event's content (request id,
// operands, sum), taken a byte at a time over the request id and a word at a
// time over the numbers (Apply's hot path), then mixed; never 0, which
// stands for "not known".
func fingerprint(e *sumevent.Event) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(e.RequestID); i++ {
		h = (h ^ uint64(e.RequestID[i])) * prime
	}
	h = (h ^ uint64(len(e.RequestID))) * prime
	h = (h ^ uint64(e.Num1)) * prime
	h = (h ^ uint64(e.Num2)) * prime
	h = (h ^ uint64(e.Sum)) * prime
	h ^= h >> 33 // a word-wise FNV leaves the high bits of a word poorly mixed
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	if h == 0 {
		h = 1
	}
	return h
}
