// Package consumer feeds the ledger from Kafka and has it saved.
//
// Records are applied to the ledger's working state as they arrive; the state
// store saves it (total, high-water marks, offsets) atomically as soon as it
// is free (saveLoop), and only then, every flush interval, are the saved
// offsets committed to Kafka. On start
// the state file, not Kafka's committed offsets, says where to resume: a
// restart re-reads from the saved offsets and the ledger skips what it
// already has.
package consumer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/retry"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
	"github.com/distsum/distsum/services/totals/internal/state"
)

// Consumer runs the consumer group and the periodic save.
type Consumer struct {
	newGroup      func() (sarama.ConsumerGroup, error)
	topic         string
	ledger        *ledger.Ledger
	state         *state.Store
	deadLetter    *DeadLetter
	flushInterval time.Duration
	saveGap       time.Duration // shortest time between two saves woken by records
	offsets       Offsets       // nil: the lag is updated only as records arrive
	lagInterval   time.Duration
	topology      Topology // nil: the topic is not checked (unit tests)
	log           *slog.Logger
	m             *Metrics

	flushMu    sync.Mutex
	session    atomic.Pointer[sarama.ConsumerGroupSession]
	committed  map[int32]int64 // offsets last committed to Kafka (flushMu)
	commitDue  time.Time       // when the saved offsets are next committed to Kafka (flushMu)
	saveFailed bool            // the last save failed: retried on the timer, not per record (flushMu)
	applied    chan struct{}   // wakes the saver: records were handled since its last save
	accepted   acceptTimes     // applied events waiting to be saved, for the end-to-end latency
	links      applyLinks      // traced applies waiting to be saved, linked from the save's span

	lagMu     sync.Mutex
	stopLagFn func() // stops the current session's lag updates

	partial    atomic.Pointer[error] // why the claims are not the whole topic
	restoring  atomic.Pointer[error] // set while a checkpoint is being restored
	lost       lostLog
	collisions collisionLog
	lastLost   atomic.Pointer[string]

	topicMu    sync.Mutex
	watch      topicWatch
	sessionEnd chan struct{} // closed to end the current session (topicMu)
}

// New returns a consumer; newGroup joins the group (retried until Kafka
// answers, so the service starts, and serves the saved total, while Kafka is
// down). Its metrics are registered on reg.
func New(newGroup func() (sarama.ConsumerGroup, error), topic string, l *ledger.Ledger, st *state.Store, dl *DeadLetter, flushInterval time.Duration, reg prometheus.Registerer, log *slog.Logger) *Consumer {
	return &Consumer{newGroup: newGroup, topic: topic, ledger: l, state: st, deadLetter: dl, flushInterval: flushInterval,
		log: log, m: newMetrics(reg, l), committed: map[int32]int64{}, accepted: acceptTimes{}, applied: make(chan struct{}, 1)}
}

// WithLag has the consumer read the claimed partitions' end offsets from
// offsets every interval and set totals_consumer_lag from them, so the lag
// keeps growing while records arrive that the consumer does not apply.
func (c *Consumer) WithLag(offsets Offsets, interval time.Duration) *Consumer {
	c.offsets, c.lagInterval = offsets, interval
	return c
}

// WithSaveGap has the saver leave at least d between two saves woken by
// records (0: none), so a busy topic costs fewer fsyncs, each covering more
// records, at the price of up to d more before an event is served.
func (c *Consumer) WithSaveGap(d time.Duration) *Consumer {
	c.saveGap = d
	return c
}

// WithTopology has the consumer check, at every session and on the lag
// timer, that it reads every partition of the topic.
func (c *Consumer) WithTopology(t Topology) *Consumer {
	c.topology = t
	return c
}

// Run consumes until ctx ends, then saves the state one last time.
func (c *Consumer) Run(ctx context.Context) error {
	flushCtx, stopFlush := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() { defer close(flushed); c.saveLoop(flushCtx) }()
	defer func() {
		stopFlush()
		<-flushed
		c.Flush()
		if cl, ok := c.offsets.(io.Closer); ok {
			if err := cl.Close(); err != nil {
				c.log.Warn("closing the offsets client", "err", err)
			}
		}
	}()
	group, err := c.join(ctx)
	if err != nil {
		return nil // ctx ended before Kafka answered
	}
	defer func() {
		if err := group.Close(); err != nil {
			c.log.Warn("closing the consumer group", "err", err)
		}
	}()
	go func() {
		for err := range group.Errors() {
			c.log.Warn("consumer group", "err", err)
		}
	}()
	for ctx.Err() == nil {
		// Consume returns at every rebalance; loop to rejoin.
		if err = group.Consume(ctx, []string{c.topic}, c); err != nil {
			if errors.Is(err, sarama.ErrClosedConsumerGroup) {
				break
			}
			c.log.Warn("consume", "err", err)
			retry.Sleep(ctx, time.Second)
		}
	}
	if ctx.Err() != nil {
		err = nil
	}
	return err
}

