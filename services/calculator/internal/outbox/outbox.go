// Package outbox is the calculator's durable queue of accepted sums.
//
// An Add is acknowledged only after its event (and its idempotency key, if
// any) is committed to SQLite with synchronous=FULL, so an acknowledged Add
// survives kill -9 and power loss. Concurrent appends share one transaction
// and one fsync (group commit): throughput comes from batching, not from
// weaker durability. Events are numbered by a strictly increasing sequence
// (AUTOINCREMENT: never reused, even after pruning), which is the event's
// identity downstream.
//
// One process at a time owns an outbox file (an exclusive lock file), so
// only one relay ever publishes a given outbox.
package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/libs/tracing"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Entry is what the calculator asks to record.
type Entry struct {
	RequestID string
	Num1      int64
	Num2      int64
	Sum       int64
	// TraceParent and TraceState are the Add's W3C trace context, stored
	// with its event for the relay to send on (set by Append from its ctx,
	// empty when tracing is off).
	TraceParent string
	TraceState  string
}

// Result is the recorded event, and whether it replays an earlier append
// with the same request id.
type Result struct {
	Event    sumevent.Event
	Replayed bool
}

var (
	// ErrRequestIDConflict: the request id was used before with other numbers.
	ErrRequestIDConflict = errors.New("request_id was already used with different numbers")
	// ErrClosed: the outbox is shutting down.
	ErrClosed = errors.New("outbox is closed")
	// ErrLocked: another process owns this outbox.
	ErrLocked = errors.New("outbox is in use by another process")
)

// Options tune the store. Zero values take the defaults.
type Options struct {
	// ProducerID is used when the outbox is created; an existing outbox keeps
	// its own, and a different non-empty value is an error (two identities
	// for one sequence space would break de-duplication downstream).
	ProducerID string
	// MaxBatch bounds appends per group commit (default 1024).
	MaxBatch int
	// QueueSize bounds appends waiting for a commit (default 4096); callers
	// beyond it wait, which is the back-pressure on Add.
	QueueSize int
	// Metrics receives commit statistics; nil disables them.
	Metrics Observer
	Logger  *slog.Logger
}

// Observer receives statistics about group commits.
type Observer interface {
	ObserveCommit(batch int, replays int, d time.Duration, err error)
}

// Store is an open outbox.
type Store struct {
	db         *sql.DB
	lock       *os.File
	producerID string
	instance   string
	log        *slog.Logger
	obs        Observer
	maxBatch   int
	health     *CommitHealth
	tail       *tail
	stmts      *stmts
	fresh      []sumevent.Event // the writer's buffer of a commit's new events

	reqs    chan *appendReq
	notify  chan struct{}
	mu      sync.RWMutex // guards closed against sends on reqs
	closed  bool
	stopped chan struct{}
}

// appendReq is one request to the writer: an append, or (markUpTo > 0) a
// MarkPublished. Marks go through the writer too: SQLite has one write lock,
// which the writer holds almost all the time under load, so a mark on its
// own connection waited out busy-handler sleeps (up to 100 ms each, seconds
// in all) and the relay fell behind the Adds. Queued with the appends, a mark
// shares their transaction and fsync.
type appendReq struct {
	entry    Entry
	markUpTo uint64
	done     chan appendResp
}

