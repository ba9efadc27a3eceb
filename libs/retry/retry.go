// Package retry is the services' one way to retry: exponential backoff from
// github.com/cenkalti/backoff, without a time limit (a service waits for its
// broker or its disk as long as it runs), bounded by a context.
package retry

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Policy returns a backoff that starts at initial, doubles up to max, and
// never gives up on its own. Reset it after a success.
func Policy(initial, max time.Duration) *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(initial),
		backoff.WithMaxInterval(max),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.2),
		backoff.WithMaxElapsedTime(0),
	)
}

// Until calls op until it succeeds, fails with backoff.Permanent, or ctx
// ends; notify (may be nil) hears each failure and the wait before the next
// try.
func Until[T any](ctx context.Context, p *backoff.ExponentialBackOff, op func() (T, error), notify func(err error, next time.Duration)) (T, error) {
	return backoff.RetryNotifyWithData(op, backoff.WithContext(p, ctx), notify)
}

// Permanent marks an error that retrying cannot fix.
func Permanent(err error) error { return backoff.Permanent(err) }

// Sleep waits d or until ctx ends, and reports whether the whole d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
