// Package api serves the running total over REST (Routes, on the public
// address) and the ledger's counters to operators (OpsRoutes, on the ops
// address).
//
//	GET /total                       the durable total as a bare JSON integer (0 before any event)
//	GET /total?after=TOKEN&timeout=D wait up to D (default 2s, at most 30s) until the Add that
//	                                 returned TOKEN is counted; 503 if it is not counted in time;
//	                                 429 + Retry-After while Limits.MaxWaiters others wait
//	GET /stats (ops)                 total, counters, per-producer high-water marks, offsets
//
// While the replica may not serve a total (it reads only some partitions, or
// restores its state), /total answers 503 with the reason instead of a
// partial total.
//
// Errors are JSON objects {"error": "..."}; unknown paths are 404 and wrong
// methods 405.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// DefaultWait and MaxWait bound GET /total?after.
const (
	DefaultWait = 2 * time.Second
	MaxWait     = 30 * time.Second
)

// Limits bound the API: each ?after= wait holds a goroutine, a connection
// and a ledger waiter for up to MaxWait, so their number is capped.
type Limits struct {
	MaxWaiters int                   // 0: unbounded
	Registerer prometheus.Registerer // totals_waiters_rejected_total, totals_waiters; nil: not exported
}

// Routes registers the public REST API (GET /total) on r. serving returns
// why no total may be served (nil when it may); nil serving always serves.
func Routes(r *mux.Router, l *ledger.Ledger, serving func() error, lim Limits) {
	if serving == nil {
		serving = func() error { return nil }
	}
	w := &waiters{max: int64(lim.MaxWaiters), rejected: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "totals_waiters_rejected_total",
		Help: "GET /total?after= requests answered 429 because TOTALS_MAX_WAITERS others were waiting.",
	})}
	if lim.Registerer != nil {
		lim.Registerer.MustRegister(w.rejected, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "totals_waiters", Help: "GET /total?after= requests waiting for their event.",
		}, func() float64 { return float64(w.n.Load()) }))
	}
	r.HandleFunc("/total", total(l, serving, w)).Methods(http.MethodGet, http.MethodHead)
	jsonErrors(r)
}

// OpsRoutes registers GET /stats on r, the ops router: per-producer marks
// and offsets are for operators and the audit, not for public clients.
func OpsRoutes(r *mux.Router, l *ledger.Ledger) {
	r.HandleFunc("/stats", stats(l)).Methods(http.MethodGet)
	jsonErrors(r)
}

// jsonErrors answers unknown paths (404) and wrong methods (405) in JSON.
func jsonErrors(r *mux.Router) {
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, fmt.Sprintf("no route %s", r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
	})
}

// waiters counts the ?after= requests waiting.
type waiters struct {
	max      int64
	n        atomic.Int64
	rejected prometheus.Counter
}

func (w *waiters) enter() bool {
	if n := w.n.Add(1); w.max > 0 && n > w.max {
		w.n.Add(-1)
		w.rejected.Inc()
		return false
	}
	return true
}

func (w *waiters) leave() { w.n.Add(-1) }

func total(l *ledger.Ledger, serving func() error, waiting *waiters) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var q url.Values // the plain GET /total, the hot path, has no query to parse
		if r.URL.RawQuery != "" {
			q = r.URL.Query()
		}
		after := q.Get("after")
		if after == "" {
			if !refuse(w, serving) {
				writeTotal(w, l.View())
			}
			return
		}
		tok, err := sumevent.ParseToken(after)
		if err != nil {
			WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		wait := DefaultWait
		if s := q.Get("timeout"); s != "" {
			if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > MaxWait {
				WriteError(w, http.StatusBadRequest, fmt.Sprintf("timeout %q must be a duration from 0s to %s", s, MaxWait))
				return
			}
		}
		if refuse(w, serving) {
			return
		}
		if !waiting.enter() {
			w.Header().Set("Retry-After", "1")
			WriteError(w, http.StatusTooManyRequests, "too many requests waiting for their event; retry later or without ?after=")
			return
		}
		defer waiting.leave()
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		v, err := l.WaitCounted(ctx, tok)
		if errors.Is(err, context.DeadlineExceeded) {
			w.Header().Set("Retry-After", "1")
			WriteError(w, http.StatusServiceUnavailable, fmt.Sprintf("event %s is not counted yet", tok))
			return
		}
		if err != nil {
			return // the client went away
		}
		if !refuse(w, serving) {
			writeTotal(w, v)
		}
	}
}

// refuse answers 503 with the reason when no total may be served.
func refuse(w http.ResponseWriter, serving func() error) bool {
	err := serving()
	if err == nil {
		return false
	}
	w.Header().Set("Retry-After", "1")
	WriteError(w, http.StatusServiceUnavailable, "no total served: "+err.Error())
	return true
}

// Shared header values: canonical keys set directly, without a per-request
// allocation (net/http does not modify them).
var (
	jsonType = []string{"application/json"}
	noStore  = []string{"no-store"}
)

func writeTotal(w http.ResponseWriter, v *ledger.View) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Cache-Control"] = noStore
	w.Write(v.TotalJSON()) //nolint:errcheck // best effort to a client
}

func stats(l *ledger.Ledger) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		v := l.View()
		offsets := map[string]int64{}
		for p, o := range v.Offsets {
			offsets[strconv.Itoa(int(p))] = o
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"total":              json.Number(v.Total.String()),
			"applied":            v.Stats.Applied,
			"duplicates_skipped": v.Stats.Duplicates,
			"malformed":          v.Stats.Malformed,
			"sequence_gaps":      v.Stats.Gaps,
			"held":               v.Held,
			"producers":          v.Producers,
			"offsets":            offsets,
		})
	}
}

// WriteError writes {"error": msg} with code.
func WriteError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // best effort to a client
}