type appendResp struct {
	res Result
	err error
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_event (
	sequence     INTEGER PRIMARY KEY AUTOINCREMENT,
	request_id   TEXT,
	num1         INTEGER NOT NULL,
	num2         INTEGER NOT NULL,
	sum          INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	published_at INTEGER, -- unused since published_mark; kept so the file keeps one shape
	trace_parent TEXT,
	trace_state  TEXT
);
CREATE TABLE IF NOT EXISTS published_mark (
	sequence     INTEGER PRIMARY KEY,
	published_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS published_mark_at ON published_mark (published_at);
CREATE TABLE IF NOT EXISTS idempotency_key (
	request_id TEXT PRIMARY KEY,
	sequence   INTEGER NOT NULL,
	num1       INTEGER NOT NULL,
	num2       INTEGER NOT NULL,
	sum        INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_key_created ON idempotency_key (created_at);
`

// The relay publishes in sequence order, so what is published is always a
// prefix of the outbox: one row per mark in published_mark ("every event up
// to sequence was published at published_at") records it, and the pending
// events are those after the newest mark. Marking each event's row cost, per
// event, a row rewrite and two partial-index updates in the group commit.
const publishedThrough = `(SELECT COALESCE(MAX(sequence), 0) FROM published_mark)`

// Open opens (creating if needed) the outbox database at path.
func Open(path string, opts Options) (*Store, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1024
	}
	// A batch is one statement per table: 7 bound values per Add must stay
	// under SQLite's 32,766 variables.
	opts.MaxBatch = min(opts.MaxBatch, 4096)
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("outbox: create directory: %w", err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	// WAL + synchronous=FULL: every commit is fsync'd before it returns.
	// _txlock=immediate takes the write lock at BEGIN, so a transaction never
	// fails half-way on a lock upgrade.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{
		db:       db,
		lock:     lock,
		log:      opts.Logger,
		obs:      opts.Metrics,
		maxBatch: opts.MaxBatch,
		health:   NewCommitHealth("disk full?", opts.Logger),
		reqs:     make(chan *appendReq, opts.QueueSize),
		notify:   make(chan struct{}, 1),
		stopped:  make(chan struct{}),
	}
	if err := s.init(opts.ProducerID); err != nil {
		db.Close()
		lock.Close()
		return nil, err
	}
	s.stmts = newStmts(db)
	if s.tail, err = s.openTail(); err != nil {
		db.Close()
		lock.Close()
		return nil, err
	}
	go s.writer()
	return s, nil
}

func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("outbox: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%s): %v", ErrLocked, path, err)
	}
	return f, nil
}

func (s *Store) init(wantID string) error {
	ctx := context.Background()
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("outbox: schema: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'producer_id'`).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		id = wantID
		if id == "" {
			b := make([]byte, 6)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			id = "calc-" + hex.EncodeToString(b)
		}
		if err := sumevent.ValidateProducerID(id); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('producer_id', ?)`, id); err != nil {
			return fmt.Errorf("outbox: store producer id: %w", err)
		}
	case err != nil:
		return fmt.Errorf("outbox: read producer id: %w", err)
	case wantID != "" && wantID != id:
		return fmt.Errorf("outbox: configured producer id %q differs from the outbox's own %q", wantID, id)
	}
	s.producerID = id
	// A random name of this outbox file, made once: tells this outbox's own
	// earlier process (killed, its lease not yet expired) from another
	// outbox under the same producer id.
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', ?)`, hex.EncodeToString(b)); err != nil {
		return fmt.Errorf("outbox: store instance: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'instance'`).Scan(&s.instance); err != nil {
		return fmt.Errorf("outbox: read instance: %w", err)
	}
	return nil
}

// migrate brings an outbox made by an older calculator to the current
// schema: its events and keys stay as they are, new columns are NULL.
func (s *Store) migrate(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM pragma_table_info('outbox_event')`)
	if err != nil {
		return fmt.Errorf("outbox: read schema: %w", err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("outbox: read schema: %w", err)
		}
		have[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("outbox: read schema: %w", err)
	}
	for _, col := range []string{"trace_parent", "trace_state"} {
		if have[col] {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `ALTER TABLE outbox_event ADD COLUMN `+col+` TEXT`); err != nil {
			return fmt.Errorf("outbox: add column %s: %w", col, err)
		}
	}
	return s.migrateMarks(ctx)
}

// migrateMarks turns an outbox whose rows were marked published one by one
// (published_at) into one mark: every event before the first unpublished one
// was published, at the latest of their times (so pruning keeps them no less
// long). The per-row indexes go; the old rows' published_at stay, unread.
func (s *Store) migrateMarks(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: migrate marks: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	for _, q := range []string{
		`INSERT INTO published_mark (sequence, published_at)
		SELECT COALESCE((SELECT MIN(sequence) - 1 FROM outbox_event WHERE published_at IS NULL), MAX(sequence)), MAX(published_at)
		FROM outbox_event WHERE published_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM published_mark)
		HAVING COUNT(*) > 0`,
		`DROP INDEX IF EXISTS outbox_event_pending`,
		`DROP INDEX IF EXISTS outbox_event_published`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("outbox: migrate marks: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: migrate marks: %w", err)
	}
	return nil
}

// tailSize bounds the events the relay reads from memory (a few MB); a relay
// further behind reads the database.
const tailSize = 16384

// openTail starts the in-memory tail from what the file holds: every event up
// to the last sequence given is in the database, and every event up to the
// newest mark is published.
func (s *Store) openTail() (*tail, error) {
	ctx := context.Background()
	last, err := s.LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	var marked uint64
	if err := s.db.QueryRowContext(ctx, `SELECT `+publishedThrough).Scan(&marked); err != nil {
		return nil, fmt.Errorf("outbox: published mark: %w", err)
	}
	return newTail(last, marked, tailSize), nil
}

// Instance is this outbox file's own random name, kept for its life.
func (s *Store) Instance() string { return s.instance }

// ProducerID is this outbox's stable identity.
func (s *Store) ProducerID() string { return s.producerID }

// Notify is signalled after every commit that added events; the relay waits
// on it instead of polling.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// Append records an entry durably and returns its event. With a request id
// that was seen before it returns the first event (Replayed) and records
// nothing new. Append returns only after the commit is on disk.
func (s *Store) Append(ctx context.Context, e Entry) (Result, error) {
	e.TraceParent, e.TraceState = tracing.Carrier(ctx)
	ctx, span := StartCommitSpan(ctx, "sqlite")
	res, err := s.submit(ctx, &appendReq{entry: e, done: make(chan appendResp, 1)})
	EndCommitSpan(span, res, err)
	return res, err
}

// submit queues a request for the writer and waits for its commit.
func (s *Store) submit(ctx context.Context, req *appendReq) (Result, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return Result{}, ErrClosed
	}
	select {
	case s.reqs <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return Result{}, ctx.Err()
	}
	// Once queued the entry will be committed even if the caller gives up;
	// a retry with the same request id then gets this event back.
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// writer is the single goroutine that writes appends, a batch (FillBatch)
// per commit.
func (s *Store) writer() {
	defer close(s.stopped)
	defer s.stmts.close()
	batch := make([]*appendReq, 0, s.maxBatch)
	for {
		req, ok := <-s.reqs
		if !ok {
			return
		}
		batch = FillBatch(batch, req, s.reqs, s.maxBatch)
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*appendReq) {
	start := time.Now()
	results, replays, err := s.commitTx(batch)
	if n := len(batch) - marks(batch); s.obs != nil && n > 0 {
		s.obs.ObserveCommit(n, replays, time.Since(start), err)
	}
	s.health.Record(err)
	if err != nil {
		// No batch size here: identical lines are rate-limited (ratelog), so
		// a failing disk does not flood the log.
		s.log.Error("outbox commit failed", "err", err)
	}
	for i, r := range batch {
		if err != nil {
			r.done <- appendResp{err: fmt.Errorf("outbox: commit: %w", err)}
			continue
		}
		r.done <- results[i]
	}
	if err == nil && replays+marks(batch) < len(batch) {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

func marks(batch []*appendReq) int {
	n := 0
	for _, r := range batch {
		if r.markUpTo > 0 {
			n++
		}
	}
	return n
}

// commitTx writes a batch in one transaction with a handful of statements,
// whatever its size: one lookup of every request id, one multi-row INSERT of
// the new events, one of their keys (and the relay's mark, if one is
// queued). Per-Add statements cost more in database/sql and the driver than
// SQLite spends storing the rows.
func (s *Store) commitTx(batch []*appendReq) ([]appendResp, int, error) {
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	known, err := s.knownKeys(ctx, tx, batch)
	if err != nil {
		return nil, 0, err
	}
	now := time.Now().UnixNano()
	out := make([]appendResp, len(batch))
	// fresh are the batch positions that become new events, in batch order;
	// firstOf maps a request id new in this batch to its position there.
	fresh := make([]int, 0, len(batch))
	firstOf := map[string]int{}
	var sameBatch []int // replays of an id first seen earlier in this batch
	var markUpTo uint64
	replays := 0
	for i, r := range batch {
		if r.markUpTo > 0 {
			markUpTo = max(markUpTo, r.markUpTo)
			continue
		}
		e := r.entry
		if e.RequestID != "" {
			if prev, found := known[e.RequestID]; found {
				replays++
				out[i] = replay(prev, e)
				continue
			}
			if _, found := firstOf[e.RequestID]; found {
				replays++
				sameBatch = append(sameBatch, i)
				continue
			}
			firstOf[e.RequestID] = i
		}
		fresh = append(fresh, i)
	}
	if len(fresh) > 0 {
		// One writer and AUTOINCREMENT: a multi-row INSERT numbers its rows
		// consecutively, in VALUES order, and so do the chunks run one after
		// the other, up to the last chunk's last_insert_rowid().
		// The trace columns are bound only when an Add of the batch was
		// traced: with tracing off the statement is what it was without it.
		traced := false
		for _, i := range fresh {
			traced = traced || batch[i].entry.TraceParent != ""
		}
		head, row, cols := insertEvent, "(?,?,?,?,?)", 5
		if traced {
			head, row, cols = insertTracedEvent, "(?,?,?,?,?,?,?)", 7
		}
		args := make([]any, 0, cols*len(fresh))
		for _, i := range fresh {
			e := batch[i].entry
			var reqID any
			if e.RequestID != "" {
				reqID = e.RequestID
			}
			args = append(args, reqID, e.Num1, e.Num2, e.Sum, now)
			if traced {
				args = append(args, nullIfEmpty(e.TraceParent), nullIfEmpty(e.TraceState))
			}
		}
		var last int64
		err := chunks(len(fresh), func(off, n int) error {
			st, err := s.stmts.in(ctx, tx, head, row, "", n)
			if err != nil {
				return err
			}
			res, err := st.ExecContext(ctx, args[off*cols:(off+n)*cols]...)
			if err != nil {
				return err
			}
			last, err = res.LastInsertId()
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		first := uint64(last) - uint64(len(fresh)) + 1
		args = args[:0]
		for n, i := range fresh {
			e := batch[i].entry
			ev := s.event(first+uint64(n), e.RequestID, e.Num1, e.Num2, e.Sum, now)
			ev.TraceParent, ev.TraceState = e.TraceParent, e.TraceState
			out[i] = appendResp{res: Result{Event: ev}}
			if e.RequestID != "" {
				args = append(args, e.RequestID, ev.Sequence, e.Num1, e.Num2, e.Sum, now)
			}
		}
		err = chunks(len(args)/6, func(off, n int) error {
			st, err := s.stmts.in(ctx, tx, insertKey, "(?,?,?,?,?,?)", "", n)
			if err != nil {
				return err
			}
			_, err = st.ExecContext(ctx, args[off*6:(off+n)*6]...)
			return err
		})
		if err != nil {
			return nil, 0, err
		}
	}
	for _, i := range sameBatch {
		e := batch[i].entry
		out[i] = replay(out[firstOf[e.RequestID]].res.Event, e)
	}
	if markUpTo > s.tail.markedUpTo() {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO published_mark (sequence, published_at) VALUES (?, ?)`, markUpTo, now); err != nil {
			return nil, 0, fmt.Errorf("mark published: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, err
	}
	s.fresh = s.fresh[:0]
	for _, i := range fresh {
		s.fresh = append(s.fresh, out[i].res.Event)
	}
	s.tail.committed(s.fresh, markUpTo)
	return out, replays, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// replay is the answer to a request id seen before: the first event, or a
// conflict when the numbers differ.
func replay(prev sumevent.Event, e Entry) appendResp {
	if prev.Num1 != e.Num1 || prev.Num2 != e.Num2 {
		return appendResp{err: ErrRequestIDConflict}
	}
	return appendResp{res: Result{Event: prev, Replayed: true}}
}

// knownKeys looks up, in one query, the events already recorded under the
// batch's request ids.
func (s *Store) knownKeys(ctx context.Context, tx *sql.Tx, batch []*appendReq) (map[string]sumevent.Event, error) {
	ids := make([]any, 0, len(batch))
	for _, r := range batch {
		if r.markUpTo == 0 && r.entry.RequestID != "" {
			ids = append(ids, r.entry.RequestID)
		}
	}
	known := map[string]sumevent.Event{}
	err := chunks(len(ids), func(off, n int) error {
		st, err := s.stmts.in(ctx, tx, selectKeys, "?", ")", n)
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, ids[off:off+n]...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var e sumevent.Event
			if err := rows.Scan(&id, &e.Sequence, &e.Num1, &e.Num2, &e.Sum, &e.AcceptedAt); err != nil {
				return err
			}
			known[id] = s.event(e.Sequence, id, e.Num1, e.Num2, e.Sum, e.AcceptedAt)
		}
		return rows.Err()
	})
	return known, err
}

