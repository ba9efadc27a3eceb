package checkpoint

import (
	"testing"
	"time"

	"github.com/distsum/distsum/services/totals/internal/ledger"
)

func cp(replica, topic, id string, saved int, offsets map[int32]int64) Checkpoint {
	return Checkpoint{Replica: replica, Snap: ledger.Snapshot{Topic: topic, TopicID: id, Offsets: offsets,
		SavedAt: time.Unix(int64(saved), 0)}}
}

func TestBestCoversTheMostOfTheSameTopic(t *testing.T) {
	cps := []Checkpoint{
		cp("behind", "t", "id1", 30, map[int32]int64{0: 10, 1: 10}),
		cp("ahead", "t", "id1", 10, map[int32]int64{0: 15, 1: 10}),
		cp("old-topic", "t", "id0", 40, map[int32]int64{0: 900}),
		cp("other", "u", "id1", 50, map[int32]int64{0: 999}),
		cp("no-id", "t", "", 60, map[int32]int64{0: 999}),
	}
	if got, ok := Best(cps, "t", "id1"); !ok || got.Replica != "ahead" {
		t.Fatalf("Best = %s %v, want ahead", got.Replica, ok)
	}
	if _, ok := Best(cps, "t", "id9"); ok {
		t.Fatal("a checkpoint of another topic id was chosen")
	}
	// A tie goes to the newest.
	tie := append(cps, cp("ahead-newer", "t", "id1", 20, map[int32]int64{0: 5, 1: 20}))
	if got, _ := Best(tie, "t", "id1"); got.Replica != "ahead-newer" {
		t.Fatalf("tie: %s", got.Replica)
	}
	if got, ok := Newest(cps, "t"); !ok || got.Replica != "no-id" {
		t.Fatalf("Newest = %s", got.Replica)
	}
	if _, ok := Best(nil, "t", "id1"); ok {
		t.Fatal("Best of nothing")
	}
}
