package outbox

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/distsum/distsum/libs/tracing"
)

const scope = "github.com/distsum/distsum/services/calculator/internal/outbox"

// StartCommitSpan starts the span of an Add's wait for its group commit
// (both backends): what an Add spends in the outbox, queue and fsync.
func StartCommitSpan(ctx context.Context, backend string) (context.Context, trace.Span) {
	return tracing.Start(ctx, scope, "outbox commit", trace.WithAttributes(attribute.String("outbox.backend", backend)))
}

// EndCommitSpan ends it with the recorded event's identity, or the error.
func EndCommitSpan(span trace.Span, res Result, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.String("distsum.producer_id", res.Event.ProducerID),
			attribute.Int64("distsum.sequence", int64(res.Event.Sequence)), attribute.Bool("distsum.replayed", res.Replayed))
	}
	span.End()
}
