// Package tracing is the services' OpenTelemetry tracing: the provider and
// its OTLP exporter (configured only by the standard OTEL_* variables, which
// the SDK reads), the W3C TraceContext propagation of an Add's context
// through the outbox and the Kafka record, and the trace ids in the logs.
//
// Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER (other than
// "none") is set. Off, the global provider stays the no-op one and the
// services skip the work around it (no gRPC stats handler, no context
// stored with events), so an Add pays nothing for it.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

var enabled atomic.Bool

// Enabled reports whether spans are exported (Setup found an exporter, or a
// test installed a provider with Enable).
func Enabled() bool { return enabled.Load() }

// Enable marks tracing on and installs tp as the global provider with the
// W3C propagator: what Setup does with its exporter, and what a test does
// with an in-memory one.
func Enable(tp trace.TracerProvider) {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	enabled.Store(true)
}

// Disable turns tracing off again (tests).
func Disable() {
	enabled.Store(false)
	otel.SetTracerProvider(noop.NewTracerProvider())
}

// Setup installs the tracer provider of service name from the OTEL_*
// environment (exporter, endpoint, protocol, headers, sampler, batching,
// resource attributes; OTEL_SERVICE_NAME overrides name). It returns the
// function that flushes the spans not yet exported and stops the exporter,
// to call on shutdown. Off (no endpoint, no exporter), it installs nothing
// and returns a no-op.
func Setup(ctx context.Context, name string, log *slog.Logger) (func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	on, err := wanted()
	if err != nil || !on {
		return noop, err
	}
	exp, err := exporter(ctx)
	if err != nil {
		return noop, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(attribute.String("service.name", name)), resource.WithFromEnv())
	if err != nil {
		log.Warn("tracing: incomplete resource", "err", err)
	}
	// The sampler (OTEL_TRACES_SAMPLER, default parentbased_always_on) and
	// the batch processor (OTEL_BSP_*) come from the environment too.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing: export failed", "err", err) }))
	Enable(tp)
	log.Info("tracing on", "exporter", os.Getenv("OTEL_TRACES_EXPORTER"), "endpoint", endpoint(), "protocol", protocol())
	return tp.Shutdown, nil
}

// wanted reads whether tracing is configured.
func wanted() (bool, error) {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	switch exp := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	case "":
		return endpoint() != "", nil
	default:
		return false, fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%q: only otlp and none are supported", exp)
	}
}

func endpoint() string {
	if e := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); e != "" {
		return e
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
}

func protocol() string {
	if p := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" {
		return p
	}
	if p := os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" {
		return p
	}
	return "http/protobuf"
}

// exporter is the OTLP exporter of OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL; it
// reads its endpoint, headers, timeout, compression and TLS settings from
// the environment itself.
func exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch p := protocol(); p {
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	case "grpc":
		return otlptracegrpc.New(ctx)
	default:
		return nil, errors.New("OTEL_EXPORTER_OTLP_PROTOCOL=" + p + ": want http/protobuf or grpc")
	}
}

// Carrier returns the W3C trace context (traceparent, tracestate) of the
// span in ctx, to store with an event: empty when tracing is off or ctx has
// no valid span. A span that was not sampled is carried too, so the totals
// service follows the calculator's sampling decision.
func Carrier(ctx context.Context) (traceparent, tracestate string) {
	if !Enabled() || !trace.SpanContextFromContext(ctx).IsValid() {
		return "", ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"], c["tracestate"]
}

// Extract returns ctx with the remote span context of a W3C traceparent
// (and tracestate); an empty or invalid traceparent leaves ctx as it is.
func Extract(ctx context.Context, traceparent, tracestate string) context.Context {
	if traceparent == "" {
		return ctx
	}
	c := propagation.MapCarrier{"traceparent": traceparent}
	if tracestate != "" {
		c["tracestate"] = tracestate
	}
	return propagation.TraceContext{}.Extract(ctx, c)
}

// Start starts a span with the tracer of scope (the instrumented package)
// when tracing is on. Off, it returns ctx unchanged and a no-op span,
// without allocating: the Add path's spans cost nothing then.
func Start(ctx context.Context, scope, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !Enabled() {
		return ctx, noop.Span{}
	}
	// Looked up each time (the provider caches it): the provider installed
	// now, not the one when the package was loaded.
	return otel.GetTracerProvider().Tracer(scope).Start(ctx, name, opts...)
}
