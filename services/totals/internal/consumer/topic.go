package consumer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// rereading is a topic being read again from its oldest record because the
// offsets the state saved are not in it: the topic was deleted and created
// again (another topic id), or a saved offset is past a partition's end.
type rereading struct {
	reason string
	target map[int32]int64 // end offsets when the re-read began
}

// topicWatch is the consumer's view of the topic's identity.
type topicWatch struct {
	mu      sync.Mutex
	pending string // a change seen on the lag timer, handled at the next Setup
	current *rereading
}

// changed reports why the saved offsets are not in the topic as it is now
// ("" when they are): another topic id, or a saved next offset past a
// partition's newest offset.
func changed(recorded, id string, next map[int32]int64, newest map[int32]int64) string {
	if recorded != "" && id != "" && recorded != id {
		return fmt.Sprintf("topic id %s, the state's offsets are of topic id %s (the topic was deleted and created again)", id, recorded)
	}
	for _, p := range slices.Sorted(maps.Keys(next)) {
		if n, ok := newest[p]; ok && next[p] > n {
			return fmt.Sprintf("partition %d ends at offset %d, the state's next offset is %d", p, n, next[p])
		}
	}
	return ""
}

// nextOffsets is the state's next offset of each claimed partition it has.
func (c *Consumer) nextOffsets(claimed []int32) map[int32]int64 {
	next := map[int32]int64{}
	for _, p := range claimed {
		if o, ok := c.ledger.NextOffset(p); ok {
			next[p] = o
		}
	}
	return next
}

// detectChange compares the topic with the state's next offsets; it returns
// the topic id read and why the state's offsets do not belong to the topic
// ("" if they do). next must have been read before newest: while records
// are consumed the state moves on, and a next offset read after the end
// offsets can be past them without the topic having changed.
func (c *Consumer) detectChange(next, newest map[int32]int64) (id, why string) {
	id, err := c.topology.TopicID(c.topic)
	if err != nil {
		c.log.Warn("cannot read the topic's id", "err", err)
		id = ""
	}
	return id, changed(c.ledger.TopicID(), id, next, newest)
}

// setUpTopic runs at Setup, before the partitions are positioned: it records
// the topic id in a state that has none, and when the topic changed (seen
// now or on the lag timer) forgets the saved offsets so that every claimed
// partition is read again from its oldest record. The total, the
// high-water marks and the held events stay: sequences skip what was counted.
func (c *Consumer) setUpTopic(claimed []int32, newest map[int32]int64) {
	if c.topology == nil {
		return
	}
	// At Setup no claim of the session consumes yet: the next offsets stand still.
	id, why := c.detectChange(c.nextOffsets(claimed), newest)
	c.topicMu.Lock()
	if why == "" && c.watch.pending != "" {
		why = c.watch.pending
	}
	c.watch.pending = ""
	c.topicMu.Unlock()
	if why == "" {
		if c.ledger.TopicID() == "" && id != "" {
			c.ledger.SetTopicID(id)
		}
		return
	}
	c.ledger.ForgetOffsets(id)
	c.flushMu.Lock()
	c.committed = map[int32]int64{}
	c.flushMu.Unlock()
	target := map[int32]int64{}
	for _, p := range claimed {
		target[p] = newest[p]
	}
	c.topicMu.Lock()
	c.watch.current = &rereading{reason: why, target: target}
	c.topicMu.Unlock()
	c.m.rereading.Set(1)
	c.log.Warn("the topic is not the one the state's offsets are in: reading it again from the oldest record (sequences skip what was counted)",
		"topic", c.topic, "why", why, "until", target)
}

// watchTopic runs on the lag timer: a change ends the session (Consume
// rejoins, and Setup re-reads); a finished re-read is reported.
func (c *Consumer) watchTopic(ctx context.Context, claimed []int32) {
	if c.topology == nil || len(claimed) == 0 {
		return
	}
	next := c.nextOffsets(claimed) // before the end offsets: see detectChange
	_, newest, err := c.topology.Bounds(c.topic, claimed)
	if err != nil || ctx.Err() != nil {
		return
	}
	if _, why := c.detectChange(next, newest); why != "" {
		c.topicMu.Lock()
		c.watch.pending = why
		c.topicMu.Unlock()
		c.log.Warn("the topic changed under the running session: rejoining to read it again", "why", why)
		c.endSession()
		return
	}
	_ = c.TopicCheck(ctx)
}

// TopicCheck is the readiness check "topic": the replica is not re-reading
// a changed topic.
func (c *Consumer) TopicCheck(context.Context) error {
	c.topicMu.Lock()
	defer c.topicMu.Unlock()
	r := c.watch.current
	if r == nil {
		return nil
	}
	var behind []string
	for _, p := range slices.Sorted(maps.Keys(r.target)) {
		if next, _ := c.ledger.NextOffset(p); next < r.target[p] {
			behind = append(behind, fmt.Sprintf("partition %d at %d of %d", p, next, r.target[p]))
		}
	}
	if len(behind) == 0 {
		c.watch.current = nil
		c.m.rereading.Set(0)
		c.log.Info("the changed topic has been read again up to where it ended when the re-read began", "topic", c.topic)
		return nil
	}
	return fmt.Errorf("re-reading topic %s from its oldest record: %s; %s", c.topic, r.reason, strings.Join(behind, ", "))
}
