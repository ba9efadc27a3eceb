package lifecycle

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// Parts stop one after another in the order they were added, each only
// after the one before it has returned.
func TestPartsStopInTheOrderAdded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := New(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), 5*time.Second)
	var mu sync.Mutex
	var order []string
	started := make(chan struct{}, 3)
	for _, name := range []string{"grpc", "relay", "prune"} {
		g.Go(name, func(ctx context.Context) error {
			started <- struct{}{}
			<-ctx.Done()
			time.Sleep(10 * time.Millisecond) // a part that takes a while to finish its batch
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return nil
		})
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.HTTP(&http.Server{Handler: http.NotFoundHandler()}, lis)
	done := make(chan error, 1)
	go func() { done <- g.Run() }()
	for range 3 {
		<-started
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after the context ended: %v", err)
	}
	if want := []string{"grpc", "relay", "prune"}; !slices.Equal(order, want) {
		t.Fatalf("stop order %v, want %v", order, want)
	}
}

// A part that fails stops the others and its error is Run's.
func TestAFailingPartStopsTheGroup(t *testing.T) {
	g := New(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), time.Second)
	boom := errors.New("listener closed")
	stopped := make(chan struct{})
	g.Go("worker", func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil })
	g.Go("server", func(context.Context) error { return boom })
	if err := g.Run(); !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want %v", err, boom)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("the other part was not stopped")
	}
}

// A part that does not stop within the grace period is abandoned: the
// parts after it are still stopped and Run returns.
func TestAStuckPartIsAbandonedAfterItsGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := New(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), 50*time.Millisecond)
	stuck := make(chan struct{})
	defer close(stuck)
	g.Go("stuck", func(context.Context) error { <-stuck; return nil })
	stopped := make(chan struct{})
	g.Go("next", func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil })
	done := make(chan error, 1)
	go func() { done <- g.Run() }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run waited for a stuck part")
	}
	select {
	case <-stopped:
	default:
		t.Fatal("the part after the stuck one was not stopped")
	}
}
