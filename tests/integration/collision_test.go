package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/tests/testkit"
)

// TestTwoCalculatorsUnderOneProducerIDAreReported: two calculators started
// with the same CALCULATOR_PRODUCER_ID (separate data directories, so the
// SQLite lock cannot refuse the second) both number their events 1, 2, 3,
// ... For every sequence totals counts whichever record it reads first; the
// other, with other content, is a collision: parked, counted in
// totals_sequence_collisions_total, and /readyz fails naming it. Every record
// is accounted for: counted or parked (all are inside the fingerprint window,
// so none is an unverified duplicate).
func TestTwoCalculatorsUnderOneProducerIDAreReported(t *testing.T) {
	const n = 200
	k := startKafka(t)
	// A calculator refuses to start under an id another live one holds
	// (TestSecondLiveCalculatorUnderTheSameIDIsRefused); built without that
	// check, two writers get through, as they would if both started at the
	// same instant, and totals is the line behind it.
	bin := uncheckedCalculator(t)
	a := testkit.StartCalculatorBinary(t, bin, k.Bootstrap(), "CALCULATOR_PRODUCER_ID=twin")
	b := testkit.StartCalculatorBinary(t, bin, k.Bootstrap(), "CALCULATOR_PRODUCER_ID=twin")
	totals := testkit.StartTotals(t, k.Bootstrap())

	// Interleaved, so the two writers' records alternate on the partition.
	ca, cb := a.Client(t), b.Client(t)
	written := new(big.Int)
	for i := range int64(n / 10) {
		_, sa := addN(t, ca, 10, i*10)
		_, sb := addN(t, cb, 10, 100000+i*10)
		written.Add(written, sa).Add(written, sb)
	}

	deadLetter := filepath.Join(totals.DataDir, "deadletter.jsonl")
	var parked []sumevent.Event
	eventually(t, "totals counts one record per sequence and parks the other", 60*time.Second, func() string {
		if v := metric(t, totals.OpsURL, "totals_sequence_collisions_total"); v != n {
			return fmt.Sprintf("totals_sequence_collisions_total %v, want %d", v, n)
		}
		code, body := get(t, totals.URL+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"collisions"`) ||
			!strings.Contains(body, "producer twin: sequence ") || !strings.Contains(body, "(two writers under one producer id?)") {
			return fmt.Sprintf("readyz %d %s", code, body)
		}
		parked = readParked(t, deadLetter)
		if len(parked) != n {
			return fmt.Sprintf("%d records parked, want %d", len(parked), n)
		}
		if st := totals.Stats(t); st.Applied != n {
			return fmt.Sprintf("%d events applied (durably), want %d", st.Applied, n)
		}
		return ""
	})
	_, body := get(t, totals.URL+"/readyz")
	t.Logf("readyz: %.600s", strings.TrimSpace(body))

	// Each sequence 1..n parked once; counted + parked = everything written.
	seen := map[uint64]bool{}
	parkedSum := new(big.Int)
	for _, e := range parked {
		if e.ProducerID != "twin" || e.Sequence < 1 || e.Sequence > n || seen[e.Sequence] {
			t.Fatalf("parked record %+v: not one per sequence 1..%d", e, n)
		}
		seen[e.Sequence] = true
		parkedSum.Add(parkedSum, big.NewInt(e.Sum))
	}
	total := totals.Total(t)
	if got := new(big.Int).Add(total, parkedSum); got.Cmp(written) != 0 {
		t.Fatalf("total %s + parked %s = %s, want every written sum %s", total, parkedSum, got, written)
	}
	// Every collision was detected: none fell behind the window.
	if v := metric(t, totals.OpsURL, "totals_duplicates_unverified_total"); v != 0 {
		t.Fatalf("totals_duplicates_unverified_total %v, want 0 (%d records, window 65536)", v, 2*n)
	}
	if v := metric(t, totals.OpsURL, "totals_duplicates_skipped_total"); v != 0 {
		t.Fatalf("totals_duplicates_skipped_total %v: a collision passed as a duplicate", v)
	}
	t.Logf("written %s = total %s + parked %s; %d collisions", written, total, parkedSum, n)
}

// readParked decodes the records parked in the dead-letter file as sequence
// collisions.
func readParked(t *testing.T, path string) []sumevent.Event {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sumevent.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p struct{ Value, Encoding, Error string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("dead-letter line %q: %v", sc.Text(), err)
		}
		if !strings.HasPrefix(p.Error, "sequence collision: ") || p.Encoding != "utf8" {
			t.Fatalf("parked for another reason: %+v", p)
		}
		e, err := sumevent.Decode([]byte(p.Value))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}
