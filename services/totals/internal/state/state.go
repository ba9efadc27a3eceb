// Package state keeps the totals ledger on disk: the state file's format,
// loading it at start and saving snapshots of the ledger, in one place.
//
// The file holds the total, the per-producer high-water marks, the events
// held ahead of a missing one and the Kafka offsets the state covers (see
// file.go for the atomic, checksummed layout). A missing file is a first
// start; a corrupt or unreadable one stops the service: the total is never
// reset to zero silently. A snapshot becomes what readers see only once it is
// on disk, so a total once served never goes back after a crash.
package state

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// Kind names the totals state document in its file header.
const Kind = "totals-state"

// document is the JSON body of the state file.
type document struct {
	Topic     string                      `json:"topic"`
	Total     string                      `json:"total"`
	Producers map[string]uint64           `json:"producers"`
	Offsets   map[int32]int64             `json:"offsets"`
	Held      map[string]map[uint64]int64 `json:"held,omitempty"`
	Stats     stats                       `json:"stats"`
	SavedAt   time.Time                   `json:"saved_at"`
}

type stats struct {
	Applied    uint64 `json:"applied"`
	Duplicates uint64 `json:"duplicates_skipped"`
	Malformed  uint64 `json:"malformed"`
	Gaps       uint64 `json:"sequence_gaps"`
}

// Encode returns the state file body of a snapshot.
func Encode(s ledger.Snapshot) ([]byte, error) {
	return json.MarshalIndent(document{
		Topic: s.Topic, Total: s.Total, Producers: s.Producers, Offsets: s.Offsets, Held: s.Held,
		Stats:   stats{Applied: s.Stats.Applied, Duplicates: s.Stats.Duplicates, Malformed: s.Stats.Malformed, Gaps: s.Stats.Gaps},
		SavedAt: s.SavedAt,
	}, "", "  ")
}

// Decode parses a state file body.
func Decode(body []byte) (ledger.Snapshot, error) {
	var d document
	if err := json.Unmarshal(body, &d); err != nil {
		return ledger.Snapshot{}, fmt.Errorf("state: %w", err)
	}
	return ledger.Snapshot{
		Topic: d.Topic, Total: d.Total, Producers: d.Producers, Offsets: d.Offsets, Held: d.Held,
		Stats:   ledger.Stats{Applied: d.Stats.Applied, Duplicates: d.Stats.Duplicates, Malformed: d.Stats.Malformed, Gaps: d.Stats.Gaps},
		SavedAt: d.SavedAt,
	}, nil
}

// Store saves one ledger to its state file.
type Store struct {
	file   File
	ledger *ledger.Ledger
	log    *slog.Logger

	mu      sync.Mutex // one save at a time
	lastErr atomic.Pointer[error]
}

// Open loads the state file at path into l (an empty ledger) and returns the
// store that saves it from then on. A missing file leaves l empty (a first
// start); a corrupt or unreadable one is an error naming the file.
func Open(path string, l *ledger.Ledger, log *slog.Logger) (*Store, error) {
	s := &Store{file: File{Path: path, Kind: Kind}, ledger: l, log: log}
	var none error
	s.lastErr.Store(&none)
	body, found, err := s.file.Load()
	if err != nil {
		return nil, fmt.Errorf("refusing to start: %w (restore it from a backup or move it away to rebuild the total from Kafka)", err)
	}
	if !found {
		log.Info("no state file: first start, total 0", "file", path)
		return s, nil
	}
	snap, err := Decode(body)
	if err == nil {
		err = l.Restore(snap)
	}
	if err != nil {
		return nil, fmt.Errorf("refusing to start: state file %s: %w", path, err)
	}
	v := l.View()
	log.Info("state loaded", "file", path, "total", v.Total.String(), "producers", len(v.Producers), "offsets", v.Offsets)
	return s, nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.file.Path }

// Save writes the ledger's working state if it changed since the last save
// and then makes it the view readers see. It returns the snapshot it saved
// (changed is false when there was nothing to save). After a failed save the
// last saved state stays visible and the next Save retries.
func (s *Store) Save() (snap ledger.Snapshot, changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, changed = s.ledger.Snapshot()
	if !changed {
		return snap, false, nil
	}
	body, err := Encode(snap)
	if err == nil {
		err = s.file.Save(body)
	}
	if err != nil {
		s.ledger.Unsaved()
		s.lastErr.Store(&err)
		return snap, true, err
	}
	var none error
	s.lastErr.Store(&none)
	s.ledger.Durable(snap)
	return snap, true, nil
}

// Healthy reports the last save's error (nil while the state is being saved).
func (s *Store) Healthy(context.Context) error { return *s.lastErr.Load() }
