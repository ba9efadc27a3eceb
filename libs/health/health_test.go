package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
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
