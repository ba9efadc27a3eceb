package outbox

import (
	"fmt"
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

func TestChunksArePowersOfTwoCoveringEveryRowOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 64, 100, 1023, 4096} {
		var sizes []int
		next := 0
		err := chunks(n, func(off, size int) error {
			if off != next || size&(size-1) != 0 {
				t.Errorf("n=%d: chunk at %d of %d, want at %d and a power of two", n, off, size, next)
			}
			next = off + size
			sizes = append(sizes, size)
			return nil
		})
		if err != nil || next != n {
			t.Errorf("n=%d: chunks cover %d rows (%v), err %v", n, next, sizes, err)
		}
		if n == 100 && fmt.Sprint(sizes) != "[64 32 4]" {
			t.Errorf("100 rows in %v, want [64 32 4]", sizes)
		}
	}
}
