package consumer

import (
	"strings"
	"testing"
	"time"

	"github.com/distsum/distsum/services/totals/internal/ledger"
)

func TestLostLogNamesTheMissingSequences(t *testing.T) {
	var g lostLog
	now := time.Unix(1000, 0)
	gaps := []ledger.Gap{{Producer: "calc-1", From: 41, To: 60, Held: 12, Missing: 20}}
	if err := g.check(gaps, now); err != nil {
		t.Fatalf("a fresh gap is reported before its grace period: %v", err)
	}
	err := g.check(gaps, now.Add(gapGrace))
	if err == nil || !strings.Contains(err.Error(), "producer calc-1: sequences 41..60 missing") {
		t.Fatalf("a lasting gap: %v", err)
	}
	if err := g.check(nil, now.Add(2*gapGrace)); err != nil {
		t.Fatalf("a filled gap: %v", err)
	}

	// Records deleted unread: reported at once, and a gap behind them at once.
	g.deletedUnread(1, 100, 149)
	err = g.check(nil, now)
	if err == nil || !strings.Contains(err.Error(), "partition 1 offsets 100..149") {
		t.Fatalf("deleted records: %v", err)
	}
	err = g.check(gaps, now)
	if err == nil || !strings.Contains(err.Error(), "sequences 41..60") {
		t.Fatalf("a gap behind deleted records: %v", err)
	}
	// Once the producer's re-published events fill the gap, it is ready.
	if err := g.check(nil, now); err != nil {
		t.Fatalf("gap filled: %v", err)
	}
}
