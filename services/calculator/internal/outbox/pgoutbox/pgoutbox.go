// Package pgoutbox is the calculator's outbox in a PostgreSQL database that
// several calculators share, so a client retry that reaches another instance
// behind the same address is answered from the first Add (replayed) instead
// of being counted twice.
//
// The discipline is the SQLite outbox's: one writer goroutine per process
// commits every waiting Append in ONE transaction, and an Append is answered
// only after that commit (synchronous_commit=on, the server's default: the
// commit is in the server's WAL on disk).
//
// Each producer id has a row (next sequence, epoch). A process owns its
// producer id through a session-level advisory lock on a dedicated
// connection, and bumps the epoch when it takes it. Every append transaction
// allocates its sequences with UPDATE ... WHERE id AND epoch, so a holder
// that was replaced (fenced) cannot commit, and its Adds are never
// acknowledged. The append transactions run on that same lock connection:
// the lock and the right to write live and die together. If the connection
// dies, the server releases the lock and the writer has no connection to
// commit on; it answers every Append with an error until it has reconnected
// and re-taken the lock (bumping the epoch again).
//
// A producer whose process died for good leaves its unpublished events
// behind; Adopt lets another instance take that producer id (same lock, same
// epoch bump) and publish them under their own identity.
package pgoutbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/libs/tracing"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
)

// DefaultURL is the local database of scripts/postgres.sh.
const DefaultURL = "postgres://distsum@127.0.0.1:5432/distsum?sslmode=disable"

// lockNamespace is the first key of every producer advisory lock
// (pg_try_advisory_lock(lockNamespace, hashtext(producer id))), so the
// adoption query can find held locks in pg_locks.
const lockNamespace = 0x5e0d

var (
	// ErrFenced: another process took this producer id (bumped its epoch);
	// this one must not commit under it.
	ErrFenced = errors.New("producer id was taken over by another process (fenced)")
	// ErrNotHolding: the producer lock was lost and is not re-taken yet.
	ErrNotHolding = errors.New("producer lock is not held (lost connection); not accepting appends")
)

