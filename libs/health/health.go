// Package health serves liveness (/healthz: the process answers) and
// readiness (/readyz: every dependency check passes) as JSON.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Check returns nil when its dependency is usable.
type Check func(ctx context.Context) error

// Checks are a service's readiness checks by name.
type Checks map[string]Check

// Checker runs named readiness checks.
type Checker struct {
	mu      sync.RWMutex
	checks  map[string]Check
	timeout time.Duration
}

// New returns a checker whose checks each get timeout.
func New(timeout time.Duration) *Checker {
	return &Checker{checks: map[string]Check{}, timeout: timeout}
}

// Add registers a readiness check.
func (c *Checker) Add(name string, check Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks[name] = check
}

// Ready runs every check and returns the failures by name.
func (c *Checker) Ready(ctx context.Context) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	failed := map[string]string{}
	for name, check := range c.checks {
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		if err := check(cctx); err != nil {
			failed[name] = err.Error()
		}
		cancel()
	}
	return failed
}

// Live answers 200 while the process serves HTTP.
func Live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// ReadyHandler answers 200 when every check passes, else 503 with reasons.
func (c *Checker) ReadyHandler(w http.ResponseWriter, r *http.Request) {
	failed := c.Ready(r.Context())
	if len(failed) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
		return
	}
	names := make([]string, 0, len(failed))
	for n := range failed {
		names = append(names, n)
	}
	sort.Strings(names)
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "failing": names, "errors": failed})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // best effort to a client
}
