package metricstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "adds_total"})
	c.Add(3)
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "lag"}, []string{"partition"})
	g.WithLabelValues("0").Set(5)
	g.WithLabelValues("1").Set(7)
	reg.MustRegister(c, g)
	return reg
}

func TestFindReadsCountersGaugesAndLabelledSeries(t *testing.T) {
	families, err := registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
		ok     bool
	}{
		{"adds_total", nil, 3, true},
		{"lag", []string{"partition", "1"}, 7, true},
		{"lag", []string{"partition", "0"}, 5, true},
		{"lag", []string{"partition", "2"}, 0, false},
		{"absent", nil, 0, false},
	} {
		if v, ok := Find(families, c.name, c.labels...); v != c.want || ok != c.ok {
			t.Errorf("Find(%s %v) = %v, %v; want %v, %v", c.name, c.labels, v, ok, c.want, c.ok)
		}
	}
	if v := Gathered(t, registry(), "lag", "partition", "1"); v != 7 {
		t.Errorf("Gathered lag{partition=1} = %v, want 7", v)
	}
}

func TestScrapeReadsTheEndpointAndRefusesFailures(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry(), promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if v, err := Scrape(ctx, srv.URL+"/metrics", "lag", "partition", "0"); err != nil || v != 5 {
		t.Fatalf("Scrape lag{partition=0} = %v, %v; want 5", v, err)
	}
	if _, err := Scrape(ctx, srv.URL+"/metrics", "absent"); err == nil {
		t.Fatal("a missing metric read without an error")
	}
	if _, err := Scrape(ctx, srv.URL+"/elsewhere", "adds_total"); err == nil {
		t.Fatal("a 404 read without an error")
	}
}
