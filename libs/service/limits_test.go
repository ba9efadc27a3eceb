package service

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/distsum/distsum/libs/metrics/metricstest"
)

// serve runs NewHTTPServer(o) on a loopback port and returns its address.
func serve(t *testing.T, o Ops, reg prometheus.Registerer) string {
	t.Helper()
	return listen(t, NewHTTPServer(o, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }), reg))
}

func limitedOps(maxConns int) Ops {
	return Ops{HTTP: HTTPLimits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: time.Second,
		WriteTimeout: time.Second, IdleTimeout: time.Second, MaxHeaderBytes: 4 << 10, MaxConns: maxConns}}
}

// refusedOnArrival dials addr and reports whether the server closes the new
// connection within 2 s (a connection over a cap).
func refusedOnArrival(t *testing.T, addr string) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return closedWithin(c, 2*time.Second)
}

// closedWithin reports whether the server closes c within d (reading
// whatever it sends first).
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}

// A client that sends its headers a byte at a time (slowloris) is closed
// after the read-header timeout, while a normal request is answered.
func TestSlowHeadersAreClosedAfterTheReadHeaderTimeout(t *testing.T) {
	addr := serve(t, limitedOps(0), prometheus.NewRegistry())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, c) // returns when the server closes
		closed <- time.Since(start)
	}()
	header := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "
	for i := 0; ; i++ {
		select {
		case d := <-closed:
			if d < 250*time.Millisecond || d > 2*time.Second {
				t.Fatalf("closed after %s, want about the 300ms read-header timeout", d)
			}
			if rec := get(t, addr); rec != "ok" {
				t.Fatalf("normal request: %q", rec)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("a byte-by-byte header was still read after 5 s")
		}
		b := byte('a')
		if i < len(header) {
			b = header[i]
		}
		c.Write([]byte{b})
	}
}

func get(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Beyond MaxConns open connections, a new one is closed on arrival and
// counted; once one closes, a new connection is served again.
func TestHTTPConnectionsBeyondTheBoundAreRefusedAndCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	o := limitedOps(2)
	o.HTTP.ReadHeaderTimeout = 10 * time.Second // the held connections stay open
	addr := serve(t, o, reg)
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// Let the server account for both before the third arrives.
	deadline := time.Now().Add(5 * time.Second)
	for counter(t, reg, "http_connections_open") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !refusedOnArrival(t, addr) {
		t.Fatal("a third connection over a bound of 2 was kept open")
	}
	if n := counter(t, reg, "http_connections_refused_total"); n != 1 {
		t.Fatalf("http_connections_refused_total %v, want 1", n)
	}
	// Negative control: the held connections are served, and after one
	// closes a new client is answered.
	w := bufio.NewWriter(held[0])
	w.WriteString("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	w.Flush()
	resp, err := http.ReadResponse(bufio.NewReader(held[0]), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("held connection: %v %v", resp, err)
	}
	held[1].Close()
	deadline = time.Now().Add(5 * time.Second)
	for counter(t, reg, "http_connections_open") > 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if body := get(t, addr); body != "ok" {
		t.Fatalf("after a slot freed: %q", body)
	}
}

// The gRPC side's listener: beyond the bound a connection is closed at
// once; a closed one frees its slot.
func TestLimitListenerClosesTheExcessAndFreesSlots(t *testing.T) {
	reg := prometheus.NewRegistry()
	lim := NewConnLimit(1, reg, "grpc")
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis := lim.Listener(raw)
	defer lis.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	first, _ := net.Dial("tcp", raw.Addr().String())
	defer first.Close()
	a := <-accepted
	if !refusedOnArrival(t, raw.Addr().String()) {
		t.Fatal("a second connection over a bound of 1 was kept open")
	}
	if n := counter(t, reg, "grpc_connections_refused_total"); n != 1 {
		t.Fatalf("grpc_connections_refused_total %v, want 1", n)
	}
	a.Close()
	a.Close() // a second Close must not free a second slot
	third, _ := net.Dial("tcp", raw.Addr().String())
	defer third.Close()
	select {
	case <-accepted:
	case <-time.After(2 * time.Second):
		t.Fatal("a connection after the first closed was not accepted")
	}
	if n := lim.open.Load(); n != 1 {
		t.Fatalf("open %d, want 1", n)
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	return metricstest.Gathered(t, reg, name)
}

func TestDefaultMaxConnsIsBelowTheDescriptorLimit(t *testing.T) {
	if n := DefaultMaxConns(); n < 1 || n > 4096 {
		t.Fatalf("DefaultMaxConns %d", n)
	}
}
