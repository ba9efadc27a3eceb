package totalsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fake answers like the totals service: /total, /total?after (counted once counted is set),
// /stats, JSON errors.
func fake(t *testing.T, counted *atomic.Bool, down *atomic.Int32) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down != nil && down.Add(-1) >= 0 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		switch r.URL.Path {
		case "/total":
			after := r.URL.Query().Get("after")
			switch {
			case after == "":
			case after == "bad":
				http.Error(w, `{"error":"token \"bad\": want PRODUCER:SEQUENCE"}`, http.StatusBadRequest)
				return
			case r.URL.Query().Get("timeout") == "":
				http.Error(w, `{"error":"no timeout"}`, http.StatusBadRequest)
				return
			case !counted.Load():
				w.Header().Set("Retry-After", "1")
				http.Error(w, fmt.Sprintf(`{"error":"event %s is not counted yet"}`, after), http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "123456789012345678901234567890")
		case "/stats":
			fmt.Fprintln(w, `{"total":-5,"applied":3,"duplicates_skipped":1,"malformed":0,"sequence_gaps":2,"held":0,"producers":{"p1":3},"offsets":{"0":4}}`)
		default:
			http.Error(w, `{"error":"no route `+r.URL.Path+`"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestTotal(t *testing.T) {
	var counted atomic.Bool
	c := New(fake(t, &counted, nil).URL+"/", nil)
	n, err := c.Total(context.Background())
	if err != nil || n.String() != "123456789012345678901234567890" {
		t.Fatalf("Total = %v, %v", n, err)
	}
}

func TestWaitCountedNotCountedIsTyped(t *testing.T) {
	var counted atomic.Bool
	c := New(fake(t, &counted, nil).URL, nil)
	_, err := c.WaitCounted(context.Background(), "p1:7", time.Second)
	if !errors.Is(err, ErrNotCounted) {
		t.Fatalf("err = %v, want ErrNotCounted", err)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || se.Message != "event p1:7 is not counted yet" {
		t.Fatalf("err = %#v, want a 503 StatusError with the service's message", err)
	}
	counted.Store(true)
	if n, err := c.WaitCounted(context.Background(), "p1:7", time.Second); err != nil || n.Sign() <= 0 {
		t.Fatalf("WaitCounted after counting = %v, %v", n, err)
	}
}

func TestErrorsCarryStatusAndMessage(t *testing.T) {
	var counted atomic.Bool
	c := New(fake(t, &counted, nil).URL, nil)
	_, err := c.WaitCounted(context.Background(), "bad", time.Second)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest || se.Message != `token "bad": want PRODUCER:SEQUENCE` {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, ErrNotCounted) {
		t.Fatal("a 400 is not 'not counted yet'")
	}
}

func TestAwaitCountedRetriesUntilCounted(t *testing.T) {
	var counted atomic.Bool
	var down atomic.Int32
	down.Store(2) // the service answers 502 twice (restarting), then 503 until counted
	c := New(fake(t, &counted, &down).URL, nil)
	time.AfterFunc(300*time.Millisecond, func() { counted.Store(true) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := c.AwaitCounted(ctx, "p1:1"); err != nil || n == nil {
		t.Fatalf("AwaitCounted = %v, %v", n, err)
	}
}

func TestAwaitCountedStopsOnABadToken(t *testing.T) {
	var counted atomic.Bool
	c := New(fake(t, &counted, nil).URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.AwaitCounted(ctx, "bad")
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want the 400", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("a 400 was retried")
	}
}

func TestAwaitCountedEndsWithTheContext(t *testing.T) {
	var counted atomic.Bool
	c := New(fake(t, &counted, nil).URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.AwaitCounted(ctx, "p1:1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestStats(t *testing.T) {
	var counted atomic.Bool
	ops := fake(t, &counted, nil).URL
	// /stats is read from the ops address, not the public one.
	c := New("http://127.0.0.1:1", nil).WithOps(ops + "/")
	if _, err := New(ops, nil).Stats(context.Background()); err == nil || !strings.Contains(err.Error(), "ops address") {
		t.Fatalf("Stats without an ops address: %v", err)
	}
	s, err := c.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Total.Int64() != -5 || s.Applied != 3 || s.Duplicates != 1 || s.Gaps != 2 || s.Producers["p1"] != 3 || s.Offsets["0"] != 4 {
		t.Fatalf("Stats = %+v", s)
	}
}

func TestNotFound(t *testing.T) {
	var counted atomic.Bool
	c := New(fake(t, &counted, nil).URL+"/nowhere", nil)
	_, err := c.Total(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound || se.Message != "no route /nowhere/total" {
		t.Fatalf("err = %v", err)
	}
}

func TestParseTotal(t *testing.T) {
	for in, want := range map[string]string{
		`0`:                          "0",
		`"123456789012345678901234"`: "123456789012345678901234",
		"-42\n":                      "-42",
		`{"total":"7"}`:              "7",
	} {
		got, err := ParseTotal([]byte(in))
		if err != nil || got.String() != want {
			t.Errorf("ParseTotal(%s) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := ParseTotal([]byte(`1.5`)); err == nil {
		t.Error("1.5 must be refused")
	}
}
