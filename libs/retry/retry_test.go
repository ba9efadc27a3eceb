package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestUntilRetriesUntilSuccess(t *testing.T) {
	calls := 0
	var waits []time.Duration
	got, err := Until(context.Background(), Policy(time.Millisecond, 4*time.Millisecond), func() (int, error) {
		calls++
		if calls < 4 {
			return 0, errors.New("not yet")
		}
		return 42, nil
	}, func(_ error, d time.Duration) { waits = append(waits, d) })
	if err != nil || got != 42 || calls != 4 || len(waits) != 3 {
		t.Fatalf("got %d err %v after %d calls, waits %v", got, err, calls, waits)
	}
	for _, w := range waits {
		if w > 5*time.Millisecond { // max interval plus jitter
			t.Fatalf("wait %v above the maximum", w)
		}
	}
}

func TestUntilStopsOnPermanentErrorAndContext(t *testing.T) {
	fatal := errors.New("fatal")
	calls := 0
	if _, err := Until(context.Background(), Policy(time.Millisecond, time.Millisecond), func() (int, error) {
		calls++
		return 0, Permanent(fatal)
	}, nil); !errors.Is(err, fatal) || calls != 1 {
		t.Fatalf("permanent error: %v after %d calls", err, calls)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Until(ctx, Policy(time.Millisecond, 2*time.Millisecond), func() (int, error) {
		return 0, errors.New("down")
	}, nil); err == nil {
		t.Fatal("Until returned no error after its context ended")
	}
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep outlived its context")
	}
}
