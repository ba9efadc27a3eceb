package consumer

import (
	"context"
	"sync"

	"github.com/IBM/sarama"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/libs/tracing"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

const scope = "github.com/distsum/distsum/services/totals/internal/consumer"

// maxSaveLinks bounds the applies one state save links to (and the links
// kept waiting for a save): a save after a burst links the first ones and
// counts the rest.
const maxSaveLinks = 128

// startApply starts the span of applying one record, a child of the Add's
// span whose W3C context the record's headers carry. A record without them
// (an older calculator, or one with tracing off) gets a span of its own.
func startApply(msg *sarama.ConsumerMessage) (context.Context, trace.Span) {
	if !tracing.Enabled() {
		return context.Background(), noop.Span{}
	}
	tp, ts := sumevent.TraceHeaders(msg.Headers)
	ctx := tracing.Extract(context.Background(), tp, ts)
	return tracing.Start(ctx, scope, "apply", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", msg.Topic),
		attribute.Int("messaging.destination.partition.id", int(msg.Partition)),
		attribute.Int64("messaging.kafka.offset", msg.Offset)))
}

// endApply records what the ledger did with the event.
func endApply(span trace.Span, e *sumevent.Event, r ledger.Result) {
	if span.IsRecording() {
		span.SetAttributes(attribute.String("distsum.producer_id", e.ProducerID),
			attribute.Int64("distsum.sequence", int64(e.Sequence)),
			attribute.String("distsum.outcome", outcomeName(r.Outcome)),
			attribute.Int("distsum.applied", r.Applied))
	}
	span.End()
}

func outcomeName(o ledger.Outcome) string {
	switch o {
	case ledger.Applied:
		return "counted"
	case ledger.Duplicate:
		return "duplicate"
	case ledger.Covered:
		return "covered"
	case ledger.Held:
		return "held"
	case ledger.Collision:
		return "collision"
	}
	return "unknown"
}

// applyLinks are the sampled apply spans of counted events waiting for the
// save that makes them durable.
type applyLinks struct {
	mu      sync.Mutex
	pending []pendingLink
	dropped int
}

type pendingLink struct {
	partition int32
	offset    int64
	sc        trace.SpanContext
}

func (l *applyLinks) add(partition int32, offset int64, sc trace.SpanContext) {
	if !sc.IsSampled() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) >= maxSaveLinks {
		l.dropped++
		return
	}
	l.pending = append(l.pending, pendingLink{partition, offset, sc})
}

// take returns the links of the applies a state covering offsets (partition
// to next offset) contains, and how many more were not kept; the others
// wait for a later save.
func (l *applyLinks) take(offsets map[int32]int64) ([]trace.Link, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var links []trace.Link
	keep := l.pending[:0]
	for _, p := range l.pending {
		if next, ok := offsets[p.partition]; ok && p.offset < next {
			links = append(links, trace.Link{SpanContext: p.sc})
			continue
		}
		keep = append(keep, p)
	}
	clear(l.pending[len(keep):])
	l.pending = keep
	dropped := l.dropped
	l.dropped = 0
	return links, dropped
}