// The writer's statements, completed with one row per Add (stmts).
const (
	insertEvent       = `INSERT INTO outbox_event (request_id, num1, num2, sum, created_at) VALUES `
	insertTracedEvent = `INSERT INTO outbox_event (request_id, num1, num2, sum, created_at, trace_parent, trace_state) VALUES `
	insertKey         = `INSERT INTO idempotency_key (request_id, sequence, num1, num2, sum, created_at) VALUES `
	selectKeys        = `SELECT request_id, sequence, num1, num2, sum, created_at FROM idempotency_key WHERE request_id IN (`
)

// event is the one place an outbox row becomes the event published for it.
func (s *Store) event(seq uint64, requestID string, num1, num2, sum, acceptedAt int64) sumevent.Event {
	return sumevent.Event{
		Version: sumevent.SchemaVersion, ProducerID: s.producerID, Sequence: seq,
		RequestID: requestID, Num1: num1, Num2: num2, Sum: sum, AcceptedAt: acceptedAt,
	}
}

// LastSequence is the highest sequence this outbox ever gave, pruned events
// included (SQLite's AUTOINCREMENT record); 0 when it never recorded one.
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx,
		`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox_event'), 0)`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("outbox: last sequence: %w", err)
	}
	return uint64(seq), nil
}

