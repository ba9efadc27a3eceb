package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	grpchealth "google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestReadiness(t *testing.T) {
	c := New(time.Second)
	var down error
	c.Add("kafka", func(context.Context) error { return down })
	rec := httptest.NewRecorder()
	c.ReadyHandler(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("ready: %d", rec.Code)
	}
	down = errors.New("broker unreachable")
	rec = httptest.NewRecorder()
	c.ReadyHandler(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "broker unreachable") {
		t.Fatalf("not ready: %d %s", rec.Code, rec.Body)
	}
}

func TestPolled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fail atomic.Bool
	p := Poll(ctx, 10*time.Millisecond, func(context.Context) error {
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	})
	waitFor := func(want bool) {
		deadline := time.Now().Add(2 * time.Second)
		for (p.Check(ctx) == nil) != want {
			if time.Now().After(deadline) {
				t.Fatalf("poll never reported ok=%v", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(true)
	fail.Store(true)
	waitFor(false)
}

// The gRPC health status follows the same checks as /readyz.
func TestSyncGRPCFollowsReadiness(t *testing.T) {
	c := New(time.Second)
	var down atomic.Bool
	c.Add("outbox", func(context.Context) error {
		if down.Load() {
			return errors.New("disk full")
		}
		return nil
	})
	hs := grpchealth.NewServer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.SyncGRPC(ctx, hs, 5*time.Millisecond, "CalculatorService")
	waitFor := func(want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			r, err := hs.Check(ctx, &healthpb.HealthCheckRequest{Service: "CalculatorService"})
			if err == nil && r.Status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("gRPC health never became %v (last %v, %v)", want, r, err)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	waitFor(healthpb.HealthCheckResponse_SERVING)
	down.Store(true)
	waitFor(healthpb.HealthCheckResponse_NOT_SERVING)
	down.Store(false)
	waitFor(healthpb.HealthCheckResponse_SERVING)
}

// A reported check shows in /readyz and in the metric but does not decide
// readiness; a gating one does.
func TestReportedChecksDoNotGateReadiness(t *testing.T) {
	c := New(time.Second)
	var outboxDown atomic.Bool
	c.Add("outbox", func(context.Context) error {
		if outboxDown.Load() {
			return errors.New("disk full")
		}
		return nil
	})
	c.AddReported("kafka", func(context.Context) error { return errors.New("broker unreachable") })
	reg := prometheus.NewRegistry()
	c.Register(reg)

	rec := httptest.NewRecorder()
	c.ReadyHandler(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"degraded":{"kafka":"broker unreachable"}`) {
		t.Fatalf("with Kafka away: %d %s", rec.Code, rec.Body)
	}
	want := `
# HELP readiness_check_up 1 while the named dependency check passes, 0 when it fails; gates="true" checks decide /readyz.
# TYPE readiness_check_up gauge
readiness_check_up{check="kafka",gates="false"} 0
readiness_check_up{check="outbox",gates="true"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "readiness_check_up"); err != nil {
		t.Fatal(err)
	}
	outboxDown.Store(true)
	rec = httptest.NewRecorder()
	c.ReadyHandler(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "disk full") {
		t.Fatalf("with the outbox failing: %d %s", rec.Code, rec.Body)
	}
}
