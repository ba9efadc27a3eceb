package outbox

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNotReadyWhileCommitsFail: with this process's file-size limit lowered
// to 1 byte, every write to the outbox fails for real (EFBIG; Go ignores
// SIGXFSZ), as on a full disk. Appends fail, and Ping says the outbox cannot
// commit, although the database still answers a plain ping (the negative
// control: what readiness checked before). Once the limit is lifted, Ping is
// nil again without any Append (its probe commits), and Appends continue the
// sequence.
func TestNotReadyWhileCommitsFail(t *testing.T) {
	var logs bytes.Buffer
	s, _ := openTemp(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	if _, err := s.Append(ctx, Entry{RequestID: "before", Num1: 1, Num2: 1, Sum: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping of a healthy outbox: %v", err)
	}

	var limit syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Fatal(err)
	}
	lifted := false
	lift := func() {
		if !lifted {
			lifted = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
				t.Fatalf("restoring the file-size limit: %v", err)
			}
		}
	}
	t.Cleanup(lift)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1, Max: limit.Max}); err != nil {
		t.Skipf("cannot lower the file-size limit: %v", err)
	}
	_, appendErr := s.Append(ctx, Entry{RequestID: "full", Num1: 2, Num2: 2, Sum: 4})
	pingErr := s.Ping(ctx)
	plainErr := s.db.PingContext(ctx)
	time.Sleep(50 * time.Millisecond)
	pingAgain := s.Ping(ctx) // still failing: the probe cannot commit either
	lift()

	if appendErr == nil {
		t.Fatal("Append succeeded while no write could reach the file")
	}
	if pingErr == nil || pingAgain == nil {
		t.Fatalf("Ping while commits fail: %v, then %v; want an error", pingErr, pingAgain)
	}
	if msg := pingErr.Error(); !strings.HasPrefix(msg, "outbox cannot commit: ") || !strings.Contains(msg, "disk full?") {
		t.Fatalf("Ping error %q does not say the outbox cannot commit and what to check", msg)
	}
	if plainErr != nil {
		t.Fatalf("the database's own ping failed too (%v): the test no longer shows what it claims", plainErr)
	}
	t.Logf("Append: %v; Ping: %v", appendErr, pingErr)

	// Lifted: ready again with no Append in between (the probe commits).
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the limit was lifted: %v", err)
	}
	var probe string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'commit_probe'`).Scan(&probe); err != nil || probe == "" {
		t.Fatalf("no probe commit recorded: %q, %v", probe, err)
	}
	r, err := s.Append(ctx, Entry{RequestID: "full", Num1: 2, Num2: 2, Sum: 4})
	if err != nil || r.Replayed || r.Event.Sequence != 2 {
		t.Fatalf("the failed Add retried: %+v, %v; want a new event with sequence 2", r, err)
	}
	for _, want := range []string{"outbox cannot commit: not ready until a commit succeeds", "outbox commits again: ready"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestCommitHealthProbesOnlyWhileFailing(t *testing.T) {
	h := NewCommitHealth("disk full?", slog.New(slog.DiscardHandler))
	probes := 0
	failing := errors.New("no space left on device")
	probe := func(context.Context) error { probes++; return failing }
	ctx := context.Background()
	if err := h.Check(ctx, probe); err != nil || probes != 0 {
		t.Fatalf("healthy: %v after %d probes; want nil without a probe", err, probes)
	}
	h.Record(errors.New("database or disk is full"))
	if err := h.Check(ctx, probe); !errors.Is(err, failing) || probes != 1 {
		t.Fatalf("failing: %v after %d probes", err, probes)
	}
	// A successful Add's commit makes it ready without a probe.
	h.Record(nil)
	if err := h.Check(ctx, probe); err != nil || probes != 1 {
		t.Fatalf("after a successful commit: %v after %d probes", err, probes)
	}
	// A probe that runs out of time reports the commit's error.
	commitErr := errors.New("database or disk is full")
	h.Record(commitErr)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := h.Check(cctx, func(ctx context.Context) error { return ctx.Err() }); !errors.Is(err, commitErr) {
		t.Fatalf("probe out of time: %v, want the commit's error", err)
	}
}
