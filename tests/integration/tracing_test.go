package integration

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

// otlpSpan is one span an OTLP receiver got, with the service that sent it.
type otlpSpan struct {
	service string
	*tracepb.Span
}

func (s otlpSpan) traceID() string  { return hex.EncodeToString(s.TraceId) }
func (s otlpSpan) spanID() string   { return hex.EncodeToString(s.SpanId) }
func (s otlpSpan) parentID() string { return hex.EncodeToString(s.ParentSpanId) }

func (s otlpSpan) attr(key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.GetStringValue()
		}
	}
	return ""
}

func (s otlpSpan) intAttr(key string) int64 {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.GetIntValue()
		}
	}
	return -1
}

// otlpReceiver is an OTLP/HTTP trace endpoint in the test: what a collector
// or Jaeger receives, decoded into memory.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []otlpSpan
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var msg collectortrace.ExportTraceServiceRequest
		if err != nil || req.URL.Path != "/v1/traces" || proto.Unmarshal(body, &msg) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.ResourceSpans {
			service := ""
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					service = a.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					r.spans = append(r.spans, otlpSpan{service, s})
				}
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out) //nolint:errcheck
	}))
	t.Cleanup(r.Close)
	return r
}

// env is what points a service's tracing at the receiver (exported every
// 100 ms instead of 5 s, so the test does not wait).
func (r *otlpReceiver) env(service string) []string {
	return []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + r.URL, "OTEL_SERVICE_NAME=" + service, "OTEL_BSP_SCHEDULE_DELAY=100"}
}

// await returns the spans once match finds what it wants in them, or fails
// the test after 20 s.
func (r *otlpReceiver) await(t *testing.T, what string, match func([]otlpSpan) bool) []otlpSpan {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		spans := append([]otlpSpan(nil), r.spans...)
		r.mu.Unlock()
		if match(spans) {
			return spans
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range spans {
				names = append(names, s.service+":"+s.Name+"@"+s.traceID()[:8])
			}
			t.Fatalf("no %s among the exported spans %v", what, names)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func find(spans []otlpSpan, match func(otlpSpan) bool) (otlpSpan, bool) {
	for _, s := range spans {
		if match(s) {
			return s, true
		}
	}
	return otlpSpan{}, false
}

// applyOf is totals' apply span of the event (producer, seq).
func applyOf(producer string, seq uint64) func(otlpSpan) bool {
	return func(s otlpSpan) bool {
		return s.service == "totals" && s.Name == "apply" && s.attr("distsum.producer_id") == producer &&
			s.intAttr("distsum.sequence") == int64(seq) && s.attr("distsum.outcome") == "counted"
	}
}

// TestTracingFollowsAnAddFromTheCallToItsCount: with both services
// exporting to an OTLP endpoint, one Add gives one trace: the calculator's
// gRPC span and outbox commit, totals' apply (a child of the Add's span,
// across Kafka) and the state save that links the apply; the calculator's
// log line of the Add carries the trace id. Negative control: an Add on a
// calculator with tracing off has no traceparent on its record, and totals
// applies it in a trace of its own.
func TestTracingFollowsAnAddFromTheCallToItsCount(t *testing.T) {
	k := startKafka(t)
	recv := startOTLPReceiver(t)
	totals := testkit.StartTotals(t, k.Bootstrap(), recv.env("totals")...)
	calc := testkit.StartCalculator(t, k.Bootstrap(), append(recv.env("calculator"), "LOG_LEVEL=debug")...)

	resp, err := calc.Client(t).Add(context.Background(), &calculatorpb.AddRequest{Num1: 5, Num2: 10, RequestId: "traced-1"})
	if err != nil {
		t.Fatal(err)
	}
	totals.WaitCounted(t, resp.Token, 30*time.Second)

	var add, commit, apply, save otlpSpan
	recv.await(t, "trace from the Add to the save", func(spans []otlpSpan) bool {
		var ok bool
		if add, ok = find(spans, func(s otlpSpan) bool {
			return s.service == "calculator" && s.Name == "CalculatorService/Add" && s.Kind == tracepb.Span_SPAN_KIND_SERVER
		}); !ok {
			return false
		}
		if commit, ok = find(spans, func(s otlpSpan) bool {
			return s.service == "calculator" && s.Name == "outbox commit" && s.parentID() == add.spanID() &&
				s.intAttr("distsum.sequence") == int64(resp.Sequence)
		}); !ok {
			return false
		}
		if apply, ok = find(spans, applyOf(resp.ProducerId, resp.Sequence)); !ok {
			return false
		}
		save, ok = find(spans, func(s otlpSpan) bool {
			if s.service != "totals" || s.Name != "state save" {
				return false
			}
			for _, l := range s.Links {
				if hex.EncodeToString(l.SpanId) == apply.spanID() && hex.EncodeToString(l.TraceId) == apply.traceID() {
					return true
				}
			}
			return false
		})
		return ok
	})
	trace := add.traceID()
	if commit.traceID() != trace || apply.traceID() != trace {
		t.Fatalf("trace ids: Add %s, outbox commit %s, apply %s: not one trace", trace, commit.traceID(), apply.traceID())
	}
	if apply.parentID() != add.spanID() {
		t.Fatalf("apply's parent %s is not the Add's span %s", apply.parentID(), add.spanID())
	}
	t.Logf("trace %s: %s Add %s -> outbox commit %s -> apply %s (partition %d offset %d) -> state save %s",
		trace, calc.GRPCAddr, add.spanID(), commit.spanID(), apply.spanID(),
		apply.intAttr("messaging.destination.partition.id"), apply.intAttr("messaging.kafka.offset"), save.spanID())

	// The calculator's log line of this Add carries its trace id.
	if line := logLine(t, calc.LogPath(), "add recorded", resp.Token); line["trace_id"] != trace {
		t.Fatalf("calculator log line %v: trace_id is not the Add's trace %s", line, trace)
	}
	// The record carries the Add's context.
	if tp, _ := sumevent.TraceHeaders(recordOf(t, k, resp.ProducerId, resp.Sequence).Headers); !strings.Contains(tp, trace) {
		t.Fatalf("record traceparent %q, want the trace %s", tp, trace)
	}

	// Negative control: a calculator with tracing off (its environment
	// clears the OTEL variables), the same totals.
	off := testkit.StartCalculator(t, k.Bootstrap(), "OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_TRACES_EXPORTER=", "OTEL_SERVICE_NAME=")
	resp2, err := off.Client(t).Add(context.Background(), &calculatorpb.AddRequest{Num1: 1, Num2: 2, RequestId: "untraced-1"})
	if err != nil {
		t.Fatal(err)
	}
	totals.WaitCounted(t, resp2.Token, 30*time.Second)
	rec := recordOf(t, k, resp2.ProducerId, resp2.Sequence)
	for _, h := range rec.Headers {
		if k := string(h.Key); k == sumevent.HeaderTraceParent || k == sumevent.HeaderTraceState {
			t.Fatalf("a calculator with tracing off sent a %s header (%q)", k, h.Value)
		}
	}
	spans := recv.await(t, "apply span of the untraced Add", func(spans []otlpSpan) bool {
		_, ok := find(spans, applyOf(resp2.ProducerId, resp2.Sequence))
		return ok
	})
	apply2, _ := find(spans, applyOf(resp2.ProducerId, resp2.Sequence))
	if len(apply2.ParentSpanId) != 0 {
		t.Fatalf("untraced Add's apply has parent %s", apply2.parentID())
	}
	for _, s := range spans {
		if s.service == "calculator" && s.traceID() == apply2.traceID() {
			t.Fatalf("untraced Add's apply is in a calculator trace (%s)", s.Name)
		}
	}
}

// logLine returns the first JSON log line of path with msg whose text
// contains has.
func logLine(t *testing.T, path, msg, has string) map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line["msg"] != msg || !strings.Contains(sc.Text(), has) {
			continue
		}
		return line
	}
	t.Fatalf("no %q log line with %q in %s", msg, has, path)
	return nil
}