// ContinueAfter makes the next event's sequence at least n+1: a producer id
// whose earlier events are in the log (an outbox lost and made again) must
// not number from 1 again, or every new event would be skipped downstream as
// a duplicate. Call it before the first Append; it never lowers the base.
func (s *Store) ContinueAfter(ctx context.Context, n uint64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: continue after %d: %w", n, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// sqlite_sequence has a row for the table only once a row was inserted.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sqlite_sequence WHERE name = 'outbox_event' AND seq < ?`, int64(n)); err != nil {
		return fmt.Errorf("outbox: continue after %d: %w", n, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq)
		SELECT 'outbox_event', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_event')`, int64(n)); err != nil {
		return fmt.Errorf("outbox: continue after %d: %w", n, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: continue after %d: %w", n, err)
	}
	return nil
}

// Pending returns up to limit unpublished events above after, in sequence
// order: from memory when the relay keeps up, else from the database.
func (s *Store) Pending(ctx context.Context, after uint64, limit int) ([]sumevent.Event, error) {
	if evs, ok := s.tail.pending(after, limit); ok {
		return evs, nil
	}
	return s.pendingStored(ctx, after, limit)
}

// pendingStored reads up to limit unpublished events above after from the
// database.
func (s *Store) pendingStored(ctx context.Context, after uint64, limit int) ([]sumevent.Event, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT sequence, COALESCE(request_id, ''), num1, num2, sum, created_at,
			COALESCE(trace_parent, ''), COALESCE(trace_state, '')
		FROM outbox_event WHERE sequence > MAX(?, `+publishedThrough+`) ORDER BY sequence LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	defer rows.Close()
	var evs []sumevent.Event
	for rows.Next() {
		var e sumevent.Event
		var tp, ts string
		if err := rows.Scan(&e.Sequence, &e.RequestID, &e.Num1, &e.Num2, &e.Sum, &e.AcceptedAt, &tp, &ts); err != nil {
			return nil, fmt.Errorf("outbox: pending: %w", err)
		}
		ev := s.event(e.Sequence, e.RequestID, e.Num1, e.Num2, e.Sum, e.AcceptedAt)
		ev.TraceParent, ev.TraceState = tp, ts
		evs = append(evs, ev)
	}
	return evs, rows.Err()
}

