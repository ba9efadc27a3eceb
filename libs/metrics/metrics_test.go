package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHTTPMetricsLabelByRouteTemplate(t *testing.T) {
	reg := NewRegistry()
	m := NewHTTPMetrics(reg)
	r := mux.NewRouter()
	r.Use(m.Middleware("public"))
	r.HandleFunc("/items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, p := range []string{"/items/1", "/items/2"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("public", "/items/{id}", "get", "418")); got != 2 {
		t.Fatalf("http_requests_total{listener=public,route=/items/{id}} = %v, want 2", got)
	}
	// A second router (another listener) on the same metrics counts apart.
	ops := mux.NewRouter()
	ops.Use(m.Middleware("ops"))
	ops.HandleFunc("/items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	ops.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/items/3", nil))
	if got := testutil.ToFloat64(m.requests.WithLabelValues("ops", "/items/{id}", "get", "418")); got != 1 {
		t.Fatalf("http_requests_total{listener=ops,route=/items/{id}} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("public", "/items/{id}", "get", "418")); got != 2 {
		t.Fatalf("http_requests_total{listener=public} = %v after an ops request, want 2", got)
	}
	rec := httptest.NewRecorder()
	Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{"http_request_duration_seconds_bucket", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The labels are promhttp's: a handler that only writes answered 200, the
// method lower-cased, a non-standard one "unknown".
func TestHTTPMetricsCodeAndMethodLabels(t *testing.T) {
	m := NewHTTPMetrics(NewRegistry())
	r := mux.NewRouter()
	r.Use(m.Middleware("public"))
	r.HandleFunc("/total", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("1\n")) })
	r.HandleFunc("/busy", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.WriteHeader(http.StatusOK) // superfluous: the first code counts
	})
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/total", nil), httptest.NewRequest(http.MethodHead, "/total", nil),
		httptest.NewRequest("PURGE", "/total", nil), httptest.NewRequest(http.MethodGet, "/busy", nil),
		httptest.NewRequest(http.MethodGet, "/busy", nil),
	} {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	for _, c := range []struct {
		route, method, code string
		want                float64
	}{
		{"/total", "get", "200", 1}, {"/total", "head", "200", 1}, {"/total", "unknown", "200", 1}, {"/busy", "get", "503", 2},
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues("public", c.route, c.method, c.code)); got != c.want {
			t.Errorf("http_requests_total{route=%s,method=%s,code=%s} = %v, want %v", c.route, c.method, c.code, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.requests); n != 4 {
		t.Errorf("http_requests_total has %d series, want 4", n)
	}
	if n := testutil.CollectAndCount(m.duration); n != 4 {
		t.Errorf("http_request_duration_seconds has %d series, want 4", n)
	}
}

// BenchmarkMiddleware measures the instrumentation on a request's path
// (GET /total goes through it). Run: go test -run=NONE -bench=Middleware ./libs/metrics
func BenchmarkMiddleware(b *testing.B) {
	r := mux.NewRouter()
	r.Use(NewHTTPMetrics(NewRegistry()).Middleware("public"))
	r.HandleFunc("/total", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	req := httptest.NewRequest(http.MethodGet, "/total", nil)
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
}
