// Package relay moves the outbox to Kafka: it reads pending events in
// sequence order, in batches, publishes them, and marks them published only
// after the broker acknowledged every one. A crash between the
// acknowledgement and the mark re-publishes the same events with the same
// identity, which the totals service skips.
package relay

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/distsum/distsum/libs/retry"
	"github.com/distsum/distsum/libs/sumevent"
)

// Source is the outbox as the relay sees it.
type Source interface {
	Pending(ctx context.Context, limit int) ([]sumevent.Event, error)
	MarkPublished(ctx context.Context, upTo uint64) error
	Notify() <-chan struct{}
}

// Publisher sends a batch and returns nil only when every event in it was
// acknowledged by the broker.
type Publisher interface {
	Publish(ctx context.Context, events []sumevent.Event) error
	Close() error
}

// NewPublisher creates a publisher; the relay makes a fresh one after any
// publish error (a new idempotent producer session, so no stale sequence
// state survives a failure).
type NewPublisher func() (Publisher, error)

// Options tune the relay.
type Options struct {
	BatchSize  int           // events per publish (default 500)
	Idle       time.Duration // poll interval when no commit wakes the relay (default 1s)
	MaxBackoff time.Duration // ceiling of the retry delay after errors (default 5s)
}

// Relay publishes one outbox.
type Relay struct {
	src    Source
	newPub NewPublisher
	opts   Options
	log    *slog.Logger
	m      *Metrics
}

// New returns a relay; metrics may be nil.
func New(src Source, newPub NewPublisher, opts Options, log *slog.Logger, m *Metrics) *Relay {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Idle <= 0 {
		opts.Idle = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	return &Relay{src: src, newPub: newPub, opts: opts, log: log, m: m}
}

// Run publishes until ctx ends. A batch in flight when ctx ends is finished
// (published and marked) before Run returns.
func (r *Relay) Run(ctx context.Context) { r.loop(ctx, false) }

// Drain publishes until the source has nothing pending and reports whether
// it got there before ctx ended. A calculator adopting another producer's
// orphaned backlog drains it, then lets the producer go.
func (r *Relay) Drain(ctx context.Context) bool { return r.loop(ctx, true) }

func (r *Relay) loop(ctx context.Context, drain bool) bool {
	var pub Publisher
	defer func() {
		if pub != nil {
			pub.Close()
		}
	}()
	backoff := retry.Policy(min(100*time.Millisecond, r.opts.MaxBackoff), r.opts.MaxBackoff)
	fail := func(msg string, err error) {
		wait := backoff.NextBackOff()
		r.log.Warn(msg, "err", err, "retry_in", wait)
		if r.m != nil {
			r.m.errors.Inc()
		}
		retry.Sleep(ctx, wait)
	}
	for ctx.Err() == nil {
		if pub == nil {
			p, err := r.newPub()
			if err != nil {
				fail("relay: cannot create producer", err)
				continue
			}
			pub = p
		}
		// The batch is read and finished with a context that outlives
		// shutdown, so a stop never leaves a batch half done.
		events, err := r.src.Pending(context.Background(), r.opts.BatchSize)
		if err != nil {
			fail("relay: cannot read the outbox", err)
			continue
		}
		if len(events) == 0 {
			if drain {
				return true
			}
			r.wait(ctx)
			continue
		}
		start := time.Now()
		if err := pub.Publish(context.Background(), events); err != nil {
			pub.Close()
			pub = nil
			fail("relay: publish failed; the batch stays pending", err)
			continue
		}
		last := events[len(events)-1].Sequence
		if err := r.src.MarkPublished(context.Background(), last); err != nil {
			// Published but not marked: the batch will be published again and
			// skipped downstream as duplicates.
			fail("relay: cannot mark events published", err)
			continue
		}
		backoff.Reset()
		if r.m != nil {
			r.m.published.Add(float64(len(events)))
			r.m.batch.Observe(float64(len(events)))
			r.m.duration.Observe(time.Since(start).Seconds())
		}
	}
	return false
}

func (r *Relay) wait(ctx context.Context) {
	t := time.NewTimer(r.opts.Idle)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.src.Notify():
	case <-t.C:
	}
}

// Metrics are the relay_* metrics.
type Metrics struct {
	published, errors prometheus.Counter
	batch, duration   prometheus.Histogram
}

// NewMetrics registers the relay metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		published: f.NewCounter(prometheus.CounterOpts{Name: "relay_published_events_total", Help: "Events acknowledged by Kafka and marked published."}),
		errors:    f.NewCounter(prometheus.CounterOpts{Name: "relay_publish_errors_total", Help: "Relay failures (producer, publish or outbox errors); each is retried."}),
		batch: f.NewHistogram(prometheus.HistogramOpts{Name: "relay_batch_size", Help: "Events per published batch.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11)}),
		duration: f.NewHistogram(prometheus.HistogramOpts{Name: "relay_publish_duration_seconds", Help: "Time from sending a batch to its acknowledgement.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}),
	}
}
