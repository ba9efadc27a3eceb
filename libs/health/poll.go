package health

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Polled runs an expensive check (a broker round-trip) in the background
// every interval, so readiness probes read its last result instead of each
// opening connections. It reports not-ready until the first check passed.
type Polled struct {
	last atomic.Pointer[error]
}

var errNotYetChecked = errors.New("not checked yet")

// Poll starts polling check until ctx ends.
func Poll(ctx context.Context, interval time.Duration, check Check) *Polled {
	p := &Polled{}
	p.last.Store(&errNotYetChecked)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			cctx, cancel := context.WithTimeout(ctx, interval)
			err := check(cctx)
			cancel()
			p.last.Store(&err)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// Check returns the last polled result.
func (p *Polled) Check(context.Context) error { return *p.last.Load() }
