package main

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/distsum/distsum/proto/calculatorpb"
)

// fakeSystem is an in-process calculator and totals pair: Adds are "applied" after a delay, and
// GET /total?after=p1:N answers 200 once sequence N is applied, 503 after its timeout otherwise
// (as the totals service does).
type fakeSystem struct {
	calculatorpb.UnimplementedCalculatorServiceServer
	mu      sync.Mutex
	seq     uint64
	applied uint64
	total   *big.Int
	pending map[uint64]int64
	delay   time.Duration
	cond    *sync.Cond
}

func newFake(delay time.Duration) *fakeSystem {
	f := &fakeSystem{total: big.NewInt(1000), pending: map[uint64]int64{}, delay: delay}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *fakeSystem) Add(_ context.Context, r *calculatorpb.AddRequest) (*calculatorpb.AddResponse, error) {
	f.mu.Lock()
	f.seq++
	seq := f.seq
	f.pending[seq] = r.Num1 + r.Num2
	f.mu.Unlock()
	time.AfterFunc(f.delay, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		// Apply in sequence order.
		for {
			v, ok := f.pending[f.applied+1]
			if !ok {
				break
			}
			delete(f.pending, f.applied+1)
			f.applied++
			f.total.Add(f.total, big.NewInt(v))
		}
		f.cond.Broadcast()
	})
	return &calculatorpb.AddResponse{Sum: r.Num1 + r.Num2, Token: fmt.Sprintf("p1:%d", seq), ProducerId: "p1", Sequence: seq}, nil
}

func (f *fakeSystem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/total" {
		http.NotFound(w, r)
		return
	}
	if after := r.URL.Query().Get("after"); after != "" {
		_, num, ok := strings.Cut(after, ":")
		want, err := strconv.ParseUint(num, 10, 64)
		if !ok || err != nil {
			http.Error(w, "bad token", http.StatusBadRequest)
			return
		}
		deadline := time.Now().Add(300 * time.Millisecond)
		f.mu.Lock()
		for f.applied < want && time.Now().Before(deadline) {
			f.mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			f.mu.Lock()
		}
		done := f.applied >= want
		f.mu.Unlock()
		if !done {
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":"not counted yet"}`, http.StatusServiceUnavailable)
			return
		}
	}
	f.mu.Lock()
	s := f.total.String()
	f.mu.Unlock()
	fmt.Fprintf(w, "%q\n", s) // string form, as for totals beyond 2^53
}

func startFake(t *testing.T, delay time.Duration) (grpcAddr, totalsURL string, f *fakeSystem) {
	t.Helper()
	f = newFake(delay)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	calculatorpb.RegisterCalculatorServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	return lis.Addr().String(), hs.URL, f
}

func TestLoadgenAgainstFakeSystem(t *testing.T) {
	grpcAddr, totalsURL, f := startFake(t, 50*time.Millisecond)
	var out bytes.Buffer
	err := run(context.Background(), []string{
		"-grpc-addr", grpcAddr, "-totals-url", totalsURL,
		"-workers", "8", "-conns", "2", "-duration", "500ms", "-max-requests", "2000",
		"-readers", "2", "-verify", "-wait", "10s",
	}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"calls/s", "p50", "p95", "p99", "GET /total:", "end-to-end: every acknowledged Add counted", "(match)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seq > 2000 {
		t.Errorf("sent %d Adds, more than -max-requests 2000", f.seq)
	}
}

func TestLoadgenFailsWhenNeverCounted(t *testing.T) {
	grpcAddr, totalsURL, _ := startFake(t, time.Hour) // never applied
	var out bytes.Buffer
	err := run(context.Background(), []string{
		"-grpc-addr", grpcAddr, "-totals-url", totalsURL,
		"-workers", "2", "-duration", "100ms", "-max-requests", "50", "-wait", "1s",
	}, &out)
	if err == nil || !strings.Contains(err.Error(), "not counted") {
		t.Fatalf("want a 'not counted' error, got %v\n%s", err, out.String())
	}
}

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, args := range [][]string{
		{"-grpc-addr", "10.0.0.1:9090"},
		{"-totals-url", "http://192.168.1.1:8080"},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%v: want a loopback error, got %v", args, err)
		}
	}
	if err := run(context.Background(), []string{"-duration", "11m"}, &bytes.Buffer{}); err == nil {
		t.Error("a duration above the 10m cap must be refused")
	}
}
