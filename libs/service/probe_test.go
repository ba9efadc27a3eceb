package service

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestProbeExitStatus(t *testing.T) {
	var status atomic.Int32 // the /slow handler of one case may still run during the next
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-time.After(2 * ProbeTimeout):
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name   string
		status int
		args   []string
		want   int
		errHas string
	}{
		{"2xx is healthy", http.StatusOK, []string{srv.URL + "/readyz"}, 0, ""},
		{"204 is healthy", http.StatusNoContent, []string{srv.URL + "/readyz"}, 0, ""},
		{"503 is not", http.StatusServiceUnavailable, []string{srv.URL + "/readyz"}, 1, "503"},
		{"404 is not", http.StatusNotFound, []string{srv.URL + "/nope"}, 1, "404"},
		{"refused connection is not", http.StatusOK, []string{closed.URL + "/readyz"}, 1, "refused"},
		{"no answer within the timeout is not", http.StatusOK, []string{srv.URL + "/slow"}, 1, "deadline"},
		{"bad URL is not", http.StatusOK, []string{"::nope"}, 1, "missing protocol scheme"},
		{"no URL is a usage error", http.StatusOK, nil, 2, "usage"},
		{"two URLs are a usage error", http.StatusOK, []string{srv.URL, srv.URL}, 2, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status.Store(int32(tc.status))
			var stderr strings.Builder
			start := time.Now()
			got := runProbe("svc", tc.args, &stderr)
			if got != tc.want {
				t.Fatalf("exit %d, want %d (stderr %q)", got, tc.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.errHas) {
				t.Fatalf("stderr %q does not mention %q", stderr.String(), tc.errHas)
			}
			if d := time.Since(start); d > ProbeTimeout+time.Second {
				t.Fatalf("probe took %v, the bound is %v", d, ProbeTimeout)
			}
		})
	}
}

func TestProbeHonoursCallerContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Probe(ctx, srv.URL); err == nil {
		t.Fatal("a cancelled probe reported healthy")
	}
}
