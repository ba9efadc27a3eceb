package consumer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/distsum/distsum/libs/lifecycle"
)

// Offsets tells where partitions begin and end on the broker.
type Offsets interface {
	// Range returns, per partition, the oldest offset and the end offset a
	// read_committed consumer can read up to (Kafka's last stable offset; the
	// high watermark when no transaction is open).
	Range(topic string, partitions []int32) (oldest, end map[int32]int64, err error)
}

// BrokerOffsets asks the partition leaders (ListOffsets) through a client of
// its own, connected on first use and again after a failure.
type BrokerOffsets struct {
	newClient func() (sarama.Client, error)

	mu     sync.Mutex
	client sarama.Client
}

// NewBrokerOffsets lists offsets with clients from newClient.
func NewBrokerOffsets(newClient func() (sarama.Client, error)) *BrokerOffsets {
	return &BrokerOffsets{newClient: newClient}
}

// Range implements Offsets.
func (b *BrokerOffsets) Range(topic string, partitions []int32) (oldest, end map[int32]int64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err = b.connect(); err != nil {
		return nil, nil, err
	}
	oldest, end = map[int32]int64{}, map[int32]int64{}
	for _, p := range partitions {
		if oldest[p], err = b.client.GetOffset(topic, p, sarama.OffsetOldest); err != nil {
			break
		}
		if end[p], err = b.stableEnd(topic, p); err != nil {
			break
		}
	}
	if err != nil {
		// Leadership may have moved: refresh before the next attempt.
		_ = b.client.RefreshMetadata(topic)
		return nil, nil, err
	}
	return oldest, end, nil
}

// connect opens the client if none is open (b.mu held).
func (b *BrokerOffsets) connect() error {
	if b.client != nil && !b.client.Closed() {
		return nil
	}
	var err error
	if b.client, err = b.newClient(); err != nil {
		b.client = nil
	}
	return err
}

// stableEnd is Client.GetOffset(OffsetNewest) at the read_committed
// isolation level, which sarama's GetOffset does not set: records of open
// transactions are not reachable by the consumer and are not lag yet.
func (b *BrokerOffsets) stableEnd(topic string, p int32) (int64, error) {
	leader, err := b.client.Leader(topic, p)
	if err != nil {
		return 0, err
	}
	req := sarama.NewOffsetRequest(b.client.Config().Version)
	req.IsolationLevel = sarama.ReadCommitted
	req.AddBlock(topic, p, sarama.OffsetNewest, 1)
	resp, err := leader.GetAvailableOffsets(req)
	if err != nil {
		return 0, err
	}
	block := resp.GetBlock(topic, p)
	switch {
	case block == nil:
		return 0, sarama.ErrIncompleteResponse
	case !errors.Is(block.Err, sarama.ErrNoError):
		return 0, block.Err
	case len(block.Offsets) != 1:
		return 0, fmt.Errorf("no end offset for %s/%d", topic, p)
	}
	return block.Offsets[0], nil
}

// Close closes the client, if one is open.
func (b *BrokerOffsets) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client == nil {
		return nil
	}
	err := b.client.Close()
	b.client = nil
	return err
}

// lag is how many records of a partition the state does not cover yet: from
// the next offset the ledger needs (or the oldest offset, for a partition it
// has never seen: that is where reading starts) to the end offset.
func lag(next int64, known bool, oldest, end int64) int64 {
	if !known {
		next = oldest
	}
	return max(end-max(next, oldest), 0)
}

// updateLag sets totals_consumer_lag for partitions from the broker's end
// offsets, whether or not records arrive: a stalled consumer's lag grows.
// Nothing is set once ctx (the session) has ended: the partitions may have
// moved to another consumer.
func (c *Consumer) updateLag(ctx context.Context, partitions []int32) {
	oldest, end, err := c.offsets.Range(c.topic, partitions)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		c.log.Warn("cannot read the partitions' end offsets for the lag", "err", err)
		return
	}
	for _, p := range partitions {
		next, known := c.ledger.NextOffset(p)
		c.m.lag.WithLabelValues(strconv.Itoa(int(p))).Set(float64(lag(next, known, oldest[p], end[p])))
	}
}

// trackLag updates the lag of the session's partitions at once and then
// every lag interval until ctx (the session) ends.
func (c *Consumer) trackLag(ctx context.Context, partitions []int32) {
	if c.offsets == nil {
		return
	}
	tick := func() {
		if len(partitions) > 0 {
			c.updateLag(ctx, partitions)
		}
		if ctx.Err() == nil {
			c.checkCoverage(partitions)
		}
	}
	tick()
	lifecycle.Every(ctx, c.lagInterval, tick)
}

// startLag runs trackLag for a session until stopLag. The lag of partitions
// this consumer no longer holds is dropped: another consumer reports it now,
// and a stale value here would keep alerts firing.
func (c *Consumer) startLag(sess sarama.ConsumerGroupSession) {
	partitions := append([]int32(nil), sess.Claims()[c.topic]...)
	c.dropLagExcept(partitions)
	ctx, cancel := context.WithCancel(sess.Context())
	done := make(chan struct{})
	go func() { defer close(done); c.trackLag(ctx, partitions) }()
	c.lagMu.Lock()
	c.stopLagFn = func() {
		cancel()
		// A request to an unreachable broker may take a while; the rebalance
		// does not wait for it (updateLag sets nothing once cancelled).
		select {
		case <-done:
		case <-time.After(time.Second):
		}
	}
	c.lagMu.Unlock()
}

// dropLagExcept deletes the lag series of every partition not in keep. The
// kept ones stay in place (no gap in the series an alert's "for" watches).
func (c *Consumer) dropLagExcept(keep []int32) {
	ch := make(chan prometheus.Metric, 16)
	go func() { c.m.lag.Collect(ch); close(ch) }()
	var drop []string
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) != nil {
			continue
		}
		for _, l := range d.GetLabel() {
			if p, err := strconv.ParseInt(l.GetValue(), 10, 32); l.GetName() == "partition" && (err != nil || !slices.Contains(keep, int32(p))) {
				drop = append(drop, l.GetValue())
			}
		}
	}
	for _, p := range drop {
		c.m.lag.DeleteLabelValues(p)
	}
}

// stopLag stops the session's lag updates.
func (c *Consumer) stopLag() {
	c.lagMu.Lock()
	stop := c.stopLagFn
	c.stopLagFn = nil
	c.lagMu.Unlock()
	if stop != nil {
		stop()
	}
}
