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
