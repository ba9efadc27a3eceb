package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/metrics/metricstest"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

func setup() (*ledger.Ledger, http.Handler) {
	l := ledger.New("t", true)
	r := mux.NewRouter()
	Routes(r, l, nil, Limits{})
	return l, r
}

func setupOps() (*ledger.Ledger, http.Handler) {
	l := ledger.New("t", true)
	r := mux.NewRouter()
	OpsRoutes(r, l)
	return l, r
}

func get(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func save(l *ledger.Ledger) {
	s, _ := l.Snapshot()
	l.Durable(s)
}

func TestTotalIsZeroBeforeAnyEvent(t *testing.T) {
	_, h := setup()
	rec := get(h, http.MethodGet, "/total")
	if rec.Code != http.StatusOK || rec.Body.String() != "0\n" || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %q %s", rec.Code, rec.Body, rec.Header())
	}
}

func TestTotalBeyondInt64(t *testing.T) {
	l, h := setup()
	for i := uint64(1); i <= 3; i++ {
		l.Apply(0, int64(i), sumevent.Event{ProducerID: "p", Sequence: i, Num1: 1 << 62, Sum: 1 << 62})
	}
	save(l)
	rec := get(h, http.MethodGet, "/total")
	if rec.Body.String() != "13835058055282163712\n" {
		t.Fatalf("total %q", rec.Body)
	}
	var n json.Number
	if err := json.Unmarshal(rec.Body.Bytes(), &n); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}

func TestWaitForToken(t *testing.T) {
	l, h := setup()
	l.Apply(0, 0, sumevent.Event{ProducerID: "calc-a", Sequence: 1, Num1: 15, Sum: 15})
	// Not saved yet: a short wait times out with 503.
	rec := get(h, http.MethodGet, "/total?after=calc-a:1&timeout=20ms")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not counted yet") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	go func() { time.Sleep(30 * time.Millisecond); save(l) }()
	rec = get(h, http.MethodGet, "/total?after=calc-a:1&timeout=5s")
	if rec.Code != http.StatusOK || rec.Body.String() != "15\n" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestErrors(t *testing.T) {
	_, h := setup()
	for _, c := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/total?after=nonsense", http.StatusBadRequest},
		{http.MethodGet, "/total?after=p:1&timeout=1h", http.StatusBadRequest},
		{http.MethodGet, "/total?after=p:1&timeout=soon", http.StatusBadRequest},
		{http.MethodPost, "/total", http.StatusMethodNotAllowed},
		{http.MethodGet, "/nope", http.StatusNotFound},
	} {
		rec := get(h, c.method, c.path)
		var body map[string]string
		if rec.Code != c.code || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body["error"] == "" {
			t.Errorf("%s %s: %d %q, want %d with a JSON error", c.method, c.path, rec.Code, rec.Body, c.code)
		}
	}
}

func TestStats(t *testing.T) {
	l, h := setupOps()
	l.Apply(1, 4, sumevent.Event{ProducerID: "p", Sequence: 1, Num1: 2, Sum: 2})
	l.Apply(1, 5, sumevent.Event{ProducerID: "p", Sequence: 1, Num1: 2, Sum: 2})
	save(l)
	var s struct {
		Total      json.Number       `json:"total"`
		Duplicates int               `json:"duplicates_skipped"`
		Producers  map[string]uint64 `json:"producers"`
		Offsets    map[string]int64  `json:"offsets"`
	}
	rec := get(h, http.MethodGet, "/stats")
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Total != "2" || s.Duplicates != 1 || s.Producers["p"] != 1 || s.Offsets["1"] != 6 {
		t.Fatalf("%+v", s)
	}
}

// /stats is operational: the public routes do not serve it, and the ops
// routes do not serve /total.
func TestStatsIsOnlyOnTheOpsRoutes(t *testing.T) {
	_, public := setup()
	if rec := get(public, http.MethodGet, "/stats"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Fatalf("public /stats: %d %q, want a JSON 404", rec.Code, rec.Body)
	}
	_, ops := setupOps()
	if rec := get(ops, http.MethodGet, "/total"); rec.Code != http.StatusNotFound {
		t.Fatalf("ops /total: %d, want 404", rec.Code)
	}
	if rec := get(ops, http.MethodPost, "/stats"); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("ops POST /stats: %d, want 405", rec.Code)
	}
}

func TestTotalIsRefusedWhileNotServing(t *testing.T) {
	l := ledger.New("t", true)
	l.Apply(0, 0, sumevent.Event{ProducerID: "p", Sequence: 1, Sum: 5})
	save(l)
	var reason error = errors.New("reading partitions [0 2] of 3: TOTALS_GROUP_ID shared with another replica?")
	r := mux.NewRouter()
	Routes(r, l, func() error { return reason }, Limits{})
	tok := sumevent.Token{ProducerID: "p", Sequence: 1}.String()
	for _, path := range []string{"/total", "/total?after=" + tok} {
		rec := get(r, http.MethodGet, path)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "TOTALS_GROUP_ID shared") || strings.Contains(rec.Body.String(), "5") {
			t.Fatalf("%s: %d %q", path, rec.Code, rec.Body)
		}
	}
	// Negative control: the same ledger is served once the replica may serve.
	reason = nil
	if rec := get(r, http.MethodGet, "/total"); rec.Code != http.StatusOK || rec.Body.String() != "5\n" {
		t.Fatalf("serving: %d %q", rec.Code, rec.Body)
	}
}

// Beyond MaxWaiters concurrent ?after= waits, the next is answered 429 with
// Retry-After and counted; plain GET /total is not capped, and a freed slot
// takes a waiter again.
func TestWaitersBeyondTheCapAreTooManyRequests(t *testing.T) {
	l := ledger.New("t", true)
	reg := prometheus.NewRegistry()
	r := mux.NewRouter()
	Routes(r, l, nil, Limits{MaxWaiters: 2, Registerer: reg})
	waiting := "/total?after=calc-a:1&timeout=5s"
	done := make(chan int, 2)
	for range 2 {
		go func() { done <- get(r, http.MethodGet, waiting).Code }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for value(t, reg, "totals_waiters") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two waiters never waited")
		}
		time.Sleep(5 * time.Millisecond)
	}
	rec := get(r, http.MethodGet, waiting)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third waiter: %d %q Retry-After %q, want 429 with Retry-After", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	if n := value(t, reg, "totals_waiters_rejected_total"); n != 1 {
		t.Fatalf("totals_waiters_rejected_total %v, want 1", n)
	}
	if rec := get(r, http.MethodGet, "/total"); rec.Code != http.StatusOK {
		t.Fatalf("GET /total while the waiters are full: %d", rec.Code)
	}
	// The waiters are answered when the event is counted, and the slots free.
	l.Apply(0, 0, sumevent.Event{ProducerID: "calc-a", Sequence: 1, Num1: 7, Sum: 7})
	save(l)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("waiter answered %d, want 200", code)
		}
	}
	if rec := get(r, http.MethodGet, "/total?after=calc-a:1&timeout=1s"); rec.Code != http.StatusOK || rec.Body.String() != "7\n" {
		t.Fatalf("waiter after slots freed: %d %q", rec.Code, rec.Body)
	}
}

// value is the value of the (single, unlabelled) metric name in reg.
func value(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return metricstest.Gathered(t, reg, name)
}
