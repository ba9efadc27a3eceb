package consumer

import (
	"context"
	"fmt"
	"slices"
)

// coverage checks that a session's claims are every partition of the topic:
// a replica serves the total of the whole topic or nothing. Two replicas that
// share one consumer group split the partitions, and each would serve a
// partial total; that is the misconfiguration this names.
func coverage(claimed []int32, partitions int) (unassigned int, err error) {
	have := map[int32]bool{}
	for _, p := range claimed {
		if p >= 0 && int(p) < partitions {
			have[p] = true
		}
	}
	if len(have) == partitions {
		return 0, nil
	}
	sorted := slices.Sorted(slices.Values(claimed))
	if sorted == nil {
		sorted = []int32{}
	}
	return partitions - len(have), fmt.Errorf("reading partitions %v of %d: TOTALS_GROUP_ID shared with another replica?", sorted, partitions)
}

// checkCoverage compares the session's claims with the topic's partition
// count from fresh metadata. When the count cannot be read the last verdict
// stays.
func (c *Consumer) checkCoverage(claimed []int32) {
	if c.topology == nil {
		return
	}
	n, err := c.topology.Partitions(c.topic)
	if err != nil {
		c.log.Warn("cannot read the topic's partition count", "err", err)
		return
	}
	unassigned, err := coverage(claimed, n)
	c.m.unassigned.Set(float64(unassigned))
	prev := c.partial.Swap(&err)
	switch {
	case err != nil && (prev == nil || *prev == nil):
		c.log.Error("this replica reads only part of the topic: GET /total answers 503 until it reads every partition", "err", err)
	case err == nil && prev != nil && *prev != nil:
		c.log.Info("this replica reads every partition again", "partitions", n)
	}
}

// Serving returns why GET /total must not answer (nil when it may): the
// replica reads only some partitions, so its total would be partial, or it
// is still restoring its state from a checkpoint.
func (c *Consumer) Serving() error {
	if p := c.partial.Load(); p != nil && *p != nil {
		return *p
	}
	if p := c.restoring.Load(); p != nil && *p != nil {
		return *p
	}
	return nil
}

// PartitionsCheck is the readiness check "partitions".
func (c *Consumer) PartitionsCheck(context.Context) error { return c.Serving() }

// Restoring marks the replica as restoring its state (reason non-nil): no
// total is served until Restoring(nil).
func (c *Consumer) Restoring(reason error) { c.restoring.Store(&reason) }
