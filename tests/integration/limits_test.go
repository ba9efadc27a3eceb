package integration

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/metrics/metricstest"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
)

// TestLimitsHoldAgainstAbusiveClients runs the real services against a real
// broker and plays the clients a public endpoint meets: 2,000 connections
// that never send a byte, a header sent a byte at a time, more ?after=
// waiters than allowed, an oversized Add. Through all of it Adds are
// acknowledged, counted and saved, and GET /total answers.
func TestLimitsHoldAgainstAbusiveClients(t *testing.T) {
	k := startKafka(t)
	calc := testkit.StartCalculator(t, k.Bootstrap())
	totals := testkit.StartTotals(t, k.Bootstrap(), "TOTALS_HTTP_READ_HEADER_TIMEOUT=2s", "TOTALS_MAX_WAITERS=2")
	client := calc.Client(t)
	addr := strings.TrimPrefix(totals.URL, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// An Add far beyond the contract's size is refused before the handler.
	if _, err := client.Add(ctx, &calculatorpb.AddRequest{Num1: 1, RequestId: strings.Repeat("x", 64<<10)}); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("64 KiB Add: %v, want RESOURCE_EXHAUSTED", err)
	}

	// 2,000 idle connections: the service keeps serving and saving.
	idle := make([]net.Conn, 0, 2000)
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	opened := time.Now()
	for len(idle) < cap(idle) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", len(idle), err)
		}
		idle = append(idle, c)
	}
	// Scraped on the ops port, which does not queue behind the public
	// listener's accepts: wait until the server has taken them all.
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n := scrape(t, totals.OpsURL, "http_connections_open", "listener", "public")
		if n >= 2000 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("http_connections_open{listener=public} %v with 2,000 idle connections", n)
		}
	}
	r, err := client.Add(ctx, &calculatorpb.AddRequest{Num1: 40, Num2: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := totals.WaitCounted(t, r.GetToken(), 30*time.Second); got.Int64() != 42 {
		t.Fatalf("total %s with 2,000 idle connections, want 42", got)
	}
	if got := totals.Total(t); got.Int64() != 42 {
		t.Fatalf("GET /total %s, want 42", got)
	}
	t.Logf("2,000 idle connections open in %s; Add counted and served meanwhile", time.Since(opened).Round(time.Millisecond))
	// The server closes them after the read-header timeout (2 s), not never.
	for i, c := range []net.Conn{idle[0], idle[999], idle[1999]} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("idle connection %d not closed by the server: %v", i, err)
		}
	}
	if d := time.Since(opened); d < 2*time.Second {
		t.Fatalf("idle connections closed after %s, before the 2 s read-header timeout", d)
	}

	// Slowloris: one header byte every 100 ms is cut at the timeout.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	closed := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		io.Copy(io.Discard, slow)
		closed <- time.Since(start)
	}()
	header := "GET /total HTTP/1.1\r\nHost: totals\r\nX-Slow: " + strings.Repeat("a", 200)
	func() {
		for i := 0; i < len(header); i++ {
			select {
			case d := <-closed:
				if d < 1500*time.Millisecond || d > 5*time.Second {
					t.Fatalf("slow header cut after %s, want about 2 s", d)
				}
				t.Logf("slow header cut after %s", d.Round(time.Millisecond))
				return
			case <-time.After(100 * time.Millisecond):
			}
			slow.Write([]byte{header[i]})
		}
		t.Fatalf("a header sent a byte every 100 ms was still read after %s", time.Since(start))
	}()

	// Waiters: two wait for an event that never comes, the third is 429.
	waiting := totals.URL + "/total?after=calc-nobody:1&timeout=10s"
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(waiting)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for scrape(t, totals.OpsURL, "totals_waiters") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the two waiters are not waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get(waiting)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third waiter: %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := scrape(t, totals.OpsURL, "totals_waiters_rejected_total"); n != 1 {
		t.Fatalf("totals_waiters_rejected_total %v, want 1", n)
	}
	if got := totals.Total(t); got.Int64() != 42 {
		t.Fatalf("GET /total %s while the waiters are full, want 42", got)
	}
	for range 2 {
		if code := <-done; code != http.StatusServiceUnavailable {
			t.Fatalf("waiter for an event never counted answered %d, want 503", code)
		}
	}
}

// scrape reads one metric from base's /metrics: the unlabelled one, or the
// one with the label given as name, value.
func scrape(t *testing.T, base, name string, label ...string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := metricstest.Scrape(ctx, base+"/metrics", name, label...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
