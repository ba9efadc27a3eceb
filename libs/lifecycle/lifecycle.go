// Package lifecycle runs the parts of a service together (servers, the relay,
// the consumer, housekeeping) and stops them in a fixed order.
//
// It is github.com/oklog/run underneath: when any part returns (or the
// service's context ends) every part is interrupted, one after another in
// the order they were added, and each interrupt waits until its part has
// stopped, or its grace period is over: then the part is abandoned (logged)
// and the next one is stopped, so a stuck part cannot hold the process. So
// the order of Add calls is the shutdown order: a calculator adds its gRPC
// server before its relay, so in-flight Adds finish before the relay
// publishes its last batch.
package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/oklog/run"
	"google.golang.org/grpc"
)

// Group is a set of parts that run and stop together.
type Group struct {
	g     run.Group
	log   *slog.Logger
	grace time.Duration
}

// New returns a group that stops when ctx ends (SIGTERM). grace bounds how
// long each part may take to stop.
func New(ctx context.Context, log *slog.Logger, grace time.Duration) *Group {
	g := &Group{log: log, grace: grace}
	ctx, cancel := context.WithCancel(ctx)
	g.g.Add(func() error {
		<-ctx.Done()
		log.Info("shutting down")
		return nil
	}, func(error) { cancel() })
	return g
}

// Go runs f until its turn to stop comes; then f's context ends and the
// group waits up to the grace period for f to return, and abandons it after
// that.
func (g *Group) Go(name string, f func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	abandoned := make(chan struct{})
	var err error
	g.g.Add(func() error {
		go func() { err = f(ctx); close(finished) }()
		select {
		case <-finished:
			return err
		case <-abandoned:
			return nil
		}
	}, func(error) {
		cancel()
		select {
		case <-finished:
		case <-time.After(g.grace):
			g.log.Warn("did not stop within the grace period; abandoned", "part", name, "grace", g.grace)
			close(abandoned)
		}
	})
}

// HTTP serves srv on lis; at its turn it stops taking requests and lets
// those in flight finish (up to the grace period).
func (g *Group) HTTP(srv *http.Server, lis net.Listener) {
	g.g.Add(func() error {
		if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, func(error) {
		ctx, cancel := context.WithTimeout(context.Background(), g.grace)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			g.log.Warn("grace period over; closing remaining HTTP requests", "err", err)
			srv.Close()
		}
	})
}

// GRPC serves srv on lis; at its turn it runs beforeStop (if any: marking
// the health service NOT_SERVING), stops taking calls and lets those in
// flight finish (up to the grace period, then closes them).
func (g *Group) GRPC(srv *grpc.Server, lis net.Listener, beforeStop func()) {
	g.g.Add(func() error { return srv.Serve(lis) }, func(error) {
		if beforeStop != nil {
			beforeStop()
		}
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(g.grace):
			g.log.Warn("grace period over; closing remaining calls")
			srv.Stop()
		}
	})
}

// Run runs every part until one returns, then stops them all in order. It
// returns the error of the part that returned first (nil after SIGTERM).
func (g *Group) Run() error { return g.g.Run() }

// Every calls f every d until ctx ends (periodic housekeeping: saves,
// pruning).
func Every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
