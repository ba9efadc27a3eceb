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

// Source is the outbox as the relay sees it. Pending returns up to limit
// unpublished events with a sequence above after, in sequence order: the
// relay passes what the broker already acknowledged, so while those are
// being marked it reads the next batch rather than the same one again.
type Source interface {
	Pending(ctx context.Context, after uint64, limit int) ([]sumevent.Event, error)
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
	BatchSize  int           // events per publish, at most (default 2000)
	Idle       time.Duration // poll interval when no commit wakes the relay (default 1s)
	MaxBackoff time.Duration // ceiling of the retry delay after errors (default 1s)
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
		opts.BatchSize = 2000
	}
	if opts.Idle <= 0 {
		opts.Idle = time.Second
	}
	if opts.MaxBackoff <= 0 {
		// Kafka's own clients reconnect at most a second apart
		// (reconnect.backoff.max.ms): a broker back from an outage is used
		// within a second, not after the relay's longest sleep.
		opts.MaxBackoff = time.Second
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
	mk := &marker{src: r.src, m: r.m}
	defer func() {
		// Finish the marks before returning: what the broker acknowledged is
		// marked (or, if that fails, published again by the next relay).
		if err := mk.settle(); err != nil {
			r.log.Warn("relay: cannot mark events published; they will be published again", "err", err)
		}
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
		if err := mk.poll(); err != nil {
			// Published but not marked: marked again below; a crash before
			// that publishes them again, skipped downstream as duplicates.
			fail("relay: cannot mark events published", err)
			continue
		}
		mk.catchUp()
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
		events, err := r.src.Pending(context.Background(), mk.published, r.opts.BatchSize)
		if err != nil {
			fail("relay: cannot read the outbox", err)
			continue
		}
		if len(events) == 0 {
			switch {
			case !mk.busy() && mk.marked < mk.published:
				// a failed mark: catchUp starts it again
			case drain && !mk.busy():
				return true
			default:
				// Until new events are committed or the mark in flight ends
				// (rather than read the rows it marks again).
				if err := r.wait(ctx, mk); err != nil {
					fail("relay: cannot mark events published", err)
				}
			}
			continue
		}
		start := time.Now()
		if err := pub.Publish(context.Background(), events); err != nil {
			pub.Close()
			pub = nil
			fail("relay: publish failed; the batch stays pending", err)
			continue
		}
		if r.m != nil {
			r.m.batch.Observe(float64(len(events)))
			r.m.duration.Observe(time.Since(start).Seconds())
		}
		backoff.Reset()
		if err := mk.acked(events[len(events)-1].Sequence, len(events)); err != nil {
			fail("relay: cannot mark events published", err)
		}
	}
	return false
}

// marker marks acknowledged events published while the relay publishes the
// next batch: the mark is an outbox commit (an fsync, shared with the Adds'
// group commit), and waiting for it before reading on put it on the path of
// every event accepted meanwhile. One mark is in flight at a time, in order.
// Events acknowledged but not yet marked are known by sequence (published)
// and not published again by this relay; after a crash they are, with the
// same identity, and skipped downstream.
type marker struct {
	src Source
	m   *Metrics

	published uint64 // highest sequence the broker acknowledged
	marked    uint64 // highest sequence marked published in the outbox
	unmarked  int    // events acknowledged since marked
	inFlight  chan markResult
}

type markResult struct {
	upTo   uint64
	events int
	err    error
}

// acked records that the broker acknowledged events up to seq and marks
// them, after the mark in flight if any; it returns that mark's error (the
// new mark covers its events too).
func (k *marker) acked(seq uint64, n int) error {
	k.published = seq
	k.unmarked += n
	err := k.wait()
	k.catchUp()
	return err
}

// catchUp starts a mark of everything acknowledged if none is in flight.
func (k *marker) catchUp() {
	if k.busy() || k.marked >= k.published {
		return
	}
	ch := make(chan markResult, 1)
	k.inFlight = ch
	upTo, n := k.published, k.unmarked
	go func() { ch <- markResult{upTo, n, k.src.MarkPublished(context.Background(), upTo)} }()
}

func (k *marker) busy() bool { return k.inFlight != nil }

// poll collects the mark in flight if it is done.
func (k *marker) poll() error {
	if !k.busy() {
		return nil
	}
	select {
	case res := <-k.inFlight:
		return k.done(res)
	default:
		return nil
	}
}

// wait collects the mark in flight.
func (k *marker) wait() error {
	if !k.busy() {
		return nil
	}
	return k.done(<-k.inFlight)
}

func (k *marker) done(res markResult) error {
	k.inFlight = nil
	if res.err != nil {
		return res.err
	}
	k.marked = max(k.marked, res.upTo)
	k.unmarked -= res.events
	if k.m != nil {
		k.m.published.Add(float64(res.events))
	}
	return nil
}

// settle waits for the mark in flight and, if events are still unmarked,
// tries once more.
func (k *marker) settle() error {
	err := k.wait()
	if k.marked < k.published {
		k.catchUp()
		err = k.wait()
	}
	return err
}

// wait returns when events are committed, the mark in flight ends (its
// error), ctx ends or the idle poll interval passes.
func (r *Relay) wait(ctx context.Context, mk *marker) error {
	t := time.NewTimer(r.opts.Idle)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.src.Notify():
	case res := <-mk.inFlight: // nil (never ready) when no mark is in flight
		return mk.done(res)
	case <-t.C:
	}
	return nil
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
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}), // 1 to 2,048: the default batch fits
		duration: f.NewHistogram(prometheus.HistogramOpts{Name: "relay_publish_duration_seconds", Help: "Time from sending a batch to its acknowledgement.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}),
	}
}
