package outbox

import (
	"context"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
)

// Backend is an outbox as the calculator uses it: the embedded SQLite Store
// (one machine, one process) or the shared PostgreSQL one (pgoutbox), where
// several calculators share the idempotency keys. Both acknowledge an Append
// only after its commit is durable, group commits, and number one producer's
// events 1, 2, 3, ... without gaps (the totals service waits for a gap).
type Backend interface {
	ProducerID() string
	Append(ctx context.Context, e Entry) (Result, error)
	// Pending, MarkPublished and Notify are the relay's view (relay.Source).
	// Pending returns up to limit unpublished events with a sequence above
	// after, in sequence order.
	Pending(ctx context.Context, after uint64, limit int) ([]sumevent.Event, error)
	MarkPublished(ctx context.Context, upTo uint64) error
	Notify() <-chan struct{}
	Backlog(ctx context.Context) (int64, time.Time, error)
	Prune(ctx context.Context, publishedBefore, keysBefore time.Time) (events, keys int64, err error)
	Ping(ctx context.Context) error
	Close() error
}

var _ Backend = (*Store)(nil)

// Backlogger reports the unpublished events (for the backlog metrics).
type Backlogger interface {
	Backlog(ctx context.Context) (int64, time.Time, error)
}