// TestTracingOverhead measures Adds/s and latency at 64 Adds in flight on
// three calculators, side by side and alternating (off, on, sampled; twice)
// on one Kafka and one totals service: tracing off; on with every Add
// sampled and exported to an OTLP receiver in the test; on with 1 % of the
// Adds sampled (parentbased_traceidratio 0.01, what a busy production would
// run). A measurement, so it runs only with DISTSUM_MEASURE=1:
//
//	DISTSUM_MEASURE=1 flock /tmp/distsum-heavy.lock go test ./tests/integration -run TestTracingOverhead -v
func TestTracingOverhead(t *testing.T) {
	if os.Getenv("DISTSUM_MEASURE") == "" {
		t.Skip("a measurement: set DISTSUM_MEASURE=1")
	}
	const adds, inFlight, rounds = 8000, 64, 2
	k := startKafka(t)
	recv := startOTLPReceiver(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	arms := []string{"off", "on (all sampled)", "on (1% sampled)"}
	calcs := map[string]*testkit.Calculator{
		arms[0]: testkit.StartCalculator(t, k.Bootstrap(), "OTEL_EXPORTER_OTLP_ENDPOINT=", "OTEL_TRACES_EXPORTER="),
		arms[1]: testkit.StartCalculator(t, k.Bootstrap(), recv.env("calculator")...),
		arms[2]: testkit.StartCalculator(t, k.Bootstrap(), append(recv.env("calculator-sampled"),
			"OTEL_TRACES_SAMPLER=parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG=0.01")...),
	}
	o := addload.NewOracle()
	results := map[string][]throughput{}
	for round := 0; round < rounds; round++ {
		for i, arm := range arms {
			client := calcs[arm].Client(t)
			w := &addload.Workload{Client: client, Oracle: o, Prefix: fmt.Sprintf("overhead-%d-%d", i, round), Workers: inFlight, Seed: uint64(round)}
			results[arm] = append(results[arm], measure(t, w, 500, adds))
			settle(t, totals, o)
		}
	}
	recv.mu.Lock()
	perService := map[string]int{}
	for _, s := range recv.spans {
		perService[s.service]++
	}
	recv.mu.Unlock()
	if perService["calculator"] < rounds*adds {
		t.Fatalf("the traced calculator exported %d spans for %d Adds", perService["calculator"], rounds*adds)
	}
	if n := perService["calculator-sampled"]; n == 0 || n > rounds*adds/10 {
		t.Fatalf("the 1%%-sampled calculator exported %d spans for %d Adds", n, rounds*adds)
	}
	t.Logf("%d Adds per run, %d in flight, SQLite outbox, spans exported over OTLP/HTTP to a receiver in the test (%v):",
		adds, inFlight, perService)
	for round := 0; round < rounds; round++ {
		for _, arm := range arms {
			r := results[arm][round]
			t.Logf("  round %d tracing %-17s %7.0f Adds/s  p50 %6.2f ms  p99 %6.2f ms", round+1, arm,
				r.perSec, ms(r.p50), ms(r.p99))
		}
	}
}
