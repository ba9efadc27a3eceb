package consumer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"
)

// DeadLetter parks records that cannot be applied in an append-only JSON
// Lines file, so nothing is dropped silently and an operator can inspect or
// replay them. A record parked again after a crash appears twice, with the
// same partition and offset.
type DeadLetter struct {
	mu   sync.Mutex
	path string
}

// NewDeadLetter parks into path.
func NewDeadLetter(path string) *DeadLetter { return &DeadLetter{path: path} }

// Parked is one line of the dead-letter file.
type Parked struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Key       string    `json:"key,omitempty"`
	Value     string    `json:"value"`
	Encoding  string    `json:"encoding"` // "utf8" or "base64" (json encodes []byte as base64)
	Error     string    `json:"error"`
	ParkedAt  time.Time `json:"parked_at"`
}

// Park appends the record and fsyncs before returning, so the consumer may
// move past it.
func (d *DeadLetter) Park(topic string, partition int32, offset int64, key, value []byte, reason error) error {
	p := Parked{Topic: topic, Partition: partition, Offset: offset, Key: string(key), Error: reason.Error(), ParkedAt: time.Now().UTC()}
	if utf8.Valid(value) {
		p.Value, p.Encoding = string(value), "utf8"
	} else {
		b, _ := json.Marshal(value)
		p.Value, p.Encoding = string(b[1:len(b)-1]), "base64"
	}
	line, err := json.Marshal(p)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(d.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("dead letter: write %s: %w", d.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("dead letter: fsync %s: %w", d.path, err)
	}
	return nil
}
