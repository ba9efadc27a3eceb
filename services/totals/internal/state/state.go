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
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// Kind names the totals state document in its file header.
const Kind = "totals-state"

// document is the JSON body of the state file.
type document struct {
	Topic     string                      `json:"topic"`
	TopicID   string                      `json:"topic_id,omitempty"` // absent in files saved before ids were recorded
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
	Deleted    uint64 `json:"deleted_unread,omitempty"`
}

// Encode returns the state file body of a snapshot.
func Encode(s ledger.Snapshot) ([]byte, error) {
	return json.MarshalIndent(document{
		Topic: s.Topic, TopicID: s.TopicID, Total: s.Total, Producers: s.Producers, Offsets: s.Offsets, Held: s.Held,
		Stats: stats{Applied: s.Stats.Applied, Duplicates: s.Stats.Duplicates, Malformed: s.Stats.Malformed, Gaps: s.Stats.Gaps,
			Deleted: s.Stats.DeletedUnread},
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
		Topic: d.Topic, TopicID: d.TopicID, Total: d.Total, Producers: d.Producers, Offsets: d.Offsets, Held: d.Held,
		Stats: ledger.Stats{Applied: d.Stats.Applied, Duplicates: d.Stats.Duplicates, Malformed: d.Stats.Malformed, Gaps: d.Stats.Gaps,
			DeletedUnread: d.Stats.Deleted},
		SavedAt: d.SavedAt,
	}, nil
}

// Store saves one ledger to its state file.
type Store struct {
	file   File
	ledger *ledger.Ledger
	log    *slog.Logger

	mu       sync.Mutex // one save at a time
	lastErr  atomic.Pointer[error]
	lastBody atomic.Pointer[[]byte] // the body last saved or loaded
	fresh    bool                   // no state file was found
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
		log.Info("no state file: first start", "file", path)
		s.fresh = true
		return s, nil
	}
	snap, err := Decode(body)
	if err == nil {
		err = l.Restore(snap)
	}
	if err != nil {
		return nil, fmt.Errorf("refusing to start: state file %s: %w", path, err)
	}
	s.lastBody.Store(&body)
	v := l.View()
	log.Info("state loaded", "file", path, "total", v.Total.String(), "producers", len(v.Producers), "offsets", v.Offsets)
	return s, nil
}

// Path is the state file's path.
func (s *Store) Path() string { return s.file.Path }

// Links returns, for a save covering offsets (partition to next offset),
// the spans of the applies it makes durable and how many more were left
// out, for the save's span.
type Links func(offsets map[int32]int64) ([]trace.Link, int)

// Save writes the ledger's working state if it changed since the last save
// and then makes it the view readers see. It returns the snapshot it saved
// (changed is false when there was nothing to save). After a failed save the
// last saved state stays visible and the next Save retries. When tracing is
// on, the save is a span linked to links' spans (links may be nil).
func (s *Store) Save(links Links) (snap ledger.Snapshot, changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, changed = s.ledger.Snapshot()
	if !changed {
		return snap, false, nil
	}
	span := startSave(snap, links)
	body, err := Encode(snap)
	if err == nil {
		err = s.file.Save(body)
	}
	endSave(span, len(body), err)
	if err != nil {
		s.ledger.Unsaved()
		s.lastErr.Store(&err)
		return snap, true, err
	}
	var none error
	s.lastErr.Store(&none)
	s.lastBody.Store(&body)
	s.ledger.Durable(snap)
	return snap, true, nil
}

// OpenReplacing moves the state file at path aside (state.corrupt-<time>),
// whether it loads or not, and returns a store with an empty ledger, for the
// operator's explicit restore from a checkpoint. It returns where the old
// file went ("" if there was none).
func OpenReplacing(path string, l *ledger.Ledger, log *slog.Logger) (*Store, string, error) {
	s := &Store{file: File{Path: path, Kind: Kind}, ledger: l, log: log, fresh: true}
	var none error
	s.lastErr.Store(&none)
	aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	switch err := os.Rename(path, aside); {
	case err == nil:
		log.Warn("state file moved aside to be replaced by a checkpoint", "file", path, "moved_to", aside)
		return s, aside, nil
	case errors.Is(err, fs.ErrNotExist):
		return s, "", nil
	default:
		return nil, "", fmt.Errorf("refusing to start: cannot move the state file aside: %w", err)
	}
}

// Fresh reports that no state file was loaded: the ledger started empty.
func (s *Store) Fresh() bool { return s.fresh }

// LastSaved returns the body of the state file as last saved or loaded (nil
// before any): what a checkpoint publishes.
func (s *Store) LastSaved() []byte {
	if b := s.lastBody.Load(); b != nil {
		return *b
	}
	return nil
}

// Adopt restores a snapshot (from a checkpoint) into the store's empty
// ledger and saves it at once, so that a crash after the restore keeps it.
func (s *Store) Adopt(snap ledger.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ledger.Restore(snap); err != nil {
		return err
	}
	body, err := Encode(snap)
	if err == nil {
		err = s.file.Save(body)
	}
	if err != nil {
		return fmt.Errorf("saving the restored state: %w", err)
	}
	s.fresh = false
	s.lastBody.Store(&body)
	return nil
}

// Healthy reports the last save's error (nil while the state is being saved).
func (s *Store) Healthy(context.Context) error { return *s.lastErr.Load() }
