package state

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/distsum/distsum/libs/tracing"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

const scope = "github.com/distsum/distsum/services/totals/internal/state"

// startSave starts the span of one state save, linked to the applies whose
// events it makes durable (a save has many parents, so links, not a parent).
func startSave(snap ledger.Snapshot, links Links) trace.Span {
	if !tracing.Enabled() {
		return noop.Span{}
	}
	var ls []trace.Link
	dropped := 0
	if links != nil {
		ls, dropped = links(snap.Offsets)
	}
	_, span := tracing.Start(context.Background(), scope, "state save", trace.WithLinks(ls...), trace.WithAttributes(
		attribute.Int("distsum.linked_applies", len(ls)), attribute.Int("distsum.unlinked_applies", dropped),
		attribute.Int("distsum.producers", len(snap.Producers))))
	return span
}

func endSave(span trace.Span, bytes int, err error) {
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("distsum.state_bytes", bytes))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}
