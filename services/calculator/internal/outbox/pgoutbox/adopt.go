package pgoutbox

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/sumevent"
)

// Orphan is another producer's backlog while this process holds that
// producer's lock: the relay's Source for it, under its own producer id and
// sequences (so the totals service de-duplicates it like any other).
type Orphan struct {
	pool     *pgxpool.Pool
	id       string
	conn     *pgx.Conn
	epoch    int64
	adopted  prometheus.Counter
	marked   int64
	oldest   time.Time
	claimed  time.Time
	backlogN int64
}

// ProducerID is the adopted producer's id.
func (o *Orphan) ProducerID() string { return o.id }

// Pending returns the orphan's unpublished events above after, in sequence
// order.
func (o *Orphan) Pending(ctx context.Context, after uint64, limit int) ([]sumevent.Event, error) {
	return pending(ctx, o.pool, o.id, after, limit)
}

// MarkPublished marks the orphan's events up to seq published.
func (o *Orphan) MarkPublished(ctx context.Context, upTo uint64) error {
	n, err := markPublished(ctx, o.pool, o.id, upTo)
	o.marked += n
	if o.adopted != nil {
		o.adopted.Add(float64(n))
	}
	return err
}

// Notify never fires: nobody appends to an orphan.
func (o *Orphan) Notify() <-chan struct{} { return nil }

// Backlog reports the orphan's unpublished events.
func (o *Orphan) Backlog(ctx context.Context) (int64, time.Time, error) {
	return backlog(ctx, o.pool, o.id)
}

// Drain publishes an orphan's whole backlog; it reports whether it got to
// the end (false: ctx ended or publishing failed, the rest stays pending).
type Drain func(ctx context.Context, o *Orphan) bool

// Orphans lists producer ids (other than this store's) with unpublished
// events and no live holder of their lock.
func (s *Store) Orphans(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT e.producer_id FROM outbox_event e
		WHERE e.published_at IS NULL AND e.producer_id <> $1
		AND NOT EXISTS (
			SELECT 1 FROM pg_locks l
			WHERE l.locktype = 'advisory' AND l.granted
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid = $2::int4::oid AND l.objid = hashtext(e.producer_id)::oid AND l.objsubid = 2)`,
		s.producerID, lockNamespace)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Adopt drains every orphaned producer once: takes its lock (bumping its
// epoch, which fences any late writer), hands its backlog to drain, and
// releases the lock when the backlog is empty. It returns how many events
// were adopted.
func (s *Store) Adopt(ctx context.Context, drain Drain) (int64, error) {
	ids, err := s.Orphans(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		conn, epoch, err := claim(ctx, s.connCfg, id)
		if err != nil {
			// Taken by another calculator (or its owner came back) meanwhile.
			s.log.Debug("outbox: orphan not adopted", "producer", id, "err", err)
			continue
		}
		o := &Orphan{pool: s.pool, id: id, conn: conn, epoch: epoch, claimed: time.Now()}
		if s.adopted != nil {
			o.adopted = s.adopted.WithLabelValues(id)
		}
		o.backlogN, o.oldest, _ = o.Backlog(ctx)
		s.log.Info("outbox: adopting an orphaned producer's backlog", "producer", id, "epoch", epoch,
			"events", o.backlogN, "oldest_age", time.Since(o.oldest).Round(time.Millisecond))
		done := drain(ctx, o)
		n, _, berr := o.Backlog(ctx)
		// Only an empty backlog lets the producer go; otherwise the lock is
		// released anyway (closing the connection) and the next round retries.
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn.Close(cctx)
		cancel()
		total += o.marked
		s.log.Info("outbox: orphaned producer released", "producer", id, "adopted_events", o.marked,
			"drained", done && berr == nil && n == 0, "left", n, "took", time.Since(o.claimed).Round(time.Millisecond),
			"oldest_event_waited", time.Since(o.oldest).Round(time.Millisecond))
	}
	return total, nil
}

// RunAdoption calls Adopt every interval until ctx ends.
func (s *Store) RunAdoption(ctx context.Context, interval time.Duration, drain Drain) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Adopt(ctx, drain); err != nil && ctx.Err() == nil {
			s.log.Warn("outbox: looking for orphaned producers failed", "err", err)
		}
	}
}
