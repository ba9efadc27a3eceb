// Package metrics holds what both services share for Prometheus: a registry
// with the Go and process collectors, the /metrics handler, RED metrics for
// REST routes (http_*) and for gRPC (the grpc_server_* names of
// go-grpc-middleware's Prometheus provider).
package metrics

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the registry in the Prometheus exposition format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true})
}

// LatencyBuckets suit calls from ~100µs to several seconds.
var LatencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// NewGRPCServerMetrics returns go-grpc-middleware's server metrics with the
// handling-time histogram, registered on reg.
func NewGRPCServerMetrics(reg prometheus.Registerer) *grpcprom.ServerMetrics {
	m := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(LatencyBuckets)))
	reg.MustRegister(m)
	return m
}

// HTTPMetrics records http_requests_total and http_request_duration_seconds
// labelled by route template (not raw path, which would explode cardinality)
// and by listener (a service may serve its public API and its ops endpoints
// on separate addresses), with promhttp's instrumentation for the method and
// status code.
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers the REST metrics on reg.
func NewHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	f := promauto.With(reg)
	return &HTTPMetrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by listener, route template, method and status code.",
		}, []string{"listener", "route", "method", "code"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by listener, route template and method.",
			Buckets: LatencyBuckets,
		}, []string{"listener", "route", "method"}),
	}
}

// Middleware instruments a gorilla/mux router serving listener (use with
// router.Use), by the template of the route that matched. mux calls it on
// every request, so the instrumented handler is made once per route and
// reused: a route always serves one handler.
func (m *HTTPMetrics) Middleware(listener string) mux.MiddlewareFunc {
	var routes sync.Map // *mux.Route -> its instrumented handler
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cr := mux.CurrentRoute(r)
			if cr == nil {
				m.instrument(listener, "unmatched", next).ServeHTTP(w, r)
				return
			}
			h, ok := routes.Load(cr)
			if !ok {
				route := "unmatched"
				if tpl, err := cr.GetPathTemplate(); err == nil {
					route = tpl
				}
				h, _ = routes.LoadOrStore(cr, m.instrument(listener, route, next))
			}
			h.(http.Handler).ServeHTTP(w, r)
		})
	}
}

// instrument wraps next with the route's metrics. The labels are those of
// promhttp's InstrumentHandlerCounter and InstrumentHandlerDuration (method
// lower-cased, "unknown" beyond the standard ones; code as a number), but
// each (method, code) pair's series are looked up once and kept: promhttp
// builds two label maps per request and hashes them, the largest cost of a
// GET /total after the router's.
func (m *HTTPMetrics) instrument(listener, route string, next http.Handler) http.Handler {
	return &routeMetrics{listener: listener, route: route, m: m, next: next}
}

type routeMetrics struct {
	listener string
	route    string
	m        *HTTPMetrics
	next     http.Handler
	mu       sync.Mutex                             // serialises additions to series
	series   atomic.Pointer[map[uint32]routeSeries] // copy on write: read without a lock
}

type routeSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func (h *routeMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h.next.ServeHTTP(sw, r)
	s := h.lookup(methodIndex(r.Method), sw.status)
	s.requests.Inc()
	s.duration.Observe(time.Since(start).Seconds())
}

func (h *routeMetrics) lookup(method, code int) routeSeries {
	if code == 0 {
		code = http.StatusOK
	}
	key := uint32(method)<<16 | uint32(code&0xffff)
	if p := h.series.Load(); p != nil {
		if s, ok := (*p)[key]; ok {
			return s
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.series.Load()
	if old != nil {
		if s, ok := (*old)[key]; ok {
			return s
		}
	}
	s := routeSeries{
		requests: h.m.requests.WithLabelValues(h.listener, h.route, methods[method], strconv.Itoa(code)),
		duration: h.m.duration.WithLabelValues(h.listener, h.route, methods[method]),
	}
	next := make(map[uint32]routeSeries, 1)
	if old != nil {
		maps.Copy(next, *old)
	}
	next[key] = s
	h.series.Store(&next)
	return s
}

// methods are the method label values (promhttp's); the last is any other.
var (
	methods      = [...]string{"get", "put", "head", "post", "delete", "connect", "options", "notify", "trace", "patch", "unknown"}
	methodsUpper = [...]string{"GET", "PUT", "HEAD", "POST", "DELETE", "CONNECT", "OPTIONS", "NOTIFY", "TRACE", "PATCH"}
)

// methodIndex is m's index in methods: upper or lower case, as promhttp.
func methodIndex(m string) int {
	for i, v := range methodsUpper {
		if m == v || m == methods[i] {
			return i
		}
	}
	return len(methods) - 1
}

// statusWriter records the status code a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets a handler stream through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
