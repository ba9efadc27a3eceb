package outbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

type countingObserver struct {
	commits, appends, replays atomic.Int64
}

func (c *countingObserver) ObserveCommit(batch, replays int, _ time.Duration, err error) {
	if err == nil {
		c.commits.Add(1)
		c.appends.Add(int64(batch))
		c.replays.Add(int64(replays))
	}
}

func openTemp(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outbox.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestGroupCommitManyConcurrentAppends(t *testing.T) {
	obs := &countingObserver{}
	s, path := openTemp(t, Options{Metrics: obs})
	const n = 2000
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := s.Append(context.Background(), Entry{Num1: int64(i), Num2: 1, Sum: int64(i) + 1})
			if err != nil {
				t.Error(err)
				return
			}
			seqs[i] = r.Event.Sequence
		}(i)
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for _, q := range seqs {
		if q == 0 || q > n || seen[q] {
			t.Fatalf("sequence %d is zero, out of range or repeated", q)
		}
		seen[q] = true
	}
	if c := obs.commits.Load(); c >= n || c == 0 {
		t.Fatalf("commits = %d for %d appends: no group commit", c, n)
	}
	t.Logf("%d appends in %d commits", n, obs.commits.Load())

	// Everything acknowledged is on disk, in order, after a reopen.
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	evs, err := s2.Pending(context.Background(), 0, n+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("pending after reopen = %d, want %d", len(evs), n)
	}
	for i, e := range evs {
		if e.Sequence != uint64(i+1) || e.Sum != e.Num1+e.Num2 || e.ProducerID != s2.ProducerID() {
			t.Fatalf("event %d = %+v", i, e)
		}
	}
}

func TestIdempotentAppend(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	first, err := s.Append(ctx, Entry{RequestID: "req-1", Num1: 2, Num2: 3, Sum: 5})
	if err != nil || first.Replayed {
		t.Fatalf("first append: %+v %v", first, err)
	}
	again, err := s.Append(ctx, Entry{RequestID: "req-1", Num1: 2, Num2: 3, Sum: 5})
	if err != nil || !again.Replayed || again.Event != first.Event {
		t.Fatalf("retry: %+v %v, want replay of %+v", again, err, first.Event)
	}
	if _, err := s.Append(ctx, Entry{RequestID: "req-1", Num1: 2, Num2: 4, Sum: 6}); !errors.Is(err, ErrRequestIDConflict) {
		t.Fatalf("reuse with other numbers: %v", err)
	}
	// Many concurrent retries of one key (likely in the same batch) record one event.
	var wg sync.WaitGroup
	seqs := make(chan uint64, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Append(ctx, Entry{RequestID: "req-2", Num1: 1, Num2: 1, Sum: 2})
			if err != nil {
				t.Error(err)
				return
			}
			seqs <- r.Event.Sequence
		}()
	}
	wg.Wait()
	close(seqs)
	var one uint64
	for q := range seqs {
		if one == 0 {
			one = q
		}
		if q != one {
			t.Fatalf("retries got sequences %d and %d", one, q)
		}
	}
	evs, _ := s.Pending(ctx, 0, 100)
	if len(evs) != 2 {
		t.Fatalf("pending = %d events, want 2", len(evs))
	}
}

