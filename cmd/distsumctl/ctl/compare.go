package ctl

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/distsum/distsum/services/totals/totalsclient"
)

// Compare checks a replica's /stats against the recomputation over the same records (the cut
// its offsets name) and returns every difference, each naming the producer it concerns when it
// can. notes are remarks that are not mismatches (a partial audit).
func Compare(res *Result, st totalsclient.Stats, base Base) (mismatches, notes []string) {
	ids := map[string]bool{}
	for _, p := range res.Producers {
		if p.HWM > 0 {
			ids[p.ID] = true
		}
	}
	for id, hwm := range st.Producers {
		if hwm > 0 {
			ids[id] = true
		}
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	for _, id := range sorted {
		got := st.Producers[id]
		p := res.Producer(id)
		switch {
		case p == nil && res.Partial:
			notes = append(notes, fmt.Sprintf("producer %s: replica counts up to %d; the log no longer holds any of its events (retention): not checked", id, got))
		case p == nil:
			mismatches = append(mismatches, fmt.Sprintf("producer %s: replica counts up to %d, the log holds none of its events", id, got))
		case got == p.HWM:
		case got < p.HWM:
			mismatches = append(mismatches, fmt.Sprintf("producer %s: replica counts up to %d, log holds %s (%s not counted)",
				id, got, p.HoldsString(), seqRange(got+1, p.HWM)))
		default:
			m := fmt.Sprintf("producer %s: replica counts up to %d, log holds only %s", id, got, p.HoldsString())
			if len(p.Gaps) > 0 {
				m += fmt.Sprintf(" (missing from the log: %s)", rangesString(p.Gaps, maxListed))
			}
			mismatches = append(mismatches, m)
		}
	}

	if res.Partial {
		var partial []string
		for _, p := range res.Producers {
			if p.Partial {
				partial = append(partial, fmt.Sprintf("%s (log starts at sequence %d)", p.ID, p.Min))
			}
		}
		notes = append(notes, "audit is partial: the log no longer holds the start of producer(s) "+strings.Join(partial, ", ")+
			"; the total is not checked (start from a checkpoint: --from-offsets with --base-total and --base-hwm)")
		return mismatches, notes
	}
	if st.Total == nil {
		return append(mismatches, "replica reports no total"), notes
	}
	if d := new(big.Int).Sub(st.Total, res.Total); d.Sign() != 0 {
		mismatches = append(mismatches, fmt.Sprintf("total differs by %s: replica %s, log %s%s", signed(d), st.Total, res.Total, explain(res, d)))
	}
	// The number of events counted is exact too (a replica keeps it with its total), and catches
	// what the total cannot: an event whose sum is 0 counted twice. Unknown before a checkpoint.
	if !base.Set && st.Applied != res.Counted {
		mismatches = append(mismatches, fmt.Sprintf("replica counted %d events, the log holds %d distinct ones in the counted prefix (%s)%s",
			st.Applied, res.Counted, signed(new(big.Int).Sub(new(big.Int).SetUint64(st.Applied), new(big.Int).SetUint64(res.Counted))),
			explainCount(res, int64(st.Applied)-int64(res.Counted))))
	}
	return mismatches, notes
}

func seqRange(from, to uint64) string {
	if from == to {
		return fmt.Sprintf("sequence %d", from)
	}
	return fmt.Sprintf("sequences %d..%d", from, to)
}

func signed(d *big.Int) string {
	if d.Sign() > 0 {
		return "+" + d.String()
	}
	return d.String()
}

// explain looks for what in the log adds up to a difference d of the total: the re-published
// copies of one producer's events (counted twice), its events held ahead of a gap (counted too
// early), or all of them together. It names the producers either way.
func explain(res *Result, d *big.Int) string {
	type cand struct {
		what string
		sum  *big.Int
	}
	var cands []cand
	allCopies, allAhead := new(big.Int), new(big.Int)
	var withCopies []string
	for _, p := range res.Producers {
		allCopies.Add(allCopies, p.CopySum)
		allAhead.Add(allAhead, p.Ahead)
		if p.Copies > 0 {
			withCopies = append(withCopies, fmt.Sprintf("%s (%s, sequences %s, sum %s)", p.ID, plural(p.Copies, "copy"), seqList(p.CopySeqs, p.Copies), p.CopySum))
			cands = append(cands, cand{fmt.Sprintf("the %s of producer %s's events (sequences %s) add up to %s: counted twice",
				plural(p.Copies, "re-published copy"), p.ID, seqList(p.CopySeqs, p.Copies), p.CopySum), p.CopySum})
		}
		if p.Ahead.Sign() != 0 {
			cands = append(cands, cand{fmt.Sprintf("producer %s's events after its gap (%s) add up to %s: counted ahead of the missing ones",
				p.ID, rangesString(p.Gaps, 3), p.Ahead), p.Ahead})
		}
		if p.Copies > 0 && p.Ahead.Sign() != 0 {
			both := new(big.Int).Add(p.CopySum, p.Ahead)
			cands = append(cands, cand{fmt.Sprintf("producer %s's re-published copies and events after its gap add up to %s", p.ID, both), both})
		}
	}
	if len(withCopies) > 1 {
		cands = append(cands, cand{"the re-published copies of producers " + strings.Join(withCopies, ", ") + " add up to it: counted twice", allCopies})
	}
	for _, c := range cands {
		if c.sum.Cmp(d) == 0 {
			return "; " + c.what
		}
	}
	if len(withCopies) > 0 {
		return "; producers with re-published copies in the log: " + strings.Join(withCopies, ", ")
	}
	return "; no duplicate or held event in the log accounts for it"
}

func explainCount(res *Result, d int64) string {
	var withCopies []string
	for _, p := range res.Producers {
		if p.Copies > 0 {
			withCopies = append(withCopies, fmt.Sprintf("%s: %s, sequences %s", p.ID, plural(p.Copies, "copy"), seqList(p.CopySeqs, p.Copies)))
		}
	}
	if d > 0 && len(withCopies) > 0 {
		return "; re-published copies in the log: " + strings.Join(withCopies, "; ")
	}
	return ""
}

func seqList(seqs []uint64, total uint64) string {
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = fmt.Sprint(s)
	}
	out := strings.Join(parts, ", ")
	if total > uint64(len(seqs)) {
		out += fmt.Sprintf(", ... (%d in all)", total)
	}
	return out
}
