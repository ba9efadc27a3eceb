package service

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/config"
)

func TestPProfIsOffByDefaultAndOnWithItsVariable(t *testing.T) {
	parse := func(args ...string) Ops {
		t.Helper()
		var o Ops
		s := config.New("svc")
		o.Flags(s, "SVC", ":0", "")
		if err := s.Parse(args); err != nil {
			t.Fatal(err)
		}
		return o
	}
	t.Setenv("SVC_PPROF", "false")
	if parse().PProf {
		t.Fatal("pprof on by default")
	}
	t.Setenv("SVC_PPROF", "true")
	if !parse().PProf {
		t.Fatal("SVC_PPROF=true left pprof off")
	}
	if parse("-pprof=false").PProf {
		t.Fatal("-pprof=false did not win over the variable")
	}
}

func TestPProfIsMountedOnlyWhenAskedAndTheRestStillServed(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/total" {
			w.Write([]byte("42"))
			return
		}
		http.NotFound(w, r)
	})
	get := func(o Ops, path string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		NewHTTPServer(o, app, prometheus.NewRegistry()).Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get(Ops{}, "/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("pprof off: /debug/pprof/ answered %d", code)
	}
	on := Ops{PProf: true}
	if code, body := get(on, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof on: /debug/pprof/ answered %d %.80q", code, body)
	}
	if code, body := get(on, "/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Fatalf("pprof on: heap answered %d %.80q", code, body)
	}
	if code, body := get(on, "/total"); code != http.StatusOK || body != "42" {
		t.Fatalf("pprof on: /total answered %d %q", code, body)
	}
	if code, _ := get(on, "/nope"); code != http.StatusNotFound {
		t.Fatalf("pprof on: unknown path answered %d", code)
	}
}
