package service

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/distsum/distsum/libs/config"
)

func TestOpsAddrMustDifferFromTheHTTPAddr(t *testing.T) {
	load := func(args ...string) (Ops, error) {
		t.Helper()
		var o Ops
		s := config.New("svc")
		o.Flags(s, "SVC", ":8080", "")
		o.OpsAddrFlag(s, "SVC", ":8083", "")
		if err := s.Parse(args); err != nil {
			t.Fatal(err)
		}
		return o, o.Validate()
	}
	if o, err := load(); err != nil || o.OpsListenAddr() != ":8083" || o.HTTPAddr != ":8080" {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	for _, same := range [][]string{
		{"-ops-addr", ":8080"},
		{"-ops-addr", "127.0.0.1:8080"},
		{"-http-addr", "127.0.0.1:9000", "-ops-addr", "0.0.0.0:9000"},
		{"-http-addr", "[::1]:9000", "-ops-addr", "[::]:9000"},
	} {
		if _, err := load(same...); err == nil || !strings.Contains(err.Error(), "same port") {
			t.Errorf("%v: %v, want a same-port error", same, err)
		}
	}
	// Negative controls: different ports, different hosts, and port 0
	// (a free port each) are accepted.
	for _, ok := range [][]string{
		{"-ops-addr", ":8084"},
		{"-http-addr", "127.0.0.1:9000", "-ops-addr", "127.0.0.2:9000"},
		{"-http-addr", "127.0.0.1:0", "-ops-addr", "127.0.0.1:0"},
	} {
		if _, err := load(ok...); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	t.Setenv("SVC_OPS_ADDR", ":8080")
	if _, err := load(); err == nil {
		t.Error("SVC_OPS_ADDR equal to the HTTP address accepted")
	}
}

// Without an ops address, the ops server is on HTTPAddr (the calculator).
func TestOpsServerIsOnTheHTTPAddrWithoutAnOpsAddr(t *testing.T) {
	if a := NewHTTPServer(Ops{HTTPAddr: ":8081"}, http.NotFoundHandler(), prometheus.NewRegistry()).Addr; a != ":8081" {
		t.Fatalf("ops server on %q, want :8081", a)
	}
	reg := prometheus.NewRegistry()
	o := Ops{HTTPAddr: ":8080", OpsAddr: ":8083"}
	if a := NewHTTPServer(o, http.NotFoundHandler(), reg).Addr; a != ":8083" {
		t.Fatalf("ops server on %q, want :8083", a)
	}
	if a := NewPublicServer(o, http.NotFoundHandler(), reg).Addr; a != ":8080" {
		t.Fatalf("public server on %q, want :8080", a)
	}
}

// The public and the ops servers count their connections apart: public
// clients holding every public connection leave the ops server answering,
// and the refusals are counted on the public listener only.
func TestAFloodOnThePublicListenerLeavesTheOpsListenerServing(t *testing.T) {
	reg := prometheus.NewRegistry()
	o := limitedOps(3)
	o.OpsAddr, o.PProf = "127.0.0.1:0", true
	o.HTTP.ReadHeaderTimeout = 10 * time.Second // the flood stays open
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	public := listen(t, NewPublicServer(o, h, reg).Server)
	ops := listen(t, NewHTTPServer(o, h, reg))
	for range 10 {
		c, err := net.Dial("tcp", public)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for labelled(t, reg, "http_connections_refused_total", PublicListener) < 7 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := labelled(t, reg, "http_connections_refused_total", PublicListener); n != 7 {
		t.Fatalf("public refusals %v, want 7 (10 connections, bound 3)", n)
	}
	if body := get(t, ops); body != "ok" {
		t.Fatalf("ops server during the public flood: %q", body)
	}
	if n := labelled(t, reg, "http_connections_refused_total", OpsListener); n != 0 {
		t.Fatalf("ops refusals %v, want 0", n)
	}
	// pprof is an ops route only.
	resp, err := http.Get("http://" + ops + "/debug/pprof/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("ops pprof: %v %v", resp, err)
	}
	resp.Body.Close()
	// Negative control: the public bound is real — a new public connection
	// is closed on arrival.
	if !refusedOnArrival(t, public) {
		t.Fatal("an 11th public connection over a bound of 3 was kept open")
	}
}

func TestPublicServerHasNoPProf(t *testing.T) {
	rec := httptest.NewRecorder()
	NewPublicServer(Ops{PProf: true, OpsAddr: ":8083"}, http.NotFoundHandler(), prometheus.NewRegistry()).Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("public /debug/pprof/ answered %d, want 404", rec.Code)
	}
}

// The default connection bound is shared by the listeners, so together they
// stay below half the descriptor limit; a set bound is each listener's.
func TestTheDefaultBoundIsSplitBetweenTheListeners(t *testing.T) {
	if one, two := (Ops{}).maxConns(), (Ops{OpsAddr: ":8083"}).maxConns(); one != DefaultMaxConns() || two > one/2 || two < 1 {
		t.Fatalf("bound %d alone, %d per listener with an ops address (default %d)", one, two, DefaultMaxConns())
	}
	if n := (Ops{OpsAddr: ":8083", HTTP: HTTPLimits{MaxConns: 10}}).maxConns(); n != 10 {
		t.Fatalf("a set bound of 10 became %d", n)
	}
}

// listen serves srv on a loopback port and returns its address.
func listen(t *testing.T, srv *http.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Close() })
	return lis.Addr().String()
}

// labelled reads name{listener} from reg.
func labelled(t *testing.T, reg *prometheus.Registry, name, listener string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabel(m, "listener", listener) {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no metric %s{listener=%q}", name, listener)
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
