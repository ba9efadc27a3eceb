package outbox

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// The relay reads pending events from memory when it keeps up and from the
// database when it fell further behind than the tail holds or the process
// restarted with events pending; whichever answers, Pending is exactly what
// the database says is pending, and the relay sees every event once, in order.
func TestPendingFromMemoryIsWhatTheDatabaseHolds(t *testing.T) {
	s, path := openTemp(t, Options{})
	ctx := context.Background()
	s.tail.max = 8
	appendN := func(s *Store, n int, replay bool) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := Entry{Num1: 1, Num2: 2, Sum: 3}
				if replay {
					e.RequestID = "same" // one event, the others replay it
				}
				if _, err := s.Append(ctx, e); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	var published []uint64
	fromMemory := 0
	// publish reads and marks one batch, checking it against the database.
	publish := func(s *Store, limit int) int {
		got, err := s.Pending(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.pendingStored(ctx, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, stored) {
			t.Fatalf("Pending %v, the database %v", got, stored)
		}
		if _, ok := s.tail.pending(limit); ok {
			fromMemory++
		}
		for _, e := range got {
			published = append(published, e.Sequence)
		}
		if len(got) > 0 {
			if err := s.MarkPublished(ctx, got[len(got)-1].Sequence); err != nil {
				t.Fatal(err)
			}
		}
		return len(got)
	}
	appendN(s, 20, false) // more than the tail holds
	for publish(s, 5) > 0 {
	}
	appendN(s, 6, true)
	appendN(s, 3, false)
	publish(s, 2)
	// Restart with events pending: the old ones come from the database.
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.tail.max = 8
	appendN(s2, 4, false)
	for publish(s2, 3) > 0 {
	}
	appendN(s2, 5, false)
	for publish(s2, 3) > 0 {
	}
	want := make([]uint64, 20+1+3+4+5)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	if !slices.Equal(published, want) {
		t.Fatalf("published %v, want %v", published, want)
	}
	if fromMemory == 0 {
		t.Fatal("no batch came from memory")
	}
	t.Logf("%d of the batches from memory", fromMemory)
	if n, _, _ := s2.Backlog(ctx); n != 0 {
		t.Fatalf("backlog %d after publishing everything", n)
	}
}
