package pgoutbox

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/distsum/distsum/libs/tracing"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
)

// testTraceContext: an outbox_event table made before the trace columns
// existed is migrated (its pending event kept), a traced Add stores its W3C
// context with its event and gets a commit span under the Add's span, an
// untraced one stores none.
func testTraceContext(t *testing.T, url string) {
	sqlExec(t, url, `CREATE TABLE outbox_producer (id TEXT PRIMARY KEY, next_seq BIGINT NOT NULL, epoch BIGINT NOT NULL)`)
	sqlExec(t, url, `INSERT INTO outbox_producer VALUES ('calc-old', 2, 1)`)
	sqlExec(t, url, `CREATE TABLE outbox_event (producer_id TEXT NOT NULL, sequence BIGINT NOT NULL, request_id TEXT,
		num1 BIGINT NOT NULL, num2 BIGINT NOT NULL, sum BIGINT NOT NULL, created_at BIGINT NOT NULL, published_at BIGINT,
		PRIMARY KEY (producer_id, sequence))`)
	sqlExec(t, url, `INSERT INTO outbox_event VALUES ('calc-old', 1, NULL, 1, 1, 2, 1, NULL)`)

	rec := tracetest.NewSpanRecorder()
	tracing.Enable(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(tracing.Disable)
	s := open(t, url, Options{ProducerID: "calc-old"})
	ctx, add := tracing.Start(context.Background(), "test", "Add")
	r, err := s.Append(ctx, outbox.Entry{Num1: 2, Num2: 2, Sum: 4})
	add.End()
	if err != nil || r.Event.Sequence != 2 {
		t.Fatalf("traced append: %+v, %v", r, err)
	}
	if _, err := s.Append(context.Background(), outbox.Entry{Num1: 3, Num2: 3, Sum: 6}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Pending(context.Background(), 0, 10)
	if err != nil || len(evs) != 3 {
		t.Fatalf("pending %+v, %v", evs, err)
	}
	sc := add.SpanContext()
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	if evs[0].TraceParent != "" || evs[1].TraceParent != want || evs[2].TraceParent != "" {
		t.Fatalf("stored traceparents %q %q %q, want none, %q, none", evs[0].TraceParent, evs[1].TraceParent, evs[2].TraceParent, want)
	}
	found := false
	for _, sp := range rec.Ended() {
		found = found || sp.Name() == "outbox commit" && sp.Parent().SpanID() == sc.SpanID()
	}
	if !found {
		t.Fatal("no outbox commit span under the Add")
	}
}
