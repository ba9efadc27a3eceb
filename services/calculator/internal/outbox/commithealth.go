package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// CommitHealth is whether an outbox can commit, which is what the
// calculator's readiness means (it can take Adds). Answering the database's
// ping is not enough: on a full disk the database answers while every
// commit fails. A failed group commit makes the outbox not ready until a
// commit succeeds again; while it fails, Check makes a tiny write transaction
// of its own (the probe), so readiness comes back as soon as commits can
// succeed, even when no Add arrives (an unready instance gets none).
type CommitHealth struct {
	hint string // the likely cause to check, appended to the error
	log  *slog.Logger

	mu      sync.Mutex
	err     error     // the last commit's error; nil after a success
	since   time.Time // first failure of the current run of failures
	probeMu sync.Mutex
}

// NewCommitHealth returns a healthy CommitHealth; hint (e.g. "disk full?")
// names what an operator should check when commits fail.
func NewCommitHealth(hint string, log *slog.Logger) *CommitHealth {
	if log == nil {
		log = slog.Default()
	}
	return &CommitHealth{hint: hint, log: log}
}

// Record notes the outcome of a commit (a group commit or a probe).
func (h *CommitHealth) Record(err error) {
	h.mu.Lock()
	wasFailing, since := h.err != nil, h.since
	if err != nil && !wasFailing {
		h.since = time.Now()
	}
	h.err = err
	h.mu.Unlock()
	switch {
	case err != nil && !wasFailing:
		h.log.Error("outbox cannot commit: not ready until a commit succeeds", "err", err, "hint", h.hint)
	case err == nil && wasFailing:
		h.log.Info("outbox commits again: ready", "failed_for", time.Since(since).Round(time.Millisecond))
	}
}

// Check is nil while the last commit succeeded. Otherwise it runs probe (a
// small real write transaction) and returns its error, until a probe or a
// commit succeeds.
func (h *CommitHealth) Check(ctx context.Context, probe func(context.Context) error) error {
	if h.failure() == nil {
		return nil
	}
	// One probe at a time: readiness, gRPC health and metrics may all ask.
	h.probeMu.Lock()
	defer h.probeMu.Unlock()
	last := h.failure()
	if last == nil {
		return nil // a commit succeeded meanwhile
	}
	err := probe(ctx)
	if err == nil {
		h.Record(nil)
		return nil
	}
	if ctx.Err() != nil {
		err = last // the probe ran out of time: the commit's error says more
	}
	return fmt.Errorf("outbox cannot commit: %w (%s)", err, h.hint)
}

func (h *CommitHealth) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}
