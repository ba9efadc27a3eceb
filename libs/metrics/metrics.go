// Package metrics holds what both services share for Prometheus: a registry
// with the Go and process collectors, the /metrics handler, RED metrics for
// REST routes (http_*) and for gRPC (the grpc_server_* names of
// go-grpc-middleware's Prometheus provider).
package metrics

import (
	"net/http"
	"sync"

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
// every request, so the instrumented handler (promhttp checks its metrics'
// labels when it wraps) is made once per route and reused: a route always
// serves one handler.
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

// instrument wraps next with the metrics curried with the listener and
// route labels.
func (m *HTTPMetrics) instrument(listener, route string, next http.Handler) http.Handler {
	l := prometheus.Labels{"listener": listener, "route": route}
	return promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(l),
		promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(l), next))
}