// Options tune the store. Zero values take the defaults.
type Options struct {
	// ProducerID is this process's identity; empty creates a fresh one.
	ProducerID string
	// MaxBatch bounds appends per group commit (default 1024).
	MaxBatch int
	// QueueSize bounds appends waiting for a commit (default 4096).
	QueueSize int
	// HolderWait is how long Open waits for a held producer id to be let go
	// before refusing (default 15 s; negative: refuse at once). Another
	// instance adopting this id's backlog holds it until the backlog is
	// published, usually well under a second: a restart in that window
	// waits for it instead of failing. A second live process keeps the id
	// and is refused once the wait is over.
	HolderWait time.Duration
	// PoolSize bounds the connections for reads, marks and pruning (default 4);
	// the writer has its own.
	PoolSize int
	// Metrics receives commit statistics; nil disables them.
	Metrics outbox.Observer
	// Registerer receives outbox_adopted_events_total; nil disables it.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Store is an open PostgreSQL outbox for one producer id.
type Store struct {
	pool       *pgxpool.Pool
	connCfg    *pgx.ConnConfig
	producerID string
	log        *slog.Logger
	obs        outbox.Observer
	maxBatch   int
	adopted    *prometheus.CounterVec
	health     *outbox.CommitHealth

	// Owned by the writer goroutine (after Open): the lock connection, on
	// which every append transaction runs, and the epoch it holds.
	conn      *pgx.Conn
	epoch     int64
	lastClaim time.Time
	holding   atomic.Bool

	reqs    chan *appendReq
	notify  chan struct{}
	mu      sync.RWMutex // guards closed against sends on reqs
	closed  bool
	stopped chan struct{}
}

type appendReq struct {
	entry outbox.Entry
	done  chan appendResp
}

type appendResp struct {
	res outbox.Result
	err error
}

// schema is idempotent; Open runs it under a transaction-level advisory
// lock so calculators starting together do not race on CREATE.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS outbox_producer (
		id       TEXT PRIMARY KEY,
		next_seq BIGINT NOT NULL,
		epoch    BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS outbox_event (
		producer_id  TEXT   NOT NULL,
		sequence     BIGINT NOT NULL,
		request_id   TEXT,
		num1         BIGINT NOT NULL,
		num2         BIGINT NOT NULL,
		sum          BIGINT NOT NULL,
		created_at   BIGINT NOT NULL,
		published_at BIGINT,
		PRIMARY KEY (producer_id, sequence)
	)`,
	// The Add's W3C trace context (NULL when it was not traced); added to
	// the outbox_event of an older calculator, whose rows keep NULL.
	`ALTER TABLE outbox_event ADD COLUMN IF NOT EXISTS trace_parent TEXT`,
	`ALTER TABLE outbox_event ADD COLUMN IF NOT EXISTS trace_state TEXT`,
	`CREATE INDEX IF NOT EXISTS outbox_event_pending ON outbox_event (producer_id, sequence) WHERE published_at IS NULL`,
	`CREATE INDEX IF NOT EXISTS outbox_event_published ON outbox_event (published_at) WHERE published_at IS NOT NULL`,
	`CREATE TABLE IF NOT EXISTS outbox_idempotency_key (
		request_id  TEXT PRIMARY KEY,
		producer_id TEXT   NOT NULL,
		sequence    BIGINT NOT NULL,
		num1        BIGINT NOT NULL,
		num2        BIGINT NOT NULL,
		sum         BIGINT NOT NULL,
		created_at  BIGINT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS outbox_idempotency_key_created ON outbox_idempotency_key (created_at)`,
}

// Open connects to the database at url (a libpq URL or DSN), creates the
// schema if needed, and takes the producer id. A producer id held by another
// live process is refused with an error that names it.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1024
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	poolCfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("outbox: postgres url: %w", err)
	}
	poolCfg.MaxConns = int32(opts.PoolSize)
	connCfg := poolCfg.ConnConfig.Copy()
	// A lock connection whose host vanished (no FIN) would hold its producer
	// id, and block adoption, until the server's TCP keepalive gives up
	// (2 h by default): ask the server to probe this session every few seconds.
	for k, v := range map[string]string{"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"} {
		if _, set := connCfg.RuntimeParams[k]; !set {
			connCfg.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("outbox: postgres: %w", err)
	}
	s := &Store{
		pool: pool, connCfg: connCfg, log: opts.Logger, obs: opts.Metrics, maxBatch: opts.MaxBatch,
		health: outbox.NewCommitHealth("database unreachable, read-only or its disk full?", opts.Logger),
		reqs:   make(chan *appendReq, opts.QueueSize), notify: make(chan struct{}, 1), stopped: make(chan struct{}),
	}
	if opts.Registerer != nil {
		s.adopted = promauto.With(opts.Registerer).NewCounterVec(prometheus.CounterOpts{
			Name: "outbox_adopted_events_total",
			Help: "Events of another (dead) calculator's producer id published by this one.",
		}, []string{"producer"})
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	id := opts.ProducerID
	if id == "" {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			pool.Close()
			return nil, err
		}
		id = "calc-" + hex.EncodeToString(b)
	}
	if err := sumevent.ValidateProducerID(id); err != nil {
		pool.Close()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	s.producerID = id
	conn, epoch, err := claimWaiting(ctx, connCfg, id, opts.HolderWait, opts.Logger)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.conn, s.epoch, s.lastClaim = conn, epoch, time.Now()
	s.holding.Store(true)
	go s.writer()
	return s, nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, lockNamespace); err != nil {
			return fmt.Errorf("outbox: schema lock: %w", err)
		}
		for _, q := range schema {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("outbox: schema: %w", err)
			}
		}
		return nil
	})
}

// claimWaiting is claim, retried while the id is held, for up to wait.
func claimWaiting(ctx context.Context, cfg *pgx.ConnConfig, id string, wait time.Duration, log *slog.Logger) (*pgx.Conn, int64, error) {
	if wait == 0 {
		wait = 15 * time.Second
	}
	deadline := time.Now().Add(wait)
	for logged := false; ; logged = true {
		conn, epoch, err := claim(ctx, cfg, id)
		if err == nil || !errors.Is(err, outbox.ErrLocked) || !time.Now().Before(deadline) {
			return conn, epoch, err
		}
		if !logged {
			log.Warn("outbox: producer id held by another process (an instance publishing its backlog, or a second instance under this id); waiting for it",
				"producer", id, "wait", wait)
		}
		select {
		case <-ctx.Done():
			return nil, 0, err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// claim takes the producer's advisory lock on a new connection and bumps
// its epoch; the connection holds the lock until it is closed.
func claim(ctx context.Context, cfg *pgx.ConnConfig, id string) (*pgx.Conn, int64, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("outbox: postgres: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockNamespace, id).Scan(&ok); err != nil {
		conn.Close(ctx)
		return nil, 0, fmt.Errorf("outbox: producer lock: %w", err)
	}
	if !ok {
		conn.Close(ctx)
		return nil, 0, fmt.Errorf("%w: producer id %q is held by another live process", outbox.ErrLocked, id)
	}
	var epoch int64
	err = conn.QueryRow(ctx, `
		INSERT INTO outbox_producer (id, next_seq, epoch) VALUES ($1, 1, 1)
		ON CONFLICT (id) DO UPDATE SET epoch = outbox_producer.epoch + 1
		RETURNING epoch`, id).Scan(&epoch)
	if err != nil {
		conn.Close(ctx)
		return nil, 0, fmt.Errorf("outbox: producer epoch: %w", err)
	}
	return conn, epoch, nil
}

// ProducerID is this store's identity.
func (s *Store) ProducerID() string { return s.producerID }

// Epoch is the epoch this store holds its producer id under.
func (s *Store) Epoch() int64 { return s.epoch }

// Notify is signalled after every commit that added events.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// Append records an entry durably and returns its event; a request id seen
// before (by any calculator on this database) returns the first event,
// Replayed. Append returns only after the commit.
func (s *Store) Append(ctx context.Context, e outbox.Entry) (outbox.Result, error) {
	e.TraceParent, e.TraceState = tracing.Carrier(ctx)
	ctx, span := outbox.StartCommitSpan(ctx, "postgres")
	res, err := s.append(ctx, e)
	outbox.EndCommitSpan(span, res, err)
	return res, err
}

func (s *Store) append(ctx context.Context, e outbox.Entry) (outbox.Result, error) {
	req := &appendReq{entry: e, done: make(chan appendResp, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return outbox.Result{}, outbox.ErrClosed
	}
	select {
	case s.reqs <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return outbox.Result{}, ctx.Err()
	}
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-ctx.Done():
		return outbox.Result{}, ctx.Err()
	}
}

// writer is the one goroutine that uses the lock connection: it commits
// batches, checks the connection while idle, and re-takes a lost lock.
func (s *Store) writer() {
	defer close(s.stopped)
	defer s.release()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	batch := make([]*appendReq, 0, s.maxBatch)
	for {
		var req *appendReq
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return
			}
			req = r
		case <-tick.C:
			s.keepLock()
			continue
		}
		batch = outbox.FillBatch(batch, req, s.reqs, s.maxBatch)
		s.commit(batch)
	}
}

// keepLock pings the lock connection while idle (a dead one means the lock
// is gone) and tries to re-take a lost lock.
func (s *Store) keepLock() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if s.conn != nil {
		if err := s.conn.Ping(ctx); err != nil {
			s.lose("lock connection failed", err)
		}
		return
	}
	s.reclaim(ctx)
}

// reclaim re-takes the producer lock, at most every 500 ms.
func (s *Store) reclaim(ctx context.Context) bool {
	if s.conn != nil {
		return true
	}
	if time.Since(s.lastClaim) < 500*time.Millisecond {
		return false
	}
	s.lastClaim = time.Now()
	conn, epoch, err := claim(ctx, s.connCfg, s.producerID)
	if err != nil {
		s.log.Warn("outbox: cannot re-take the producer lock; appends are refused", "producer", s.producerID, "err", err)
		return false
	}
	s.conn, s.epoch = conn, epoch
	s.holding.Store(true)
	s.log.Info("outbox: producer lock re-taken", "producer", s.producerID, "epoch", epoch)
	return true
}

// lose drops the lock connection (closing it releases the lock if the
// server still has it): nothing is acknowledged until reclaim succeeds.
func (s *Store) lose(why string, err error) {
	if s.conn == nil {
		return
	}
	s.holding.Store(false)
	s.log.Error("outbox: "+why+"; appends are refused until the producer lock is re-taken", "producer", s.producerID, "epoch", s.epoch, "err", err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.conn.Close(ctx)
	s.conn = nil
}

func (s *Store) release() {
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.conn.Close(ctx)
		s.conn = nil
	}
	s.holding.Store(false)
}

func (s *Store) commit(batch []*appendReq) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var results []appendResp
	var replays int
	err := ErrNotHolding
	if s.reclaim(ctx) {
		// A key inserted meanwhile by another calculator aborts the
		// transaction (unique violation); the retry sees it and replays it.
		for attempt := 0; ; attempt++ {
			results, replays, err = s.commitTx(ctx, batch)
			if !isUniqueViolation(err) || attempt == 5 {
				break
			}
			s.log.Debug("outbox: another calculator recorded a request id of this batch meanwhile; retrying the batch", "err", err)
		}
		switch {
		case errors.Is(err, ErrFenced):
			s.lose("fenced by a newer holder of the producer id", err)
		case err != nil && (s.conn.IsClosed() || pgconn.SafeToRetry(err) || isConnError(err)):
			s.lose("lock connection failed during a commit", err)
		}
	}
	if s.obs != nil {
		s.obs.ObserveCommit(len(batch), replays, time.Since(start), err)
	}
	if err != nil && !errors.Is(err, ErrNotHolding) {
		// No batch size here: identical lines are rate-limited (ratelog).
		s.log.Error("outbox commit failed", "err", err)
	}
	if !errors.Is(err, ErrNotHolding) { // a lost lock has its own readiness (holding)
		s.health.Record(err)
	}
	for i, r := range batch {
		if err != nil {
			r.done <- appendResp{err: fmt.Errorf("outbox: commit: %w", err)}
			continue
		}
		r.done <- results[i]
	}
	if err == nil && replays < len(batch) {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// isConnError: anything that is not a server-reported SQL error leaves the
// connection (and so the lock) in doubt.
func isConnError(err error) bool {
	var pe *pgconn.PgError
	return !errors.As(err, &pe) && !errors.Is(err, ErrFenced)
}

func (s *Store) commitTx(ctx context.Context, batch []*appendReq) ([]appendResp, int, error) {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after Commit

	// Keys seen before, by any calculator.
	var ids []string
	for _, r := range batch {
		if r.entry.RequestID != "" {
			ids = append(ids, r.entry.RequestID)
		}
	}
	known := map[string]sumevent.Event{}
	if len(ids) > 0 {
		rows, err := tx.Query(ctx, `SELECT request_id, producer_id, sequence, num1, num2, sum, created_at
			FROM outbox_idempotency_key WHERE request_id = ANY($1)`, ids)
		if err != nil {
			return nil, 0, err
		}
		for rows.Next() {
			var e sumevent.Event
			var seq int64
			if err := rows.Scan(&e.RequestID, &e.ProducerID, &seq, &e.Num1, &e.Num2, &e.Sum, &e.AcceptedAt); err != nil {
				rows.Close()
				return nil, 0, err
			}
			e.Version, e.Sequence = sumevent.SchemaVersion, uint64(seq)
			known[e.RequestID] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
	}

	out := make([]appendResp, len(batch))
	replays := 0
	var fresh []int // batch indexes that get a new event, in order
	firstOf := map[string]int{}
	for i, r := range batch {
		e := r.entry
		if e.RequestID != "" {
			prev, found := known[e.RequestID]
			if !found {
				if j, dup := firstOf[e.RequestID]; dup {
					// Same key twice in this batch: answered from the first
					// once it has its sequence (below).
					replays++
					out[i] = appendResp{err: errSameBatch{j}}
					continue
				}
				firstOf[e.RequestID] = i
			} else {
				replays++
				if prev.Num1 != e.Num1 || prev.Num2 != e.Num2 {
					out[i] = appendResp{err: outbox.ErrRequestIDConflict}
				} else {
					out[i] = appendResp{res: outbox.Result{Event: prev, Replayed: true}}
				}
				continue
			}
		}
		fresh = append(fresh, i)
	}
	if len(fresh) > 0 {
		// The sequence block comes from the producer row, checked against
		// our epoch: a fenced holder matches no row and commits nothing.
		var next int64
		err := tx.QueryRow(ctx, `UPDATE outbox_producer SET next_seq = next_seq + $3
			WHERE id = $1 AND epoch = $2 RETURNING next_seq`, s.producerID, s.epoch, len(fresh)).Scan(&next)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, 0, fmt.Errorf("%w: producer %q epoch %d", ErrFenced, s.producerID, s.epoch)
		}
		if err != nil {
			return nil, 0, err
		}
		now := time.Now().UnixNano()
		first := next - int64(len(fresh))
		n := len(fresh)
		seqs, reqIDs := make([]int64, n), make([]string, n)
		n1s, n2s, sums := make([]int64, n), make([]int64, n), make([]int64, n)
		var tps, tss []string // the trace context, only when an Add of the batch was traced
		var keyIdx []int
		for k, i := range fresh {
			e := batch[i].entry
			seqs[k], reqIDs[k], n1s[k], n2s[k], sums[k] = first+int64(k), e.RequestID, e.Num1, e.Num2, e.Sum
			ev := sumevent.Event{Version: sumevent.SchemaVersion, ProducerID: s.producerID, Sequence: uint64(seqs[k]),
				RequestID: e.RequestID, Num1: e.Num1, Num2: e.Num2, Sum: e.Sum, AcceptedAt: now,
				TraceParent: e.TraceParent, TraceState: e.TraceState}
			out[i] = appendResp{res: outbox.Result{Event: ev}}
			if e.RequestID != "" {
				keyIdx = append(keyIdx, k)
			}
			if e.TraceParent != "" && tps == nil {
				tps, tss = make([]string, n), make([]string, n)
			}
			if tps != nil {
				tps[k], tss[k] = e.TraceParent, e.TraceState
			}
		}
		if tps == nil {
			_, err = tx.Exec(ctx, `INSERT INTO outbox_event (producer_id, sequence, request_id, num1, num2, sum, created_at)
			SELECT $1, q, NULLIF(r, ''), a, b, s, $7
			FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(q, r, a, b, s)`,
				s.producerID, seqs, reqIDs, n1s, n2s, sums, now)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO outbox_event (producer_id, sequence, request_id, num1, num2, sum, created_at, trace_parent, trace_state)
			SELECT $1, q, NULLIF(r, ''), a, b, s, $7, NULLIF(tp, ''), NULLIF(ts, '')
			FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $8::text[], $9::text[]) AS u(q, r, a, b, s, tp, ts)`,
				s.producerID, seqs, reqIDs, n1s, n2s, sums, now, tps, tss)
		}
		if err != nil {
			return nil, 0, err
		}
		if len(keyIdx) > 0 {
			// Keys in one order in every calculator, so two batches racing
			// on the same keys wait on each other instead of deadlocking.
			slices.SortFunc(keyIdx, func(a, b int) int {
				switch {
				case reqIDs[a] < reqIDs[b]:
					return -1
				case reqIDs[a] > reqIDs[b]:
					return 1
				}
				return 0
			})
			kr, kq, ka, kb, ks := make([]string, 0, len(keyIdx)), make([]int64, 0, len(keyIdx)), make([]int64, 0, len(keyIdx)), make([]int64, 0, len(keyIdx)), make([]int64, 0, len(keyIdx))
			for _, k := range keyIdx {
				kr, kq, ka, kb, ks = append(kr, reqIDs[k]), append(kq, seqs[k]), append(ka, n1s[k]), append(kb, n2s[k]), append(ks, sums[k])
			}
			if _, err := tx.Exec(ctx, `INSERT INTO outbox_idempotency_key (request_id, producer_id, sequence, num1, num2, sum, created_at)
				SELECT r, $1, q, a, b, s, $7
				FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(r, q, a, b, s)`,
				s.producerID, kr, kq, ka, kb, ks, now); err != nil {
				return nil, 0, err
			}
		}
	}
	// Duplicates within the batch get the first one's answer.
	for i := range out {
		var sb errSameBatch
		if errors.As(out[i].err, &sb) {
			first, e := out[sb.first].res.Event, batch[i].entry
			if first.Num1 != e.Num1 || first.Num2 != e.Num2 {
				out[i] = appendResp{err: outbox.ErrRequestIDConflict}
			} else {
				out[i] = appendResp{res: outbox.Result{Event: first, Replayed: true}}
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, 0, err
	}
	return out, replays, nil
}

type errSameBatch struct{ first int }

func (errSameBatch) Error() string { return "same request id earlier in the batch" }

// Pending returns up to limit of this producer's unpublished events above
// after, in sequence order. It returns nothing useful while the lock is lost,
// so a replaced process stops publishing under the id.
func (s *Store) Pending(ctx context.Context, after uint64, limit int) ([]sumevent.Event, error) {
	if !s.holding.Load() {
		return nil, ErrNotHolding
	}
	return pending(ctx, s.pool, s.producerID, after, limit)
}

func pending(ctx context.Context, pool *pgxpool.Pool, producer string, after uint64, limit int) ([]sumevent.Event, error) {
	rows, err := pool.Query(ctx, `
		SELECT sequence, COALESCE(request_id, ''), num1, num2, sum, created_at,
			COALESCE(trace_parent, ''), COALESCE(trace_state, '')
		FROM outbox_event WHERE producer_id = $1 AND published_at IS NULL AND sequence > $3 ORDER BY sequence LIMIT $2`, producer, limit, int64(after))
	if err != nil {
		return nil, fmt.Errorf("outbox: pending: %w", err)
	}
	defer rows.Close()
	var evs []sumevent.Event
	for rows.Next() {
		e := sumevent.Event{Version: sumevent.SchemaVersion, ProducerID: producer}
		var seq int64
		if err := rows.Scan(&seq, &e.RequestID, &e.Num1, &e.Num2, &e.Sum, &e.AcceptedAt, &e.TraceParent, &e.TraceState); err != nil {
			return nil, fmt.Errorf("outbox: pending: %w", err)
		}
		e.Sequence = uint64(seq)
		evs = append(evs, e)
	}
	return evs, rows.Err()
}

// MarkPublished records that this producer's events up to seq were
// acknowledged by the broker.
func (s *Store) MarkPublished(ctx context.Context, upTo uint64) error {
	_, err := markPublished(ctx, s.pool, s.producerID, upTo)
	return err
}

func markPublished(ctx context.Context, pool *pgxpool.Pool, producer string, upTo uint64) (int64, error) {
	tag, err := pool.Exec(ctx, `UPDATE outbox_event SET published_at = $3
		WHERE producer_id = $1 AND sequence <= $2 AND published_at IS NULL`,
		producer, int64(upTo), time.Now().UnixNano())
	if err != nil {
		return 0, fmt.Errorf("outbox: mark published: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Backlog reports this producer's unpublished events and the oldest one's
// acceptance time.
func (s *Store) Backlog(ctx context.Context) (int64, time.Time, error) {
	return backlog(ctx, s.pool, s.producerID)
}

func backlog(ctx context.Context, pool *pgxpool.Pool, producer string) (int64, time.Time, error) {
	var n int64
	var oldest *int64
	err := pool.QueryRow(ctx, `SELECT COUNT(*), MIN(created_at) FROM outbox_event
		WHERE producer_id = $1 AND published_at IS NULL`, producer).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox: backlog: %w", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, time.Unix(0, *oldest), nil
}

// Prune deletes published events (of every producer) older than
// publishedBefore and idempotency keys older than keysBefore. Sequences live
// in the producer rows, so they are never reused.
func (s *Store) Prune(ctx context.Context, publishedBefore, keysBefore time.Time) (events, keys int64, err error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox_event WHERE published_at IS NOT NULL AND published_at < $1`, publishedBefore.UnixNano())
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: prune events: %w", err)
	}
	events = tag.RowsAffected()
	tag, err = s.pool.Exec(ctx, `DELETE FROM outbox_idempotency_key WHERE created_at < $1`, keysBefore.UnixNano())
	if err != nil {
		return events, 0, fmt.Errorf("outbox: prune keys: %w", err)
	}
	return events, tag.RowsAffected(), nil
}

// Ping fails while the producer lock is lost (the calculator cannot take
// Adds then), the database does not answer, or commits fail: after a failed
// commit, until a commit or a probe commit succeeds (outbox.CommitHealth).
func (s *Store) Ping(ctx context.Context) error {
	if !s.holding.Load() {
		return ErrNotHolding
	}
	if err := s.pool.Ping(ctx); err != nil {
		return err
	}
	return s.health.Check(ctx, s.probeCommit)
}

// probeCommit is a small real write transaction: this producer's row
// rewritten unchanged (a new row version, its WAL flushed at commit), the row
// every append updates.
func (s *Store) probeCommit(ctx context.Context) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_producer SET next_seq = next_seq WHERE id = $1`, s.producerID)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("producer %q has no row", s.producerID)
	}
	return err
}

// Close stops accepting appends, commits those already queued, releases the
// producer lock and closes the connections.
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
	s.pool.Close()
	return nil
}

var _ outbox.Backend = (*Store)(nil)
