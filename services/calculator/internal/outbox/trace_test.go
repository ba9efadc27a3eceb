package outbox

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/distsum/distsum/libs/tracing"
)

func TestAppendStoresTheAddsTraceContextWithItsEvent(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracing.Enable(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(tracing.Disable)
	s, _ := openTemp(t, Options{})

	ctx, add := tracing.Start(context.Background(), "test", "Add")
	if _, err := s.Append(ctx, Entry{Num1: 1, Num2: 2, Sum: 3}); err != nil {
		t.Fatal(err)
	}
	add.End()
	// An untraced Add in the same outbox stores nothing.
	if _, err := s.Append(context.Background(), Entry{Num1: 4, Num2: 5, Sum: 9}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Pending(context.Background(), 0, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("pending %v, %v", evs, err)
	}
	sc := add.SpanContext()
	if want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"; evs[0].TraceParent != want {
		t.Fatalf("stored traceparent %q, want the Add's %q", evs[0].TraceParent, want)
	}
	if evs[1].TraceParent != "" || evs[1].TraceState != "" {
		t.Fatalf("untraced Add stored %q %q", evs[1].TraceParent, evs[1].TraceState)
	}
	var commit sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.Name() == "outbox commit" && sp.Parent().SpanID() == sc.SpanID() {
			commit = sp
		}
	}
	if commit == nil {
		t.Fatalf("no outbox commit span under the Add among %d spans", len(rec.Ended()))
	}
	if commit.SpanContext().TraceID() != sc.TraceID() {
		t.Fatal("commit span in another trace")
	}
}

func TestTracingOffStoresNoContext(t *testing.T) {
	tracing.Disable()
	s, _ := openTemp(t, Options{})
	// A valid span context in ctx (a client's) is not stored while tracing is off.
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: [16]byte{1}, SpanID: [8]byte{1}, TraceFlags: trace.FlagsSampled})
	if _, err := s.Append(trace.ContextWithSpanContext(context.Background(), sc), Entry{Num1: 1, Num2: 1, Sum: 2}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Pending(context.Background(), 0, 10)
	if err != nil || len(evs) != 1 || evs[0].TraceParent != "" {
		t.Fatalf("pending %+v, %v", evs, err)
	}
}

// An outbox written by a calculator before the trace columns existed opens,
// keeps its pending events and takes traced ones.
func TestOldOutboxIsMigrated(t *testing.T) {
	path := writeOutbox(t,
		`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO meta VALUES ('producer_id', 'calc-old')`,
		`CREATE TABLE outbox_event (sequence INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT, num1 INTEGER NOT NULL,
			num2 INTEGER NOT NULL, sum INTEGER NOT NULL, created_at INTEGER NOT NULL, published_at INTEGER)`,
		`INSERT INTO outbox_event (request_id, num1, num2, sum, created_at) VALUES (NULL, 1, 1, 2, 1)`,
	)

	rec := tracetest.NewSpanRecorder()
	tracing.Enable(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(tracing.Disable)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, add := tracing.Start(context.Background(), "test", "Add")
	r, err := s.Append(ctx, Entry{Num1: 2, Num2: 2, Sum: 4})
	add.End()
	if err != nil || r.Event.Sequence != 2 || s.ProducerID() != "calc-old" {
		t.Fatalf("append on a migrated outbox: %+v, %v", r, err)
	}
	evs, err := s.Pending(context.Background(), 0, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("pending %+v, %v", evs, err)
	}
	if evs[0].Sequence != 1 || evs[0].TraceParent != "" || evs[1].TraceParent == "" {
		t.Fatalf("old event %+v, new event %+v", evs[0], evs[1])
	}
	s.Close()
	// Opening it again (columns present) is a no-op.
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}