func (c *Consumer) join(ctx context.Context) (sarama.ConsumerGroup, error) {
	return retry.Until(ctx, retry.Policy(250*time.Millisecond, 5*time.Second), c.newGroup, func(err error, next time.Duration) {
		c.log.Warn("cannot join the consumer group yet; retrying", "err", err, "retry_in", next)
	})
}

// Setup positions every claimed partition at the offset the state file
// covers: back (ResetOffset) when Kafka's committed offset is ahead, forward
// (MarkOffset) when it is behind. A partition the state has never seen is
// read from the oldest record.
func (c *Consumer) Setup(sess sarama.ConsumerGroupSession) error {
	claimed := sess.Claims()[c.topic]
	c.topicMu.Lock()
	c.sessionEnd = make(chan struct{})
	c.topicMu.Unlock()
	if c.topology != nil {
		if oldest, newest, err := c.topology.Bounds(c.topic, claimed); err != nil {
			c.log.Warn("cannot read the partitions' offsets", "err", err)
		} else {
			c.setUpTopic(claimed, newest)
			c.skipDeleted(claimed, oldest)
		}
	}
	for _, p := range claimed {
		if next, ok := c.ledger.NextOffset(p); ok {
			sess.ResetOffset(c.topic, p, next, "")
			sess.MarkOffset(c.topic, p, next, "")
		} else {
			sess.ResetOffset(c.topic, p, sarama.OffsetOldest, "")
		}
	}
	c.checkCoverage(sess.Claims()[c.topic])
	c.session.Store(&sess)
	c.startLag(sess)
	c.log.Info("partitions assigned", "partitions", sess.Claims()[c.topic], "generation", sess.GenerationID())
	return nil
}

// endSession ends the current session (its claims return; Consume rejoins).
func (c *Consumer) endSession() {
	c.topicMu.Lock()
	defer c.topicMu.Unlock()
	if c.sessionEnd != nil {
		select {
		case <-c.sessionEnd:
		default:
			close(c.sessionEnd)
		}
	}
}

// Cleanup saves the state and commits its offsets before the partitions go.
func (c *Consumer) Cleanup(sess sarama.ConsumerGroupSession) error {
	c.stopLag()
	c.Flush()
	c.session.Store(nil)
	return nil
}

// ConsumeClaim applies one partition's records in order.
func (c *Consumer) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	p := claim.Partition()
	lag := c.m.lag.WithLabelValues(strconv.Itoa(int(p)))
	c.topicMu.Lock()
	end := c.sessionEnd
	c.topicMu.Unlock()
	for {
		select {
		case <-sess.Context().Done():
			return nil
		case <-end:
			return nil // the topic changed: Setup positions the partitions again
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			err := c.handle(msg)
			if len(claim.Messages()) == 0 {
				// The fetch's records are applied: one save covers them all
				// (woken at the first, it would cover only that one and the
				// rest would wait for the next).
				c.wakeSaver()
			}
			if err != nil {
				// The record could not even be parked (disk error): stop this
				// claim without moving past it; it is read again after the
				// rebalance.
				return err
			}
			lag.Set(float64(max(claim.HighWaterMarkOffset()-msg.Offset-1, 0)))
		}
	}
}

func (c *Consumer) handle(msg *sarama.ConsumerMessage) error {
	e, err := sumevent.Decode(msg.Value)
	if err != nil {
		if next, ok := c.ledger.NextOffset(msg.Partition); ok && msg.Offset < next {
			return nil // covered by the state; parked before
		}
		c.log.Error("malformed record parked", "partition", msg.Partition, "offset", msg.Offset, "err", err)
		if perr := c.deadLetter.Park(msg.Topic, msg.Partition, msg.Offset, msg.Key, msg.Value, err); perr != nil {
			c.log.Error("cannot park malformed record", "err", perr)
			return perr
		}
		if c.ledger.Skip(msg.Partition, msg.Offset) {
			c.m.malformed.Inc()
		}
		return nil
	}
	ctx, span := startApply(msg)
	r := c.ledger.ApplyRecord(msg.Partition, msg.Offset, &e)
	if r.Outcome == ledger.Applied && span.IsRecording() {
		c.links.add(msg.Partition, msg.Offset, span.SpanContext())
	}
	endApply(span, &e, r)
	if c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.DebugContext(ctx, "record applied", "producer", e.ProducerID, "sequence", e.Sequence,
			"partition", msg.Partition, "offset", msg.Offset, "outcome", outcomeName(r.Outcome))
	}
	c.m.applied.Add(float64(r.Applied))
	if r.Outcome == ledger.Applied && e.AcceptedAt != 0 {
		c.accepted.add(e)
	}
	switch r.Outcome {
	case ledger.Collision:
		return c.collided(msg, &e, r)
	case ledger.Duplicate:
		c.m.duplicates.Inc()
		if r.Unverified {
			c.m.unverified.Inc()
		}
	case ledger.Held:
		c.log.WarnContext(ctx, "event ahead of a missing one held until it arrives", "producer", e.ProducerID, "sequence", e.Sequence,
			"partition", msg.Partition, "offset", msg.Offset)
	}
	return nil
}

