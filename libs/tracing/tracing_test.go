package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func recorder(t *testing.T) *tracetest.SpanRecorder {
	rec := tracetest.NewSpanRecorder()
	Enable(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(Disable)
	return rec
}

func TestOffWithoutEndpointOrExporter(t *testing.T) {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"} {
		t.Setenv(v, "")
	}
	shutdown, err := Setup(context.Background(), "svc", slog.Default())
	if err != nil || Enabled() {
		t.Fatalf("Setup without OTEL_*: enabled %v, err %v", Enabled(), err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	if _, err := Setup(context.Background(), "svc", slog.Default()); err != nil || Enabled() {
		t.Fatalf("OTEL_TRACES_EXPORTER=none: enabled %v, err %v", Enabled(), err)
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "zipkin")
	if _, err := Setup(context.Background(), "svc", slog.Default()); err == nil {
		t.Fatal("an unsupported exporter was accepted")
	}
}

func TestOnWithEndpointExportsAndFlushesOnShutdown(t *testing.T) {
	var mu sync.Mutex
	var got []*tracepb.ResourceSpans
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, req.ResourceSpans...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(b) //nolint:errcheck
	}))
	defer srv.Close()
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "renamed")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "60000") // only the shutdown flush can export it
	shutdown, err := Setup(context.Background(), "svc", slog.Default())
	t.Cleanup(Disable)
	if err != nil || !Enabled() {
		t.Fatalf("Setup with an endpoint: enabled %v, err %v", Enabled(), err)
	}
	_, span := Start(context.Background(), "test", "op")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].ScopeSpans) != 1 || got[0].ScopeSpans[0].Spans[0].Name != "op" {
		t.Fatalf("exported %v", got)
	}
	name := ""
	for _, a := range got[0].Resource.Attributes {
		if a.Key == "service.name" {
			name = a.Value.GetStringValue()
		}
	}
	if name != "renamed" {
		t.Fatalf("service.name %q, want OTEL_SERVICE_NAME's", name)
	}
}

func TestCarrierAndExtractRoundTrip(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: [16]byte{1}, SpanID: [8]byte{2}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	if tp, ts := Carrier(ctx); tp != "" || ts != "" {
		t.Fatalf("tracing off: carrier %q %q, want none", tp, ts)
	}
	recorder(t)
	tp, _ := Carrier(ctx)
	if want := "00-01000000000000000000000000000000-0200000000000000-01"; tp != want {
		t.Fatalf("traceparent %q, want %q", tp, want)
	}
	got := trace.SpanContextFromContext(Extract(context.Background(), tp, "k=v"))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || !got.IsRemote() || got.TraceState().Get("k") != "v" {
		t.Fatalf("extracted %+v", got)
	}
	if Extract(context.Background(), "", "") != context.Background() {
		t.Fatal("no traceparent changed the context")
	}
	if trace.SpanContextFromContext(Extract(context.Background(), "garbage", "")).IsValid() {
		t.Fatal("an invalid traceparent gave a span context")
	}
}

func TestLogHandlerAddsTheTraceOfTheContext(t *testing.T) {
	rec := recorder(t)
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("service", "s")
	ctx, span := Start(context.Background(), "test", "op")
	log.InfoContext(ctx, "traced")
	span.End()
	log.InfoContext(context.Background(), "untraced")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var traced, untraced map[string]any
	if err := json.Unmarshal(lines[0], &traced); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(lines[1], &untraced); err != nil {
		t.Fatal(err)
	}
	s := rec.Ended()[0].SpanContext()
	if traced["trace_id"] != s.TraceID().String() || traced["span_id"] != s.SpanID().String() || traced["service"] != "s" {
		t.Fatalf("traced line %v, span %s/%s", traced, s.TraceID(), s.SpanID())
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Fatalf("untraced line has a trace id: %v", untraced)
	}
}

func TestStartIsANoOpWhenOff(t *testing.T) {
	Disable()
	ctx := context.Background()
	got, span := Start(ctx, "test", "op")
	if got != ctx || span.SpanContext().IsValid() || span.IsRecording() {
		t.Fatal("Start did work with tracing off")
	}
	if n := testing.AllocsPerRun(100, func() { _, s := Start(ctx, "test", "op"); s.End() }); n != 0 {
		t.Fatalf("Start allocates %v times with tracing off", n)
	}
}
