package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// maxCollisionReports bounds the collisions the readiness check names (the
// dead-letter file has them all).
const maxCollisionReports = 5

// collisionLog keeps the sequence collisions seen since the process started:
// the readiness check stays failed until the operator fixes the producer ids
// and restarts (the total misses the parked sums; nothing else clears that).
type collisionLog struct {
	mu      sync.Mutex
	n       int
	reports []string
}

func (g *collisionLog) add(report string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	if len(g.reports) < maxCollisionReports {
		g.reports = append(g.reports, report)
	}
}

func (g *collisionLog) check() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n == 0 {
		return nil
	}
	more := ""
	if g.n > len(g.reports) {
		more = fmt.Sprintf("; and %d more", g.n-len(g.reports))
	}
	return fmt.Errorf("%d sequence collisions, not counted, parked in the dead-letter file: %s%s; fix the duplicated CALCULATOR_PRODUCER_ID and restart totals",
		g.n, strings.Join(g.reports, "; "), more)
}

// CollisionsCheck is the readiness check "collisions": no record reused a
// producer sequence already counted (or held) with other content.
func (c *Consumer) CollisionsCheck(context.Context) error { return c.collisions.check() }

// collided parks a record whose producer sequence was counted (or held) with
// other content, then passes its offset; a parking error stops the claim.
func (c *Consumer) collided(msg *sarama.ConsumerMessage, e *sumevent.Event, r ledger.Result) error {
	how := "counted"
	if r.CountedHeld {
		how = "held"
	}
	report := fmt.Sprintf("producer %s: sequence %d %s with sum %d, record at partition %d offset %d has sum %d (two writers under one producer id?)",
		e.ProducerID, e.Sequence, how, r.CountedSum, msg.Partition, msg.Offset, e.Sum)
	if err := c.deadLetter.Park(msg.Topic, msg.Partition, msg.Offset, msg.Key, msg.Value, errors.New("sequence collision: "+report)); err != nil {
		c.log.Error("cannot park colliding record", "err", err)
		return err
	}
	if c.ledger.Parked(msg.Partition, msg.Offset) {
		c.m.collisions.WithLabelValues(e.ProducerID).Inc()
		c.collisions.add(report)
		c.log.Error("sequence collision: record parked, not counted", "producer", e.ProducerID, "sequence", e.Sequence,
			"counted_sum", r.CountedSum, "sum", e.Sum, "partition", msg.Partition, "offset", msg.Offset, "request_id", e.RequestID)
	}
	return nil
}
