package service

import (
	"net/http"
	"time"

	"github.com/google/wire"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/metrics"
)

// OpsSet provides the ops surface of a service: the metrics registry (also
// as a prometheus.Registerer), the readiness checker built from the
// service's health.Checks, and the router serving /metrics, /healthz and
// /readyz with the http_* metrics, and the HTTP server on the ops address
// (serving the service's http.Handler: the ops router, or a router built on
// it).
var OpsSet = wire.NewSet(
	metrics.NewRegistry,
	wire.Bind(new(prometheus.Registerer), new(*prometheus.Registry)),
	NewChecker,
	NewOpsRouter,
	NewHTTPServer,
)

// NewChecker returns the checker over a service's checks (each gets 2 s),
// with their states exported as readiness_check_up.
func NewChecker(checks health.Checks, reg prometheus.Registerer) *health.Checker {
	c := health.New(2 * time.Second)
	for name, check := range checks.Gate {
		c.Add(name, check)
	}
	for name, check := range checks.Report {
		c.AddReported(name, check)
	}
	c.Register(reg)
	return c
}

// NewOpsRouter returns a router with /metrics, /healthz and /readyz, whose
// routes (those added later too) are counted in http_requests_total.
func NewOpsRouter(reg *prometheus.Registry, checker *health.Checker) *mux.Router {
	r := mux.NewRouter()
	r.Use(metrics.NewHTTPMetrics(reg).Middleware)
	r.Handle("/metrics", metrics.Handler(reg)).Methods(http.MethodGet)
	r.HandleFunc("/healthz", health.Live).Methods(http.MethodGet)
	r.HandleFunc("/readyz", checker.ReadyHandler).Methods(http.MethodGet)
	return r
}

// NewHTTPServer is the service's HTTP server on the ops address.
func NewHTTPServer(o Ops, h http.Handler) *http.Server {
	return &http.Server{Addr: o.HTTPAddr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
}
