// Package ratelog bounds how often the same log line is written. A failing
// disk or an unreachable broker can make a loop log the same error thousands
// of times a second; that drowns every other line and costs I/O while the
// process is already in trouble. The handler writes a record, then drops
// identical ones (same level, message and attributes) for an interval, and
// the next one written after the interval carries how many were dropped
// (`repeated`), so nothing is hidden, only counted.
package ratelog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// maxKeys bounds the memory kept for distinct lines; past it the oldest
// entries are forgotten (a forgotten line is simply written again).
const maxKeys = 4096

// Handler wraps a slog.Handler. Records below MinLevel pass through unchanged.
type Handler struct {
	next     slog.Handler
	interval time.Duration
	minLevel slog.Level
	prefix   string // attributes and groups added by WithAttrs/WithGroup, part of the key
	state    *state
	now      func() time.Time
}

type state struct {
	mu   sync.Mutex
	seen map[string]*entry
}

type entry struct {
	last    time.Time
	dropped int
}

// New returns a handler that writes identical records at level minLevel or
// above at most once per interval.
func New(next slog.Handler, interval time.Duration, minLevel slog.Level) *Handler {
	return &Handler{next: next, interval: interval, minLevel: minLevel, state: &state{seen: map[string]*entry{}}, now: time.Now}
}

// Enabled reports whether the wrapped handler takes the level.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle writes r unless an identical record was written less than the
// interval ago.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < h.minLevel || h.interval <= 0 {
		return h.next.Handle(ctx, r)
	}
	key := h.key(r)
	now := h.now()
	h.state.mu.Lock()
	e, ok := h.state.seen[key]
	if ok && now.Sub(e.last) < h.interval {
		e.dropped++
		h.state.mu.Unlock()
		return nil
	}
	dropped := 0
	if ok {
		dropped = e.dropped
		e.last, e.dropped = now, 0
	} else {
		if len(h.state.seen) >= maxKeys {
			h.forgetOldest()
		}
		h.state.seen[key] = &entry{last: now}
	}
	h.state.mu.Unlock()
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", dropped))
	}
	return h.next.Handle(ctx, r)
}

// forgetOldest drops the half of the entries written longest ago. Called
// with the lock held.
func (h *Handler) forgetOldest() {
	cutoff := h.now().Add(-h.interval)
	for k, e := range h.state.seen {
		if e.last.Before(cutoff) || len(h.state.seen) > maxKeys/2 {
			delete(h.state.seen, k)
		}
	}
}

func (h *Handler) key(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte('|')
	b.WriteString(h.prefix)
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, "|%s=%v", a.Key, a.Value.Resolve())
		return true
	})
	return b.String()
}

// WithAttrs returns a handler whose records carry attrs; they are part of
// what makes two records identical. The dropped-line state is shared.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		fmt.Fprintf(&b, "%s=%v|", a.Key, a.Value.Resolve())
	}
	c.prefix = b.String()
	return &c
}

// WithGroup returns a handler that nests later attributes under name.
func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	c.prefix = h.prefix + name + "."
	return &c
}