func TestPublishBacklogAndPrune(t *testing.T) {
	s, path := openTemp(t, Options{})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := s.Append(ctx, Entry{RequestID: fmt.Sprint("k", i), Num1: 1, Num2: 1, Sum: 2}); err != nil {
			t.Fatal(err)
		}
	}
	n, oldest, err := s.Backlog(ctx)
	if err != nil || n != 10 || oldest.IsZero() {
		t.Fatalf("backlog = %d %v %v", n, oldest, err)
	}
	evs, _ := s.Pending(ctx, 0, 4)
	if len(evs) != 4 || evs[0].Sequence != 1 || evs[3].Sequence != 4 {
		t.Fatalf("first batch: %+v", evs)
	}
	// Published, not marked yet: the next batch starts after them.
	if next, _ := s.Pending(ctx, 4, 3); len(next) != 3 || next[0].Sequence != 5 || next[2].Sequence != 7 {
		t.Fatalf("batch after 4 while 1-4 are unmarked: %+v", next)
	}
	if err := s.MarkPublished(ctx, evs[3].Sequence); err != nil {
		t.Fatal(err)
	}
	evs, _ = s.Pending(ctx, 0, 100)
	if len(evs) != 6 || evs[0].Sequence != 5 {
		t.Fatalf("after mark: %d pending, first %+v", len(evs), evs[0])
	}
	s.MarkPublished(ctx, 10)
	if n, _, _ := s.Backlog(ctx); n != 0 {
		t.Fatalf("backlog after publishing all = %d", n)
	}
	future := time.Now().Add(time.Hour)
	evN, keyN, err := s.Prune(ctx, future, future)
	if err != nil || evN != 10 || keyN != 10 {
		t.Fatalf("prune = %d %d %v", evN, keyN, err)
	}
	// Sequences are never reused, even after every row was deleted and the
	// outbox reopened.
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r, err := s2.Append(ctx, Entry{Num1: 1, Num2: 2, Sum: 3})
	if err != nil || r.Event.Sequence != 11 {
		t.Fatalf("append after prune: seq %d err %v, want 11", r.Event.Sequence, err)
	}
}

