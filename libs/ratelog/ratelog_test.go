package ratelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newLogger(buf *bytes.Buffer, interval time.Duration) (*slog.Logger, *clock) {
	h := New(slog.NewJSONHandler(buf, nil), interval, slog.LevelWarn)
	c := &clock{t: time.Unix(1000, 0)}
	h.now = c.now
	return slog.New(h), c
}

func lines(buf *bytes.Buffer) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			panic(err)
		}
		out = append(out, m)
	}
	return out
}

func TestIdenticalErrorsAreWrittenOncePerIntervalWithACount(t *testing.T) {
	var buf bytes.Buffer
	log, clk := newLogger(&buf, time.Second)
	err := errors.New("disk full")
	for range 1000 {
		log.Error("cannot commit", "err", err)
		clk.t = clk.t.Add(time.Millisecond) // 1000 lines in one second
	}
	clk.t = clk.t.Add(time.Millisecond)
	log.Error("cannot commit", "err", err)
	got := lines(&buf)
	if len(got) != 2 {
		t.Fatalf("wrote %d lines, want 2 (the first, then one with the count): %s", len(got), buf.String())
	}
	if _, ok := got[0]["repeated"]; ok {
		t.Errorf("first line carries a repeat count: %v", got[0])
	}
	if got[1]["repeated"] != float64(999) {
		t.Errorf("second line repeated=%v, want 999", got[1]["repeated"])
	}
}

func TestDifferentLinesAndInfoPassThrough(t *testing.T) {
	var buf bytes.Buffer
	log, _ := newLogger(&buf, time.Minute)
	log.Error("cannot commit", "err", "disk full")
	log.Error("cannot commit", "err", "read-only file system") // other attributes: another line
	log.Warn("cannot commit", "err", "disk full")              // other level
	log.With("partition", 1).Error("cannot commit", "err", "disk full")
	for range 3 {
		log.Info("partitions assigned") // below the level: never dropped
	}
	if n := len(lines(&buf)); n != 7 {
		t.Fatalf("wrote %d lines, want 7: %s", n, buf.String())
	}
}

// Negative control: with a zero interval every line is written, so the count
// above is the handler's doing.
func TestZeroIntervalWritesEverything(t *testing.T) {
	var buf bytes.Buffer
	log, _ := newLogger(&buf, 0)
	for range 50 {
		log.Error("cannot commit", "err", "disk full")
	}
	if n := len(lines(&buf)); n != 50 {
		t.Fatalf("wrote %d lines, want 50", n)
	}
}

func TestKeysStayBounded(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewJSONHandler(&buf, nil), time.Second, slog.LevelWarn)
	log := slog.New(h)
	for i := range 3 * maxKeys {
		log.Error("offset", "n", i)
	}
	if n := len(h.state.seen); n > maxKeys {
		t.Fatalf("%d keys kept, want at most %d", n, maxKeys)
	}
}
