package consumer

import (
	"path/filepath"
	"testing"

	"github.com/IBM/sarama"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/libs/tracing"
)

func tracedRecord(t *testing.T, p int32, off int64, e sumevent.Event) *sarama.ConsumerMessage {
	m, err := sumevent.Message("topic", e)
	if err != nil {
		t.Fatal(err)
	}
	msg := record(t, p, off, e)
	for i := range m.Headers {
		msg.Headers = append(msg.Headers, &m.Headers[i])
	}
	return msg
}

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, a := range s.Attributes() {
		if string(a.Key) == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// The apply span of a record is a child of the Add's span its headers name
// (one trace from the gRPC call to the total), says whether the event was
// counted or a duplicate, and the state save that makes it durable links
// to it. A record without trace headers (an older calculator) is applied
// under a span of its own, linked too, without error.
func TestApplySpanContinuesTheAddsTraceAndTheSaveLinksIt(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracing.Enable(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(tracing.Disable)
	c, l := newConsumer(t, filepath.Join(t.TempDir(), "state"))

	add := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x0a, 0xf7, 1}, SpanID: trace.SpanID{0xb7, 2}, TraceFlags: trace.FlagsSampled})
	tp := "00-" + add.TraceID().String() + "-" + add.SpanID().String() + "-01"
	e1 := sumevent.Event{ProducerID: "p", Sequence: 1, Num1: 2, Sum: 2, TraceParent: tp}
	for i, msg := range []*sarama.ConsumerMessage{
		tracedRecord(t, 0, 0, e1),
		tracedRecord(t, 0, 1, e1), // the same event again: a duplicate
		record(t, 1, 0, sumevent.Event{ProducerID: "q", Sequence: 1, Num1: 5, Sum: 5}),
	} {
		if err := c.handle(msg); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	c.Flush()
	if l.View().Total.Int64() != 7 {
		t.Fatalf("total %s", l.View().Total)
	}

	var applies []sdktrace.ReadOnlySpan
	var save sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "apply":
			applies = append(applies, s)
		case "state save":
			save = s
		}
	}
	if len(applies) != 3 || save == nil {
		t.Fatalf("%d apply spans and save %v", len(applies), save)
	}
	counted, dup, untraced := applies[0], applies[1], applies[2]
	for _, s := range []sdktrace.ReadOnlySpan{counted, dup} {
		if s.Parent().SpanID() != add.SpanID() || s.SpanContext().TraceID() != add.TraceID() || !s.Parent().IsRemote() {
			t.Fatalf("apply span %v parent %v: not a child of the Add's span %v", s.SpanContext(), s.Parent(), add)
		}
	}
	if attr(counted, "distsum.outcome").AsString() != "counted" || attr(dup, "distsum.outcome").AsString() != "duplicate" ||
		attr(counted, "distsum.sequence").AsInt64() != 1 || attr(counted, "distsum.producer_id").AsString() != "p" ||
		attr(dup, "messaging.kafka.offset").AsInt64() != 1 {
		t.Fatalf("attributes %v / %v", counted.Attributes(), dup.Attributes())
	}
	if untraced.Parent().IsValid() || untraced.SpanContext().TraceID() == add.TraceID() {
		t.Fatalf("record without headers got parent %v", untraced.Parent())
	}
	// The save links the counted applies (not the duplicate, which it does not change).
	linked := map[trace.SpanID]bool{}
	for _, ln := range save.Links() {
		linked[ln.SpanContext.SpanID()] = true
	}
	if len(linked) != 2 || !linked[counted.SpanContext().SpanID()] || !linked[untraced.SpanContext().SpanID()] {
		t.Fatalf("save links %v", save.Links())
	}
	// Nothing is left to link to the next save.
	if links, _ := c.links.take(map[int32]int64{0: 100, 1: 100}); len(links) != 0 {
		t.Fatalf("%d links left after the save", len(links))
	}
}

// A save links only applies whose offsets it covers, and at most
// maxSaveLinks; the rest are counted.
func TestSaveLinksAreBoundedAndCovered(t *testing.T) {
	var l applyLinks
	sc := func(i int) trace.SpanContext {
		return trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{byte(i), byte(i >> 8), 1}, TraceFlags: trace.FlagsSampled})
	}
	for i := range maxSaveLinks + 10 {
		l.add(0, int64(i), sc(i))
	}
	l.add(1, 0, trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{9}})) // not sampled: not kept
	links, dropped := l.take(map[int32]int64{0: 50})
	if len(links) != 50 || dropped != 10 {
		t.Fatalf("%d links, %d dropped; want 50, 10", len(links), dropped)
	}
	links, dropped = l.take(map[int32]int64{0: 1 << 20})
	if len(links) != maxSaveLinks-50 || dropped != 0 {
		t.Fatalf("%d links, %d dropped on the next save", len(links), dropped)
	}
}

func TestNoApplySpansWhenTracingIsOff(t *testing.T) {
	tracing.Disable()
	c, _ := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	tp := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if err := c.handle(tracedRecord(t, 0, 0, sumevent.Event{ProducerID: "p", Sequence: 1, Num1: 1, Sum: 1, TraceParent: tp})); err != nil {
		t.Fatal(err)
	}
	if links, _ := c.links.take(map[int32]int64{0: 10}); len(links) != 0 {
		t.Fatal("a link was kept with tracing off")
	}
	_, span := startApply(&sarama.ConsumerMessage{})
	if span.SpanContext().IsValid() || span.IsRecording() {
		t.Fatal("apply span with tracing off")
	}
}
