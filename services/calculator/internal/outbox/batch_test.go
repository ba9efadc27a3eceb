package outbox

import (
	"slices"
	"testing"
)

func TestFillBatchTakesWhatIsQueuedUpToMax(t *testing.T) {
	reqs := make(chan int, 8)
	for i := 2; i <= 6; i++ {
		reqs <- i
	}
	batch := FillBatch(make([]int, 0, 4), 1, reqs, 4)
	if want := []int{1, 2, 3, 4}; !slices.Equal(batch, want) {
		t.Fatalf("batch %v, want %v", batch, want)
	}
	// The rest waits for the next batch; an empty queue does not block.
	if batch = FillBatch(batch, 9, reqs, 4); !slices.Equal(batch, []int{9, 5, 6}) {
		t.Fatalf("second batch %v, want [9 5 6]", batch)
	}
	close(reqs)
	if batch = FillBatch(batch, 7, reqs, 4); !slices.Equal(batch, []int{7}) {
		t.Fatalf("batch after close %v, want [7]", batch)
	}
}
