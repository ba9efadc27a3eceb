package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
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
		got, err := s.Pending(ctx, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.pendingStored(ctx, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, stored) {
			t.Fatalf("Pending %v, the database %v", got, stored)
		}
		if len(got) > 1 {
			// The relay reading on while the first events are being marked.
			after := got[0].Sequence
			ahead, err := s.Pending(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			storedAhead, err := s.pendingStored(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ahead, storedAhead) || ahead[0].Sequence != after+1 {
				t.Fatalf("Pending after %d: %v, the database %v", after, ahead, storedAhead)
			}
		}
		if _, ok := s.tail.pending(0, limit); ok {
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

// An outbox whose events were marked published row by row (published_at and
// two partial indexes) opens with one mark: the published events stay
// published, the others pending, and pruning still goes by publication time.
func TestOldPerRowMarksBecomeOneMark(t *testing.T) {
	old := time.Now().Add(-2 * time.Hour).UnixNano()
	path := writeOutbox(t,
		`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO meta VALUES ('producer_id', 'calc-old')`,
		`CREATE TABLE outbox_event (sequence INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, num1 INTEGER NOT NULL,
			num2 INTEGER NOT NULL, sum INTEGER NOT NULL, created_at INTEGER NOT NULL, published_at INTEGER, trace_parent TEXT, trace_state TEXT)`,
		`CREATE INDEX outbox_event_pending ON outbox_event (sequence) WHERE published_at IS NULL`,
		`CREATE INDEX outbox_event_published ON outbox_event (published_at) WHERE published_at IS NOT NULL`,
		`INSERT INTO outbox_event (num1, num2, sum, created_at, published_at) VALUES (1, 1, 2, 1, 10), (1, 1, 2, 1, 20), (1, 1, 2, 1, `+fmt.Sprint(old)+`)`,
		`INSERT INTO outbox_event (num1, num2, sum, created_at) VALUES (1, 1, 2, 1), (1, 1, 2, 1)`,
	)

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	evs, err := s.Pending(ctx, 0, 10)
	if err != nil || len(evs) != 2 || evs[0].Sequence != 4 || evs[1].Sequence != 5 {
		t.Fatalf("pending after the migration: %+v, %v; want 4 and 5", evs, err)
	}
	if n, _, err := s.Backlog(ctx); err != nil || n != 2 {
		t.Fatalf("backlog %d, %v; want 2", n, err)
	}
	var indexes int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'outbox_event_%'`).Scan(&indexes); err != nil || indexes != 0 {
		t.Fatalf("%d per-row indexes left, %v", indexes, err)
	}
	// Published 2 h ago (the latest of the three): pruned with a 1 h retention.
	if n, _, err := s.Prune(ctx, time.Now().Add(-3*time.Hour), time.Time{}); err != nil || n != 0 {
		t.Fatalf("prune before their publication: %d events, %v", n, err)
	}
	if n, _, err := s.Prune(ctx, time.Now().Add(-time.Hour), time.Time{}); err != nil || n != 3 {
		t.Fatalf("prune after their publication: %d events, %v; want 3", n, err)
	}
	if err := s.MarkPublished(ctx, 5); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Reopened: nothing pending, nothing migrated again.
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if evs, err := s2.Pending(ctx, 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("pending after the reopen: %+v, %v", evs, err)
	}
	r, err := s2.Append(ctx, Entry{Num1: 1, Num2: 1, Sum: 2})
	if err != nil || r.Event.Sequence != 6 {
		t.Fatalf("append: %+v, %v; want sequence 6", r, err)
	}
}

// writeOutbox makes an outbox file the way an older calculator left it: the
// statements run on a fresh database, whose path is returned.
func writeOutbox(t *testing.T, statements ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outbox.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return path
}
