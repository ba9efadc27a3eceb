package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// gapGrace is how long a producer's gap may stay open before the replica
// reports it: an idempotent producer that failed a batch writes it again
// within seconds. A gap behind records deleted unread is reported at once.
var gapGrace = 10 * time.Second

// lostLog tracks what the replica knows it cannot count: records deleted
// from Kafka before they were read, and the producers' missing sequences.
type lostLog struct {
	mu        sync.Mutex
	deleted   []string              // records deleted unread, since start
	explained bool                  // a gap has shown since: the sequences are named
	since     map[string]ledger.Gap // open gaps by producer, with when first seen
	seen      map[string]time.Time
}

// deletedUnread notes records of partition below oldest that were deleted
// before they were read.
func (g *lostLog) deletedUnread(partition int32, from, to int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deleted = append(g.deleted, fmt.Sprintf("partition %d offsets %d..%d", partition, from, to))
	g.explained = false
}

// check reports the missing sequences (and deleted records not yet explained
// by a gap) as an error naming them; nil when nothing is known missing.
func (g *lostLog) check(gaps []ledger.Gap, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]time.Time{}
	}
	open := map[string]bool{}
	var report []string
	for _, gap := range gaps {
		key := fmt.Sprintf("%s/%d", gap.Producer, gap.From)
		open[key] = true
		first, ok := g.seen[key]
		if !ok {
			first, g.seen[key] = now, now
		}
		if len(g.deleted) > 0 || now.Sub(first) >= gapGrace {
			report = append(report, fmt.Sprintf("producer %s: sequences %d..%d missing (%d missing in all, %d later events held)",
				gap.Producer, gap.From, gap.To, gap.Missing, gap.Held))
		}
	}
	for key := range g.seen {
		if !open[key] {
			delete(g.seen, key)
		}
	}
	if len(gaps) > 0 && len(g.deleted) > 0 {
		g.explained = true
	}
	switch {
	case len(report) > 0:
		msg := "events missing, not counted: " + strings.Join(report, "; ")
		if len(g.deleted) > 0 {
			msg += "; records deleted before they were read: " + strings.Join(g.deleted, ", ")
		}
		return errors.New(msg)
	case len(g.deleted) > 0 && !g.explained:
		return fmt.Errorf("records deleted before they were read (%s): the producers and sequences they held are not known until a later event of theirs arrives; restore a checkpoint (TOTALS_RESTORE_FROM_CHECKPOINT) to rebuild",
			strings.Join(g.deleted, ", "))
	}
	return nil
}

// LogCheck is the readiness check "log": nothing is known missing.
func (c *Consumer) LogCheck(context.Context) error {
	err := c.lost.check(c.ledger.View().Gaps, time.Now())
	if err != nil {
		msg := err.Error()
		if c.lastLost.Swap(&msg) == nil {
			c.log.Error("the total misses events", "err", msg)
		}
	} else {
		c.lastLost.Store(nil)
	}
	return err
}

// skipDeleted moves the state past records of claimed partitions that were
// deleted before it read them (retention, DeleteRecords) and reports them:
// sarama would otherwise silently reset the partition to its oldest offset.
// It returns the partitions whose start moved, with their oldest offsets.
func (c *Consumer) skipDeleted(claimed []int32, oldest map[int32]int64) map[int32]int64 {
	moved := map[int32]int64{}
	for _, p := range claimed {
		next, _ := c.ledger.NextOffset(p) // a partition never read starts at 0
		o, ok := oldest[p]
		if !ok || o <= next {
			continue
		}
		c.ledger.Advance(p, o)
		c.lost.deletedUnread(p, next, o-1)
		c.log.Error("records were deleted from Kafka before this replica read them: they cannot be counted",
			"partition", p, "from_offset", next, "to_offset", o-1, "records", o-next)
		moved[p] = o
	}
	return moved
}
