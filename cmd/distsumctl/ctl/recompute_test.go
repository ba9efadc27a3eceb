package ctl

import (
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/totalsclient"
)

// ev encodes the event (producer, seq) with operands seq and 10*seq, so sums differ.
func ev(t *testing.T, producer string, seq uint64) []byte {
	t.Helper()
	return evNums(t, producer, seq, int64(seq), 10*int64(seq))
}

func evNums(t *testing.T, producer string, seq uint64, a, b int64) []byte {
	t.Helper()
	v, err := sumevent.Encode(sumevent.Event{ProducerID: producer, Sequence: seq, Num1: a, Num2: b, Sum: a + b, AcceptedAt: int64(seq)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// logOf builds a log from values per partition, at offsets 0, 1, 2, ...
func logOf(parts map[int32][][]byte) *Log {
	l := NewLog()
	for p, vs := range parts {
		l.Begin(p, 0, false)
		for i, v := range vs {
			l.Add(p, int64(i), v)
		}
	}
	return l
}

// sumOf is the sum of ev(_, s) over the sequences.
func sumOf(seqs ...uint64) *big.Int {
	n := new(big.Int)
	for _, s := range seqs {
		n.Add(n, big.NewInt(11*int64(s)))
	}
	return n
}

func TestDuplicatesCountOnceAndOrderDoesNotMatter(t *testing.T) {
	l := logOf(map[int32][][]byte{
		0: {ev(t, "a", 1), ev(t, "a", 3), ev(t, "a", 2), ev(t, "a", 2), ev(t, "a", 1), ev(t, "a", 4)},
		1: {ev(t, "b", 2), ev(t, "b", 1), ev(t, "b", 1)},
	})
	res := l.Recompute(nil, Base{})
	if want := new(big.Int).Add(sumOf(1, 2, 3, 4), sumOf(1, 2)); res.Total.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s", res.Total, want)
	}
	a, b := res.Producer("a"), res.Producer("b")
	if a.HWM != 4 || a.Counted != 4 || a.Copies != 2 || a.CopySum.Cmp(sumOf(1, 2)) != 0 || !slices.Equal(a.CopySeqs, []uint64{2, 1}) {
		t.Fatalf("producer a: %+v", a)
	}
	if b.HWM != 2 || b.Copies != 1 || res.Counted != 6 || res.Records != 9 {
		t.Fatalf("producer b: %+v, result %+v", b, res)
	}
	if p := res.Problems(); len(p) != 0 {
		t.Fatalf("problems in a healthy log: %v", p)
	}
}

func TestGapsStopTheCountAndAreReported(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {ev(t, "a", 1), ev(t, "a", 2), ev(t, "a", 5), ev(t, "a", 7), ev(t, "a", 3)}})
	res := l.Recompute(nil, Base{})
	a := res.Producer("a")
	if a.HWM != 3 || res.Total.Cmp(sumOf(1, 2, 3)) != 0 || a.Ahead.Cmp(sumOf(5, 7)) != 0 {
		t.Fatalf("producer a: %+v total %s", a, res.Total)
	}
	if !slices.Equal(a.Gaps, []Range{{4, 4}, {6, 6}}) {
		t.Fatalf("gaps %v", a.Gaps)
	}
	p := res.Problems()
	if len(p) != 1 || !strings.Contains(p[0], "producer a: sequences missing from the log: 4, 6") {
		t.Fatalf("problems %q", p)
	}
}

func TestConflictsAreReportedAndTheFirstCopyCounts(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {ev(t, "a", 1), evNums(t, "a", 1, 100, 100), ev(t, "a", 2)}})
	res := l.Recompute(nil, Base{})
	a := res.Producer("a")
	if res.Total.Cmp(sumOf(1, 2)) != 0 || len(a.Conflicts) != 1 || a.Conflicts[0].First != "0:0" || a.Conflicts[0].Second != "0:1" {
		t.Fatalf("producer a: %+v total %s", a, res.Total)
	}
	if p := res.Problems(); len(p) != 1 || !strings.Contains(p[0], "sequence 1 recorded twice with different content") || !strings.Contains(p[0], "1+10=11 vs 100+100=200") {
		t.Fatalf("problems %q", p)
	}
}

func TestMalformedRecordsAreCountedNotFatal(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {[]byte("not json"), ev(t, "a", 1), []byte(`{"v":1,"producer":"a","seq":2,"num1":1,"num2":1,"sum":3}`), ev(t, "a", 2)}})
	res := l.Recompute(nil, Base{})
	if res.Malformed != 2 || res.Total.Cmp(sumOf(1, 2)) != 0 || len(res.MalformedAt) != 2 || !strings.HasPrefix(res.MalformedAt[1], "0:2: ") {
		t.Fatalf("result %+v", res)
	}
	if p := res.Problems(); len(p) != 0 {
		t.Fatalf("malformed records are not log problems: %v", p)
	}
}

func TestCutLimitsTheRecords(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {ev(t, "a", 1), ev(t, "a", 2), ev(t, "a", 3)}, 1: {ev(t, "b", 1)}})
	res := l.Recompute(map[int32]int64{0: 2}, Base{})
	if res.Total.Cmp(sumOf(1, 2)) != 0 || res.Producer("a").HWM != 2 || res.Producer("b") != nil || res.Records != 2 {
		t.Fatalf("result %+v", res)
	}
}

