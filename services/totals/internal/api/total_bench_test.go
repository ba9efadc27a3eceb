package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the handler chain, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkGetTotal serves GET /total through the service's chain: the
// router with the http_* metrics middleware, then the handler, with a total
// wider than int64.
func BenchmarkGetTotal(b *testing.B) {
	l := ledger.New("t", true)
	for i := range 1000 {
		l.Apply(0, int64(i), sumevent.Event{ProducerID: "p", Sequence: uint64(i + 1), Num1: 1 << 62, Sum: 1 << 62})
	}
	s, _ := l.Snapshot()
	l.Durable(s)
	r := mux.NewRouter()
	r.Use(metrics.NewHTTPMetrics(prometheus.NewRegistry()).Middleware("public"))
	Routes(r, l, nil, Limits{})
	req := httptest.NewRequest(http.MethodGet, "/total", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discard{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			r.ServeHTTP(w, req)
		}
	})
}