// MarkPublished records that every event up to and including seq was
// acknowledged by the broker. Call it only after the acknowledgement.
func (s *Store) MarkPublished(ctx context.Context, upTo uint64) error {
	if upTo == 0 {
		return nil
	}
	_, err := s.submit(ctx, &appendReq{markUpTo: upTo, done: make(chan appendResp, 1)})
	return err
}

// Backlog reports how many events wait to be published and when the oldest
// was accepted (zero time when none).
func (s *Store) Backlog(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx,
		`SELECT COUNT(*), MIN(created_at) FROM outbox_event WHERE sequence > `+publishedThrough).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, time.Unix(0, oldest.Int64), nil
}

// Prune deletes published events older than publishedBefore and idempotency
// keys older than keysBefore. Sequences are never reused after a delete.
func (s *Store) Prune(ctx context.Context, publishedBefore, keysBefore time.Time) (events, keys int64, err error) {
	// The newest mark made before publishedBefore: every event up to it was
	// published by then. Older marks go with the events; that one and the
	// newer stay (the newest is what says what is pending).
	var cut sql.NullInt64
	if err := s.db.QueryRowContext(ctx,
		`SELECT MAX(sequence) FROM published_mark WHERE published_at < ?`, publishedBefore.UnixNano()).Scan(&cut); err != nil {
		return 0, 0, fmt.Errorf("outbox: prune events: %w", err)
	}
	if cut.Valid {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return 0, 0, fmt.Errorf("outbox: prune events: %w", err)
		}
		defer tx.Rollback() //nolint:errcheck // no-op after Commit
		r, err := tx.ExecContext(ctx, `DELETE FROM outbox_event WHERE sequence <= ?`, cut.Int64)
		if err != nil {
			return 0, 0, fmt.Errorf("outbox: prune events: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM published_mark WHERE sequence < ?`, cut.Int64); err != nil {
			return 0, 0, fmt.Errorf("outbox: prune marks: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return 0, 0, fmt.Errorf("outbox: prune events: %w", err)
		}
		events, _ = r.RowsAffected()
	}
	r, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_key WHERE created_at < ?`, keysBefore.UnixNano())
	if err != nil {
		return events, 0, fmt.Errorf("outbox: prune keys: %w", err)
	}
	keys, _ = r.RowsAffected()
	return events, keys, nil
}

// Ping is nil while the outbox can commit (the calculator's readiness): the
// database answers and the last commit succeeded or, after a failed one, a
// probe commit succeeds (CommitHealth).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	return s.health.Check(ctx, s.probeCommit)
}

// probeCommit is the smallest real write transaction: one meta row,
// committed and fsync'd like an append, so it fails where they fail.
func (s *Store) probeCommit(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('commit_probe', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.FormatInt(time.Now().UnixNano(), 10))
	return err
}

// Close stops accepting appends, commits those already queued, and closes
// the database and its lock.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.stopped
	err := s.db.Close()
	s.lock.Close()
	return err
}