func TestSingleOwnerAndStableIdentity(t *testing.T) {
	s, path := openTemp(t, Options{ProducerID: "calc-test"})
	if _, err := Open(path, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if s.ProducerID() != "calc-test" {
		t.Fatalf("producer id %q", s.ProducerID())
	}
	s.Close()
	if _, err := s.Append(context.Background(), Entry{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := Open(path, Options{ProducerID: "calc-other"}); err == nil {
		t.Fatal("reopen with another producer id accepted")
	}
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.ProducerID() != "calc-test" {
		t.Fatalf("identity after reopen %q", s2.ProducerID())
	}
}

// TestAcknowledgedAppendsSurviveKill9 runs appends in a child process, kills
// it with SIGKILL mid-stream, and checks every append it acknowledged is in
// the outbox.
func TestAcknowledgedAppendsSurviveKill9(t *testing.T) {
	if os.Getenv("OUTBOX_CRASH_CHILD") != "" {
		crashChild(os.Getenv("OUTBOX_CRASH_CHILD"))
		return
	}
	path := filepath.Join(t.TempDir(), "outbox.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedAppendsSurviveKill9$")
	cmd.Env = append(os.Environ(), "OUTBOX_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if q, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
			acked[q] = true
		}
		if len(acked) == 3000 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	cmd.Wait()
	if len(acked) < 3000 {
		t.Fatalf("child acknowledged only %d appends", len(acked))
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.Pending(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	have := map[uint64]bool{}
	for _, e := range evs {
		have[e.Sequence] = true
	}
	for q := range acked {
		if !have[q] {
			t.Fatalf("acknowledged sequence %d lost after kill -9", q)
		}
	}
	t.Logf("%d acknowledged appends, %d in the outbox after kill -9", len(acked), len(evs))
}

func crashChild(path string) {
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, err := s.Append(context.Background(), Entry{Num1: 1, Num2: 2, Sum: 3})
				if err != nil {
					return
				}
				mu.Lock()
				fmt.Fprintln(w, r.Event.Sequence)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// One batch mixing every case the set-based commit handles: new events with
// and without a request id (numbered consecutively, in batch order), an id
// already stored, an id first seen earlier in the same batch (replayed or in
// conflict), and the relay's mark.
func TestOneBatchMixesNewRepeatedAndConflictingKeys(t *testing.T) {
	s, _ := openTemp(t, Options{})
	ctx := context.Background()
	stored, err := s.Append(ctx, Entry{RequestID: "old", Num1: 1, Num2: 1, Sum: 2})
	if err != nil {
		t.Fatal(err)
	}
	req := func(e Entry) *appendReq { return &appendReq{entry: e, done: make(chan appendResp, 1)} }
	batch := []*appendReq{
		req(Entry{RequestID: "a", Num1: 1, Num2: 2, Sum: 3}),
		req(Entry{Num1: 5, Num2: 5, Sum: 10}),                  // no id
		req(Entry{RequestID: "old", Num1: 1, Num2: 1, Sum: 2}), // stored before: replay
		req(Entry{RequestID: "a", Num1: 1, Num2: 2, Sum: 3}),   // earlier in the batch: replay
		req(Entry{RequestID: "a", Num1: 9, Num2: 9, Sum: 18}),  // earlier, other numbers: conflict
		{markUpTo: stored.Event.Sequence, done: make(chan appendResp, 1)},
		req(Entry{RequestID: "b", Num1: -4, Num2: 0, Sum: -4}),
	}
	out, replays, err := s.commitTx(batch)
	if err != nil {
		t.Fatal(err)
	}
	base := stored.Event.Sequence
	want := []struct {
		seq      uint64
		replayed bool
		conflict bool
	}{{base + 1, false, false}, {base + 2, false, false}, {base, true, false}, {base + 1, true, false}, {0, false, true}, {}, {base + 3, false, false}}
	for i, w := range want {
		r := out[i]
		switch {
		case batch[i].markUpTo > 0:
			if r.err != nil {
				t.Errorf("mark: %v", r.err)
			}
		case w.conflict:
			if !errors.Is(r.err, ErrRequestIDConflict) {
				t.Errorf("entry %d: %v, want a conflict", i, r.err)
			}
		case r.err != nil || r.res.Event.Sequence != w.seq || r.res.Replayed != w.replayed:
			t.Errorf("entry %d: sequence %d replayed %v err %v, want %d %v", i, r.res.Event.Sequence, r.res.Replayed, r.err, w.seq, w.replayed)
		}
	}
	if replays != 3 {
		t.Errorf("replays %d, want 3", replays)
	}
	if out[0].res.Event.Sum != 3 || out[6].res.Event.Sum != -4 || out[1].res.Event.RequestID != "" {
		t.Errorf("events: %+v %+v %+v", out[0].res.Event, out[1].res.Event, out[6].res.Event)
	}
	pending, err := s.Pending(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 3 || pending[0].Sequence != base+1 || pending[2].Sequence != base+3 {
		t.Fatalf("pending after the mark: %+v, want sequences %d..%d", pending, base+1, base+3)
	}
	// The keys were stored: a later retry replays.
	again, err := s.Append(ctx, Entry{RequestID: "b", Num1: -4, Num2: 0, Sum: -4})
	if err != nil || !again.Replayed || again.Event.Sequence != base+3 {
		t.Fatalf("retry of b: %+v %v", again, err)
	}
}

// A fresh outbox told to continue after 812 numbers its first event 813 and
// remembers it across a reopen; LastSequence counts pruned events, and the
// base is never lowered.
func TestContinueAfterSetsTheNextSequence(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t, Options{ProducerID: "calc-0"})
	if n, err := s.LastSequence(ctx); err != nil || n != 0 {
		t.Fatalf("fresh outbox: LastSequence = %d, %v; want 0", n, err)
	}
	if err := s.ContinueAfter(ctx, 812); err != nil {
		t.Fatal(err)
	}
	if err := s.ContinueAfter(ctx, 5); err != nil {
		t.Fatal(err)
	}
	r, err := s.Append(ctx, Entry{Num1: 1, Num2: 2, Sum: 3})
	if err != nil || r.Event.Sequence != 813 {
		t.Fatalf("first event after ContinueAfter(812): %d, %v; want 813", r.Event.Sequence, err)
	}
	if err := s.MarkPublished(ctx, 813); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Prune(ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n, err := s2.LastSequence(ctx); err != nil || n != 813 {
		t.Fatalf("after prune and reopen: LastSequence = %d, %v; want 813", n, err)
	}
	if r, err := s2.Append(ctx, Entry{Num1: 1, Num2: 1, Sum: 2}); err != nil || r.Event.Sequence != 814 {
		t.Fatalf("next event: %d, %v; want 814", r.Event.Sequence, err)
	}
}
