package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/metrics"
	"github.com/distsum/distsum/proto/calculatorpb"
)

// blocking answers an Add once release is closed (or its context ends, as
// the real outbox does), counting the calls inside at once.
type blocking struct {
	calculatorpb.UnimplementedCalculatorServiceServer
	release      chan struct{}
	inside, most atomic.Int64
}

func (b *blocking) Add(ctx context.Context, req *calculatorpb.AddRequest) (*calculatorpb.AddResponse, error) {
	n := b.inside.Add(1)
	defer b.inside.Add(-1)
	for m := b.most.Load(); n > m && !b.most.CompareAndSwap(m, n); m = b.most.Load() {
	}
	select {
	case <-b.release:
		return &calculatorpb.AddResponse{Sum: req.GetNum1() + req.GetNum2()}, nil
	case <-ctx.Done():
		return nil, status.Error(codes.Unavailable, ctx.Err().Error())
	}
}

// start serves ProvideGRPC(cfg, svc) through its connection limit and
// returns a client connection.
func start(t *testing.T, cfg Config, svc calculatorpb.CalculatorServiceServer) *grpc.ClientConn {
	t.Helper()
	g := ProvideGRPC(cfg, svc, metrics.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Server.Serve(g.Conns.Listener(lis))
	t.Cleanup(g.Server.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// An Add larger than CALCULATOR_GRPC_MAX_RECV_BYTES is RESOURCE_EXHAUSTED;
// one that fits is answered.
func TestOversizedAddIsResourceExhausted(t *testing.T) {
	b := &blocking{release: make(chan struct{})}
	close(b.release)
	c := calculatorpb.NewCalculatorServiceClient(start(t, testConfig(), b))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Add(ctx, &calculatorpb.AddRequest{Num1: 1, Num2: 2, RequestId: strings.Repeat("x", 5000)})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("5 kB Add: %v, want RESOURCE_EXHAUSTED", err)
	}
	if r, err := c.Add(ctx, &calculatorpb.AddRequest{Num1: 1, Num2: 2, RequestId: strings.Repeat("x", 128)}); err != nil || r.GetSum() != 3 {
		t.Fatalf("Add with a 128-byte request id: %v %v", r, err)
	}
}

// One connection carries at most CALCULATOR_GRPC_MAX_STREAMS calls at once:
// the rest wait for a free stream, and every call is answered.
func TestConcurrentCallsPerConnectionAreBounded(t *testing.T) {
	cfg := testConfig()
	cfg.GRPC.MaxStreams = 3
	b := &blocking{release: make(chan struct{})}
	c := calculatorpb.NewCalculatorServiceClient(start(t, cfg, b))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Add(ctx, &calculatorpb.AddRequest{Num1: int64(i)})
			errs <- err
		}()
	}
	for b.inside.Load() < 3 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for any excess call to get in
	if n := b.most.Load(); n != 3 {
		t.Fatalf("%d calls inside at once on one connection, want 3", n)
	}
	close(b.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a waiting call failed: %v", err)
		}
	}
}

// An Add is bounded by CALCULATOR_ADD_TIMEOUT on the server even when the
// client sends no deadline.
func TestAddHasAServerSideDeadline(t *testing.T) {
	cfg := testConfig()
	cfg.GRPC.AddTimeout = 200 * time.Millisecond
	b := &blocking{release: make(chan struct{})} // never released
	c := calculatorpb.NewCalculatorServiceClient(start(t, cfg, b))
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := c.Add(context.Background(), &calculatorpb.AddRequest{Num1: 1})
		done <- err
	}()
	select {
	case err := <-done:
		if status.Code(err) != codes.Unavailable || time.Since(start) > 2*time.Second {
			t.Fatalf("Add stuck past the server deadline: %v after %s, want UNAVAILABLE after ~200ms", err, time.Since(start))
		}
	case <-time.After(5 * time.Second):
		close(b.release)
		t.Fatal("an Add without a client deadline was still running after 5 s")
	}
}

// CALCULATOR_GRPC_REFLECTION=false leaves server reflection out.
func TestReflectionCanBeTurnedOff(t *testing.T) {
	list := func(cfg Config) error {
		conn := start(t, cfg, &blocking{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
		if err != nil {
			return err
		}
		if err := s.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
			return err
		}
		_, err = s.Recv()
		return err
	}
	cfg := testConfig()
	if err := list(cfg); err != nil {
		t.Fatalf("reflection on by default: %v", err)
	}
	cfg.GRPC.Reflection = false
	if err := list(cfg); status.Code(err) != codes.Unimplemented {
		t.Fatalf("reflection off: %v, want UNIMPLEMENTED", err)
	}
}
