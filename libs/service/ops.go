package service

import (
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/google/wire"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/metrics"
)

// OpsSet provides the ops surface of a service: the metrics registry (also
// as a prometheus.Registerer), the readiness checker built from the
// service's health.Checks, the http_* metrics, the router serving /metrics,
// /healthz and /readyz, and the HTTP server on the ops address (serving the
// service's http.Handler: the ops router, or a router built on it).
var OpsSet = wire.NewSet(
	metrics.NewRegistry,
	wire.Bind(new(prometheus.Registerer), new(*prometheus.Registry)),
	NewChecker,
	metrics.NewHTTPMetrics,
	NewOpsRouter,
	NewHTTPServer,
)

// Listener names, the listener label of the http_* metrics.
const (
	OpsListener    = "ops"
	PublicListener = "public"
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
// routes (those added later too) are counted in http_requests_total
// {listener="ops"}.
func NewOpsRouter(reg *prometheus.Registry, checker *health.Checker, m *metrics.HTTPMetrics) *mux.Router {
	r := mux.NewRouter()
	r.Use(m.Middleware(OpsListener))
	r.Handle("/metrics", metrics.Handler(reg)).Methods(http.MethodGet)
	HealthRoutes(r, checker)
	return r
}

// HealthRoutes adds /healthz (liveness) and /readyz (checker's readiness)
// to r: on the ops router, and on a public router too, since load
// balancers probe the port they send traffic to.
func HealthRoutes(r *mux.Router, checker *health.Checker) {
	r.HandleFunc("/healthz", health.Live).Methods(http.MethodGet)
	r.HandleFunc("/readyz", checker.ReadyHandler).Methods(http.MethodGet)
}

// NewHTTPServer is the service's HTTP server on the ops address
// (o.OpsListenAddr), with /debug/pprof/ in front of h when o.PProf is set,
// bounded by o.HTTP (see newServer).
func NewHTTPServer(o Ops, h http.Handler, reg prometheus.Registerer) *http.Server {
	if o.PProf {
		h = withPProf(h)
	}
	return newServer(o, o.OpsListenAddr(), OpsListener, h, reg)
}

// PublicServer is the HTTP server of a service's public API on o.HTTPAddr,
// when its ops endpoints have their own address (o.OpsAddr).
type PublicServer struct{ *http.Server }

// NewPublicServer serves h on o.HTTPAddr with the same bounds as the ops
// server but its own connection count, so a flood of public clients cannot
// take the connections scrapers and probes need on the ops address.
func NewPublicServer(o Ops, h http.Handler, reg prometheus.Registerer) PublicServer {
	return PublicServer{newServer(o, o.HTTPAddr, PublicListener, h, reg)}
}

// newServer bounds a server by o.HTTP: timeouts, header size, and open
// connections (beyond the bound a new connection is closed and counted in
// http_connections_refused_total{listener}). The default bound is shared by
// the service's listeners, so together they stay below half the
// file-descriptor limit.
func newServer(o Ops, addr, listener string, h http.Handler, reg prometheus.Registerer) *http.Server {
	lim := newConnLimit(o.maxConns(), reg, "http", prometheus.Labels{"listener": listener})
	return &http.Server{
		Addr: addr, Handler: h,
		ReadHeaderTimeout: o.HTTP.ReadHeaderTimeout,
		ReadTimeout:       o.HTTP.ReadTimeout,
		WriteTimeout:      o.HTTP.WriteTimeout,
		IdleTimeout:       o.HTTP.IdleTimeout,
		MaxHeaderBytes:    o.HTTP.MaxHeaderBytes,
		ConnState:         lim.connState,
	}
}

// withPProf serves net/http/pprof's handlers under /debug/pprof/ and
// everything else with h. The profiles stay out of the http_* metrics: a
// 30 s CPU profile would only skew the latency histogram.
func withPProf(h http.Handler) http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.Handle("/", h)
	return m
}