// saveLoop is the state file's group save: a save starts as soon as records
// were handled and the previous save is done, so whatever arrives while one
// save is being fsync'd goes into the next. An applied event is durable (and
// served) one save after it arrives instead of at the next tick, and the save
// rate is bounded by the save's own duration and the save gap: the busier the
// topic, the more records each save covers. The flush interval retries a
// failed save and commits the saved offsets to Kafka.
func (c *Consumer) saveLoop(ctx context.Context) {
	t := time.NewTicker(max(c.flushInterval, time.Millisecond))
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.applied:
			if wait := time.Until(last.Add(c.saveGap)); wait > 0 && !retry.Sleep(ctx, wait) {
				return
			}
			c.flush(false)
			last = time.Now()
		case <-t.C:
			c.flush(true)
		}
	}
}

// wakeSaver has the saver run as soon as it is free (records were handled).
func (c *Consumer) wakeSaver() {
	select {
	case c.applied <- struct{}{}:
	default: // already due to run
	}
}

// Flush saves the working state if it changed (readers see it once it is on
// disk) and commits its offsets to Kafka (advisory: the state file is the
// authority).
func (c *Consumer) Flush() { c.flush(true) }

// flush saves the working state if it changed. A save woken by records
// (timed false) does not retry a failed one, which waits for the timer, and
// commits offsets to Kafka only once a flush interval has passed since the
// last commit: a commit is a round trip to the group coordinator, not to be
// paid per save.
func (c *Consumer) flush(timed bool) {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	if !timed && c.saveFailed {
		return
	}
	start := time.Now()
	s, changed, err := c.state.Save(c.links.take)
	now := time.Now()
	switch {
	case !changed:
		// An event applied just before the last save may have been stamped
		// just after it: observe what the durable view already covers.
		c.accepted.saved(c.ledger.View().Producers, func(acceptedAt int64) { c.m.endToEnd.Observe(now.Sub(time.Unix(0, acceptedAt)).Seconds()) })
	case err != nil:
		c.saveFailed = true
		c.m.flushErrors.Inc()
		c.log.Error("cannot save the state; keeping the last saved total and retrying", "file", c.state.Path(), "err", err)
		return
	default:
		c.saveFailed = false
		c.m.flushes.Inc()
		c.m.flushDuration.Observe(now.Sub(start).Seconds())
		c.accepted.saved(s.Producers, func(acceptedAt int64) { c.m.endToEnd.Observe(now.Sub(time.Unix(0, acceptedAt)).Seconds()) })
		total, _ := new(big.Float).SetInt(c.ledger.View().Total).Float64()
		c.m.total.Set(total)
	}
	if timed || !now.Before(c.commitDue) {
		c.commitSaved()
		c.commitDue = now.Add(c.flushInterval)
	}
}

// commitSaved commits to Kafka the offsets of the last saved state, where
// they moved since the last commit (flushMu held).
func (c *Consumer) commitSaved() {
	sp := c.session.Load()
	if sp == nil {
		return
	}
	sess := *sp
	dirty := false
	for p, off := range c.ledger.View().Offsets {
		if c.committed[p] != off {
			sess.MarkOffset(c.topic, p, off, "")
			c.committed[p] = off
			dirty = true
		}
	}
	if dirty {
		sess.Commit()
	}
}

// acceptTimes keeps, per producer and in sequence order, when the calculator
// accepted each applied event, until a save covers it: the end-to-end latency
// is measured to the moment the sum is durably in the total.
type acceptTimes struct {
	mu      sync.Mutex
	pending map[string][]stamp
}

type stamp struct {
	seq        uint64
	acceptedAt int64
}

func (a *acceptTimes) add(e sumevent.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[string][]stamp{}
	}
	a.pending[e.ProducerID] = append(a.pending[e.ProducerID], stamp{e.Sequence, e.AcceptedAt})
}

// saved hands observe the acceptance time of every event that the saved
// high-water marks cover, and forgets them.
func (a *acceptTimes) saved(hwm map[string]uint64, observe func(acceptedAt int64)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, stamps := range a.pending {
		n := 0
		for n < len(stamps) && stamps[n].seq <= hwm[p] {
			observe(stamps[n].acceptedAt)
			n++
		}
		if n == len(stamps) {
			delete(a.pending, p)
		} else {
			a.pending[p] = stamps[n:]
		}
	}
}