func TestCheckpointBase(t *testing.T) {
	l := NewLog()
	l.Begin(0, 100, false)
	for i, v := range [][]byte{ev(t, "a", 10), ev(t, "a", 11), ev(t, "a", 12), ev(t, "b", 1)} {
		l.Add(0, int64(100+i), v)
	}
	base := Base{Set: true, Total: big.NewInt(1000), HWM: map[string]uint64{"a": 11, "c": 4}}
	res := l.Recompute(nil, base)
	want := new(big.Int).Add(big.NewInt(1000), sumOf(12, 1))
	if res.Total.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s", res.Total, want)
	}
	a, c := res.Producer("a"), res.Producer("c")
	if a.HWM != 12 || a.Copies != 2 || a.CopySum.Cmp(sumOf(10, 11)) != 0 || c == nil || c.HWM != 4 || a.HoldsString() != "1..11 (checkpoint) and 12..12" {
		t.Fatalf("a %+v c %+v", a, c)
	}
}

func TestRetentionMakesTheAuditPartial(t *testing.T) {
	l := NewLog()
	l.Begin(0, 50, true)
	l.Add(0, 50, ev(t, "a", 40))
	l.Add(0, 51, ev(t, "a", 41))
	l.Add(0, 52, ev(t, "b", 1))
	res := l.Recompute(nil, Base{})
	a := res.Producer("a")
	if !res.Partial || !a.Partial || a.HWM != 41 || len(a.Gaps) != 0 || res.Producer("b").Partial {
		t.Fatalf("result %+v a %+v", res, a)
	}
	// The high-water marks are still checked; the total is not.
	st := totalsclient.Stats{Total: big.NewInt(123456), Producers: map[string]uint64{"a": 41, "b": 1, "gone": 9}}
	m, notes := Compare(res, st, Base{})
	if len(m) != 0 || len(notes) != 2 || !strings.Contains(notes[1], "a (log starts at sequence 40)") || !strings.Contains(notes[0], "producer gone") {
		t.Fatalf("mismatches %q notes %q", m, notes)
	}
	st.Producers["a"] = 39
	if m, _ = Compare(res, st, Base{}); len(m) != 1 || !strings.Contains(m[0], "producer a: replica counts up to 39, log holds 40..41") {
		t.Fatalf("mismatches %q", m)
	}
}

func statsOf(res *Result) totalsclient.Stats {
	st := totalsclient.Stats{Total: new(big.Int).Set(res.Total), Applied: res.Counted, Producers: map[string]uint64{}}
	for _, p := range res.Producers {
		if p.HWM > 0 {
			st.Producers[p.ID] = p.HWM
		}
	}
	return st
}

func TestCompareAHealthyReplica(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {ev(t, "a", 1), ev(t, "a", 2), ev(t, "a", 2)}, 1: {ev(t, "b", 1)}})
	res := l.Recompute(nil, Base{})
	if m, notes := Compare(res, statsOf(res), Base{}); len(m) != 0 || len(notes) != 0 {
		t.Fatalf("mismatches %q notes %q", m, notes)
	}
}

func TestCompareNamesADoubleCountedProducer(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {ev(t, "a", 1), ev(t, "a", 2), ev(t, "a", 2), ev(t, "a", 3)}, 1: {ev(t, "b", 1), ev(t, "b", 2)}})
	res := l.Recompute(nil, Base{})
	st := statsOf(res)
	st.Total.Add(st.Total, sumOf(2)) // the copy of a:2 counted too
	st.Applied++
	m, _ := Compare(res, st, Base{})
	if len(m) != 2 {
		t.Fatalf("mismatches %q", m)
	}
	if !strings.Contains(m[0], "total differs by +22") || !strings.Contains(m[0], "producer a's events (sequences 2) add up to 22: counted twice") {
		t.Fatalf("total mismatch %q", m[0])
	}
	if !strings.Contains(m[1], "replica counted 6 events, the log holds 5") || !strings.Contains(m[1], "a: 1 copy, sequences 2") {
		t.Fatalf("count mismatch %q", m[1])
	}
}

func TestCompareCatchesADoubleCountedZeroSum(t *testing.T) {
	l := logOf(map[int32][][]byte{0: {evNums(t, "a", 1, -5, 5), evNums(t, "a", 1, -5, 5)}})
	res := l.Recompute(nil, Base{})
	st := statsOf(res)
	st.Applied++ // the total cannot show it; the count does
	if m, _ := Compare(res, st, Base{}); len(m) != 1 || !strings.Contains(m[0], "replica counted 2 events, the log holds 1") {
		t.Fatalf("mismatches %q", m)
	}
}

func TestCompareNamesProducersBehindAheadAndUnknown(t *testing.T) {
	var vs [][]byte
	for s := uint64(1); s <= 130; s++ {
		vs = append(vs, ev(t, "calc-1", s))
	}
	vs = append(vs, ev(t, "calc-2", 1), ev(t, "calc-2", 2), ev(t, "calc-2", 4))
	res := logOf(map[int32][][]byte{0: vs}).Recompute(nil, Base{})
	st := statsOf(res)
	st.Producers["calc-1"] = 120
	st.Producers["calc-2"] = 4
	st.Producers["ghost"] = 3
	st.Total.Sub(st.Total, big.NewInt(42))
	m, _ := Compare(res, st, Base{})
	want := []string{
		"producer calc-1: replica counts up to 120, log holds 1..130 (sequences 121..130 not counted)",
		"producer calc-2: replica counts up to 4, log holds only 1..2 (missing from the log: 3)",
		"producer ghost: replica counts up to 3, the log holds none of its events",
		"total differs by -42",
	}
	if len(m) != len(want) {
		t.Fatalf("mismatches %q", m)
	}
	for i, w := range want {
		if !strings.HasPrefix(m[i], w) {
			t.Errorf("mismatch %d = %q, want prefix %q", i, m[i], w)
		}
	}
}
