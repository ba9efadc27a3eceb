package relay

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/IBM/sarama"
	"github.com/IBM/sarama/mocks"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/libs/tracing"
	"github.com/distsum/distsum/services/calculator/internal/outbox"
)

// The relay sends a traced Add's W3C context, stored with its event in the
// outbox, as the record's traceparent header; an untraced Add's record has
// none.
func TestRelaySendsTheAddsTraceContextAsRecordHeaders(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracing.Enable(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(tracing.Disable)
	store := openStore(t)
	ctx, add := tracing.Start(context.Background(), "test", "Add")
	if _, err := store.Append(ctx, outbox.Entry{Num1: 1, Num2: 1, Sum: 2}); err != nil {
		t.Fatal(err)
	}
	add.End()
	if _, err := store.Append(context.Background(), outbox.Entry{Num1: 2, Num2: 2, Sum: 4}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	headers := map[uint64][2]string{} // sequence -> traceparent, tracestate
	check := func(m *sarama.ProducerMessage) error {
		var tp, ts, seq string
		for _, h := range m.Headers {
			switch string(h.Key) {
			case sumevent.HeaderTraceParent:
				tp = string(h.Value)
			case sumevent.HeaderTraceState:
				ts = string(h.Value)
			case sumevent.HeaderSequence:
				seq = string(h.Value)
			}
		}
		if seq == "" {
			return errors.New("no sequence header")
		}
		mu.Lock()
		headers[uint64(seq[0]-'0')] = [2]string{tp, ts}
		mu.Unlock()
		return nil
	}
	cfg := mocks.NewTestConfig()
	cfg.Producer.Return.Successes = true
	producer := mocks.NewSyncProducer(t, cfg)
	producer.ExpectSendMessageWithMessageCheckerFunctionAndSucceed(check)
	producer.ExpectSendMessageWithMessageCheckerFunctionAndSucceed(check)
	r := New(store, func() (Publisher, error) { return &KafkaPublisher{producer: producer, topic: "t"}, nil }, Options{}, quiet(), nil)
	if !r.Drain(context.Background()) {
		t.Fatal("drain did not finish")
	}

	sc := add.SpanContext()
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	mu.Lock()
	defer mu.Unlock()
	if got := headers[1][0]; got != want {
		t.Fatalf("traced Add's record: traceparent %q, want %q", got, want)
	}
	if got, ok := headers[2]; !ok || got[0] != "" || got[1] != "" {
		t.Fatalf("untraced Add's record: trace headers %q (sent %v)", got, ok)
	}
}
