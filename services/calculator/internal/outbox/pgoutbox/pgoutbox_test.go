package pgoutbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
	"github.com/distsum/distsum/services/calculator/internal/relay"
	"github.com/distsum/distsum/tests/testkit"
)

type countingObserver struct {
	commits, appends, replays, errors atomic.Int64
}

func (c *countingObserver) ObserveCommit(batch, replays int, _ time.Duration, err error) {
	if err != nil {
		c.errors.Add(1)
		return
	}
	c.commits.Add(1)
	c.appends.Add(int64(batch))
	c.replays.Add(int64(replays))
}

var testLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// PGOUTBOX_DEBUG=1 shows the stores' logs (e.g. batches retried after a racing key).
func init() {
	if os.Getenv("PGOUTBOX_DEBUG") != "" {
		testLog = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

func open(t *testing.T, url string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLog
	}
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sqlCount(t *testing.T, url, q string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func sqlExec(t *testing.T, url, q string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, q, args...); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresOutbox runs every case against one real PostgreSQL server,
// each in its own database.
func TestPostgresOutbox(t *testing.T) {
	if url := os.Getenv("PGOUTBOX_CRASH_CHILD"); url != "" {
		crashChild(url)
		return
	}
	pg := testkit.StartPostgres(t)
	t.Run("GroupCommit", func(t *testing.T) { testGroupCommit(t, pg.NewDatabase(t)) })
	t.Run("IdempotencyAcrossCalculators", func(t *testing.T) { testIdempotencyAcrossStores(t, pg.NewDatabase(t)) })
	t.Run("PublishBacklogAndPrune", func(t *testing.T) { testPublishBacklogAndPrune(t, pg.NewDatabase(t)) })
	t.Run("SecondHolderRefused", func(t *testing.T) { testSecondHolderRefused(t, pg.NewDatabase(t)) })
	t.Run("FencedHolderCannotCommit", func(t *testing.T) { testFenced(t, pg.NewDatabase(t)) })
	t.Run("Kill9LosesNoAcknowledgedAppend", func(t *testing.T) { testKill9(t, pg.NewDatabase(t)) })
	t.Run("OrphanBacklogIsAdopted", func(t *testing.T) { testAdoption(t, pg.NewDatabase(t)) })
	t.Run("NotReadyWhileCommitsFail", func(t *testing.T) { testNotReadyWhileCommitsFail(t, pg.NewDatabase(t)) })
	t.Run("TraceContextStoredAndOldSchemaMigrated", func(t *testing.T) { testTraceContext(t, pg.NewDatabase(t)) })
}

// testNotReadyWhileCommitsFail: the server refuses every commit of the
// outbox for real (a CHECK constraint no producer row can meet; every append
// updates that row), while it still answers. Appends fail and Ping says the
// outbox cannot commit, although the pool's ping (what readiness checked
// before, the negative control) passes. With the constraint dropped, Ping is
// nil again without any Append (its probe commits) and Appends go on.
func testNotReadyWhileCommitsFail(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url, Options{})
	if _, err := s.Append(ctx, outbox.Entry{Num1: 1, Num2: 1, Sum: 2}); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `ALTER TABLE outbox_producer ADD CONSTRAINT commits_refused CHECK (next_seq < 0) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, outbox.Entry{RequestID: "refused", Num1: 2, Num2: 2, Sum: 4}); err == nil {
		t.Fatal("Append succeeded while the server refuses the outbox's commits")
	}
	err = s.Ping(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "outbox cannot commit: ") || !strings.Contains(err.Error(), "commits_refused") {
		t.Fatalf("Ping while commits fail: %v; want the outbox cannot commit, naming the cause", err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		t.Fatalf("the database's own ping failed too (%v): the test no longer shows what it claims", err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping passed while the probe cannot commit either")
	}
	if _, err := admin.Exec(ctx, `ALTER TABLE outbox_producer DROP CONSTRAINT commits_refused`); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping once commits can succeed, with no Append in between: %v", err)
	}
	r, err := s.Append(ctx, outbox.Entry{RequestID: "refused", Num1: 2, Num2: 2, Sum: 4})
	if err != nil || r.Replayed || r.Event.Sequence != 2 {
		t.Fatalf("the refused Add retried: %+v, %v; want a new event with sequence 2", r, err)
	}
}

func testGroupCommit(t *testing.T, url string) {
	obs := &countingObserver{}
	s := open(t, url, Options{Metrics: obs})
	const n = 2000
	seqs := make([]uint64, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := s.Append(context.Background(), outbox.Entry{RequestID: fmt.Sprint("g", i), Num1: int64(i), Num2: 1, Sum: int64(i) + 1})
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
	if c := obs.commits.Load(); c >= n/4 || c == 0 {
		t.Fatalf("commits = %d for %d appends: no group commit", c, n)
	}
	t.Logf("%d appends in %d commits", n, obs.commits.Load())
	id := s.ProducerID()
	s.Close()
	// Everything acknowledged is in the database, in order, read by a new store under the same id.
	s2 := open(t, url, Options{ProducerID: id})
	evs, err := s2.Pending(context.Background(), 0, n+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("pending after reopen = %d, want %d", len(evs), n)
	}
	for i, e := range evs {
		if e.Sequence != uint64(i+1) || e.Sum != e.Num1+e.Num2 || e.ProducerID != id {
			t.Fatalf("event %d = %+v", i, e)
		}
	}
	r, err := s2.Append(context.Background(), outbox.Entry{Num1: 1, Num2: 1, Sum: 2})
	if err != nil || r.Event.Sequence != n+1 {
		t.Fatalf("append after reopen: %+v %v, want sequence %d", r, err, n+1)
	}
}

func testIdempotencyAcrossStores(t *testing.T, url string) {
	a := open(t, url, Options{ProducerID: "calc-a"})
	b := open(t, url, Options{ProducerID: "calc-b"})
	ctx := context.Background()
	first, err := a.Append(ctx, outbox.Entry{RequestID: "req-1", Num1: 2, Num2: 3, Sum: 5})
	if err != nil || first.Replayed {
		t.Fatalf("first append: %+v %v", first, err)
	}
	// The retry reaches the other calculator: the first answer, replayed.
	again, err := b.Append(ctx, outbox.Entry{RequestID: "req-1", Num1: 2, Num2: 3, Sum: 5})
	if err != nil || !again.Replayed || again.Event != first.Event {
		t.Fatalf("retry on the other calculator: %+v %v, want replay of %+v", again, err, first.Event)
	}
	if _, err := b.Append(ctx, outbox.Entry{RequestID: "req-1", Num1: 2, Num2: 4, Sum: 6}); !errors.Is(err, outbox.ErrRequestIDConflict) {
		t.Fatalf("reuse with other numbers on the other calculator: %v", err)
	}
	if _, err := a.Append(ctx, outbox.Entry{RequestID: "req-1", Num1: 9, Num2: 3, Sum: 12}); !errors.Is(err, outbox.ErrRequestIDConflict) {
		t.Fatalf("reuse with other numbers: %v", err)
	}
	// Concurrent retries of many keys on both calculators at once (racing
	// transactions on the same keys): each key is recorded exactly once and
	// every answer for a key is the same event.
	const keys, tries = 200, 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]map[sumevent.Token]bool{}
	for k := 0; k < keys; k++ {
		for i := 0; i < tries; i++ {
			wg.Add(1)
			go func(k, i int) {
				defer wg.Done()
				s := a
				if i%2 == 1 {
					s = b
				}
				id := fmt.Sprint("race-", k)
				r, err := s.Append(ctx, outbox.Entry{RequestID: id, Num1: int64(k), Num2: 1, Sum: int64(k) + 1})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if got[id] == nil {
					got[id] = map[sumevent.Token]bool{}
				}
				got[id][r.Event.Token()] = true
				mu.Unlock()
			}(k, i)
		}
	}
	wg.Wait()
	for id, toks := range got {
		if len(toks) != 1 {
			t.Fatalf("%s answered with %d different events: %v", id, len(toks), toks)
		}
	}
	if n := sqlCount(t, url, `SELECT COUNT(*) FROM outbox_event WHERE request_id LIKE 'race-%'`); n != keys {
		t.Fatalf("%d events recorded for %d keys", n, keys)
	}
	// Each producer's sequences have no gap (a gap would stall the totals).
	for _, p := range []string{"calc-a", "calc-b"} {
		if n, max := sqlCount(t, url, `SELECT COUNT(*) FROM outbox_event WHERE producer_id = $1`, p),
			sqlCount(t, url, `SELECT COALESCE(MAX(sequence), 0) FROM outbox_event WHERE producer_id = $1`, p); n != max {
			t.Fatalf("%s: %d events, highest sequence %d: a gap", p, n, max)
		}
	}
}

func testPublishBacklogAndPrune(t *testing.T, url string) {
	s := open(t, url, Options{ProducerID: "calc-prune"})
	other := open(t, url, Options{ProducerID: "calc-other"})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := s.Append(ctx, outbox.Entry{RequestID: fmt.Sprint("k", i), Num1: 1, Num2: 1, Sum: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := other.Append(ctx, outbox.Entry{Num1: 5, Num2: 5, Sum: 10}); err != nil {
		t.Fatal(err)
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
	if n, _, _ := other.Backlog(ctx); n != 1 {
		t.Fatalf("the other producer's backlog = %d, want 1 (marks are per producer)", n)
	}
	future := time.Now().Add(time.Hour)
	evN, keyN, err := s.Prune(ctx, future, future)
	if err != nil || evN != 10 || keyN != 10 {
		t.Fatalf("prune = %d %d %v", evN, keyN, err)
	}
	if n, _, _ := other.Backlog(ctx); n != 1 {
		t.Fatal("prune deleted an unpublished event")
	}
	// Sequences are never reused, even after every row was deleted and the id re-opened.
	s.Close()
	s2 := open(t, url, Options{ProducerID: "calc-prune"})
	r, err := s2.Append(ctx, outbox.Entry{Num1: 1, Num2: 2, Sum: 3})
	if err != nil || r.Event.Sequence != 11 {
		t.Fatalf("append after prune: seq %d err %v, want 11", r.Event.Sequence, err)
	}
}

func testSecondHolderRefused(t *testing.T, url string) {
	s := open(t, url, Options{ProducerID: "calc-one"})
	start := time.Now()
	_, err := Open(context.Background(), url, Options{ProducerID: "calc-one", Logger: testLog, HolderWait: 600 * time.Millisecond})
	if !errors.Is(err, outbox.ErrLocked) || !strings.Contains(err.Error(), `"calc-one"`) {
		t.Fatalf("second open of the same producer id: %v, want ErrLocked naming the id", err)
	}
	if waited := time.Since(start); waited < 500*time.Millisecond {
		t.Fatalf("refused after %v, before the holder wait", waited)
	}
	// An id let go during the wait (an adopter that published the backlog) is
	// taken: the restart does not fail.
	held := open(t, url, Options{ProducerID: "calc-freed"})
	time.AfterFunc(300*time.Millisecond, func() { held.Close() })
	freed, err := Open(context.Background(), url, Options{ProducerID: "calc-freed", Logger: testLog, HolderWait: 10 * time.Second})
	if err != nil {
		t.Fatalf("open while the holder lets go: %v", err)
	}
	freed.Close()
	fresh := open(t, url, Options{})
	if fresh.ProducerID() == s.ProducerID() || !strings.HasPrefix(fresh.ProducerID(), "calc-") {
		t.Fatalf("an instance without an id got %q", fresh.ProducerID())
	}
	epoch := s.Epoch()
	s.Close()
	if _, err := s.Append(context.Background(), outbox.Entry{}); !errors.Is(err, outbox.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	s2 := open(t, url, Options{ProducerID: "calc-one"})
	if s2.Epoch() != epoch+1 {
		t.Fatalf("epoch after re-taking the id = %d, want %d", s2.Epoch(), epoch+1)
	}
}

func testFenced(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url, Options{ProducerID: "calc-old"})
	if _, err := s.Append(ctx, outbox.Entry{RequestID: "before", Num1: 1, Num2: 1, Sum: 2}); err != nil {
		t.Fatal(err)
	}
	// Another process took the id (epoch bump) behind this holder's back:
	// its next commit must fail and record nothing.
	sqlExec(t, url, `UPDATE outbox_producer SET epoch = epoch + 1 WHERE id = 'calc-old'`)
	_, err := s.Append(ctx, outbox.Entry{RequestID: "fenced", Num1: 2, Num2: 2, Sum: 4})
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("append by a fenced holder: %v, want ErrFenced", err)
	}
	if n := sqlCount(t, url, `SELECT COUNT(*) FROM outbox_event WHERE request_id = 'fenced'`); n != 0 {
		t.Fatal("a fenced holder's append was recorded")
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("a fenced store reports ready")
	}

	// The lock connection dies (here: terminated by the server) and another
	// process takes the id: the old one refuses appends; it never commits
	// under the id while the other holds it.
	s2 := open(t, url, Options{ProducerID: "calc-dies"})
	if _, err := s2.Append(ctx, outbox.Entry{Num1: 1, Num2: 1, Sum: 2}); err != nil {
		t.Fatal(err)
	}
	sqlExec(t, url, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext('calc-dies')::oid`, lockNamespace)
	taker := open(t, url, Options{ProducerID: "calc-dies"})
	for i := 0; i < 3; i++ {
		if _, err := s2.Append(ctx, outbox.Entry{Num1: 7, Num2: 7, Sum: 14}); err == nil {
			t.Fatal("an append was acknowledged by a process whose lock was taken over")
		}
		time.Sleep(300 * time.Millisecond)
	}
	r, err := taker.Append(ctx, outbox.Entry{Num1: 1, Num2: 2, Sum: 3})
	if err != nil || r.Event.Sequence != 2 {
		t.Fatalf("the new holder's append: %+v %v, want sequence 2", r, err)
	}
	if n := sqlCount(t, url, `SELECT COUNT(*) FROM outbox_event WHERE producer_id = 'calc-dies' AND num1 = 7`); n != 0 {
		t.Fatal("the replaced holder committed under the id")
	}
	// Once the new holder is gone, the old process re-takes the lock and goes on.
	taker.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := s2.Append(ctx, outbox.Entry{Num1: 3, Num2: 3, Sum: 6})
		if err == nil {
			if r.Event.Sequence != 3 {
				t.Fatalf("after re-taking the lock: sequence %d, want 3", r.Event.Sequence)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock not re-taken: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testKill9 runs appends in a child process, kills it with SIGKILL
// mid-stream, and checks every append it acknowledged is in the database.
func testKill9(t *testing.T, url string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresOutbox$")
	cmd.Env = append(os.Environ(), "PGOUTBOX_CRASH_CHILD="+url)
	cmd.Stderr = os.Stderr
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
	// The dead child's lock is released by the server with its connection.
	s := open(t, url, Options{ProducerID: "calc-crash"})
	evs, err := s.Pending(context.Background(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	have := map[uint64]bool{}
	for i, e := range evs {
		have[e.Sequence] = true
		if e.Sequence != uint64(i+1) {
			t.Fatalf("gap: event %d has sequence %d", i, e.Sequence)
		}
	}
	for q := range acked {
		if !have[q] {
			t.Fatalf("acknowledged sequence %d lost after kill -9", q)
		}
	}
	t.Logf("%d acknowledged appends, %d in the outbox after kill -9", len(acked), len(evs))
}

func crashChild(url string) {
	s, err := Open(context.Background(), url, Options{ProducerID: "calc-crash", Logger: testLog})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	var n atomic.Int64
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				r, err := s.Append(context.Background(), outbox.Entry{RequestID: fmt.Sprint("crash-", i), Num1: 1, Num2: 2, Sum: 3})
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

// collector is a relay publisher that keeps what it was given.
type collector struct {
	mu     sync.Mutex
	events []sumevent.Event
}

func (c *collector) Publish(_ context.Context, evs []sumevent.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, evs...)
	return nil
}
func (c *collector) Close() error { return nil }

func testAdoption(t *testing.T, url string) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	adopter := open(t, url, Options{ProducerID: "calc-adopter", Registerer: reg})
	dead := open(t, url, Options{ProducerID: "calc-dead"})
	const n = 500
	for i := 0; i < n; i++ {
		if _, err := dead.Append(ctx, outbox.Entry{Num1: int64(i), Num2: 1, Sum: int64(i) + 1}); err != nil {
			t.Fatal(err)
		}
	}
	// A live producer's backlog is not an orphan.
	if ids, err := adopter.Orphans(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("orphans while every producer is alive: %v %v", ids, err)
	}
	pub := &collector{}
	drain := func(ctx context.Context, o *Orphan) bool {
		r := relay.New(o, func() (relay.Publisher, error) { return pub, nil }, relay.Options{BatchSize: 100}, testLog, nil)
		return r.Drain(ctx)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go adopter.RunAdoption(runCtx, 200*time.Millisecond, drain)

	died := time.Now()
	dead.Close() // the process is gone for good: its lock is free, its backlog stranded
	deadline := time.Now().Add(20 * time.Second)
	for {
		if left := sqlCount(t, url, `SELECT COUNT(*) FROM outbox_event WHERE producer_id = 'calc-dead' AND published_at IS NULL`); left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the orphan's backlog was not adopted in 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	delay := time.Since(died)
	stop()
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.events) != n {
		t.Fatalf("published %d adopted events, want %d", len(pub.events), n)
	}
	for i, e := range pub.events {
		if e.ProducerID != "calc-dead" || e.Sequence != uint64(i+1) {
			t.Fatalf("adopted event %d = %+v: not under the orphan's identity and order", i, e)
		}
	}
	if got := testutil.ToFloat64(adopter.adopted.WithLabelValues("calc-dead")); got != n {
		t.Fatalf("outbox_adopted_events_total{producer=calc-dead} = %v, want %d", got, n)
	}
	// Drained: the lock is let go, the producer can come back and go on.
	back := func() *Store {
		deadline := time.Now().Add(5 * time.Second)
		for {
			s, err := Open(ctx, url, Options{ProducerID: "calc-dead", Logger: testLog})
			if err == nil {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("the adopted producer's lock was not released: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	defer back.Close()
	r, err := back.Append(ctx, outbox.Entry{Num1: 1, Num2: 1, Sum: 2})
	if err != nil || r.Event.Sequence != n+1 {
		t.Fatalf("append by the returning producer: %+v %v", r, err)
	}
	t.Logf("adoption: %d events of a dead producer published %s after it died (adoption interval 200ms)", n, delay.Round(time.Millisecond))
}
