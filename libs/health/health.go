// Package health serves liveness (/healthz: the process answers) and
// readiness (/readyz: every gating check passes) as JSON, and exports each
// check's state as readiness_check_up{check}.
//
// A gating check decides readiness: "can this instance do its job". A
// reported check is a dependency whose loss degrades the service without
// stopping it (the calculator keeps accepting Adds into its outbox while
// Kafka is away): /readyz shows it under "degraded" and the metric shows it,
// but it does not take the instance out of its load balancer.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Check returns nil when its dependency is usable.
type Check func(ctx context.Context) error

// Checks are a service's checks by name: Gate decides readiness, Report is
// shown (in /readyz and the metric) without deciding it.
type Checks struct {
	Gate   map[string]Check
	Report map[string]Check
}

// Checker runs named checks.
type Checker struct {
	mu       sync.RWMutex
	checks   map[string]Check
	reported map[string]Check
	timeout  time.Duration
}

// New returns a checker whose checks each get timeout.
func New(timeout time.Duration) *Checker {
	return &Checker{checks: map[string]Check{}, reported: map[string]Check{}, timeout: timeout}
}

// Add registers a gating readiness check.
func (c *Checker) Add(name string, check Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks[name] = check
}

// AddReported registers a check that is reported but does not gate readiness.
func (c *Checker) AddReported(name string, check Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reported[name] = check
}

// Ready runs every gating check and returns the failures by name.
func (c *Checker) Ready(ctx context.Context) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.run(ctx, c.checks)
}

// Degraded runs every reported check and returns the failures by name.
func (c *Checker) Degraded(ctx context.Context) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.run(ctx, c.reported)
}

func (c *Checker) run(ctx context.Context, checks map[string]Check) map[string]string {
	failed := map[string]string{}
	for name, check := range checks {
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		if err := check(cctx); err != nil {
			failed[name] = err.Error()
		}
		cancel()
	}
	return failed
}

// Register exports readiness_check_up{check, gates} on reg: 1 while the
// check passes, read at scrape time.
func (c *Checker) Register(reg prometheus.Registerer) {
	reg.MustRegister(checkCollector{c, prometheus.NewDesc("readiness_check_up",
		"1 while the named dependency check passes, 0 when it fails; gates=\"true\" checks decide /readyz.",
		[]string{"check", "gates"}, nil)})
}

type checkCollector struct {
	c    *Checker
	desc *prometheus.Desc
}

func (k checkCollector) Describe(ch chan<- *prometheus.Desc) { ch <- k.desc }

func (k checkCollector) Collect(ch chan<- prometheus.Metric) {
	ctx := context.Background()
	k.c.mu.RLock()
	gating, reported := k.c.checks, k.c.reported
	k.c.mu.RUnlock()
	for gates, checks := range map[string]map[string]Check{"true": gating, "false": reported} {
		failed := k.c.run(ctx, checks)
		for name := range checks {
			up := 1.0
			if _, bad := failed[name]; bad {
				up = 0
			}
			ch <- prometheus.MustNewConstMetric(k.desc, prometheus.GaugeValue, up, name, gates)
		}
	}
}

// Live answers 200 while the process serves HTTP.
func Live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// ReadyHandler answers 200 when every gating check passes, else 503 with
// reasons; failing reported checks are listed under "degraded" either way.
func (c *Checker) ReadyHandler(w http.ResponseWriter, r *http.Request) {
	failed := c.Ready(r.Context())
	body := map[string]any{"status": "ready"}
	if degraded := c.Degraded(r.Context()); len(degraded) > 0 {
		body["degraded"] = degraded
	}
	if len(failed) == 0 {
		writeJSON(w, http.StatusOK, body)
		return
	}
	names := make([]string, 0, len(failed))
	for n := range failed {
		names = append(names, n)
	}
	sort.Strings(names)
	body["status"], body["failing"], body["errors"] = "not ready", names, failed
	writeJSON(w, http.StatusServiceUnavailable, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // best effort to a client
}
