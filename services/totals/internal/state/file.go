package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The state file keeps one document in a file, replaced atomically and protected by a
// checksum.
//
// A save writes a temporary file in the same directory, fsyncs it, renames it
// over the old file and fsyncs the directory, so a crash at any instant
// leaves either the old document or the new one, never a torn or empty file.
// A load that finds a damaged file returns an error: a corrupt state must
// stop its owner, never read as an empty (zero) state.
//
// File layout: one header line, then the body bytes:
//
//	distsum-filestore v1 kind=<kind> length=<n> sha256=<hex>\n<body>

const magic = "distsum-filestore"

// Version is the layout version written by Save.
const Version = 1

// ErrCorrupt reports a file that exists but cannot be trusted.
var ErrCorrupt = errors.New("state file is corrupt")

// File is a document kept at Path (layout above). Kind names what the
// document is (for example "totals-state"), so one file is never loaded as
// another.
type File struct {
	Path string
	Kind string
	// BeforeRename, when set, runs after the temporary file is durable and
	// before it replaces the old one. Tests use it to crash mid-write.
	BeforeRename func(tmp string)
}

// Save atomically replaces the document with body.
func (f File) Save(body []byte) error {
	dir := filepath.Dir(f.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	sum := sha256.Sum256(body)
	header := fmt.Sprintf("%s v%d kind=%s length=%d sha256=%s\n", magic, Version, f.Kind, len(body), hex.EncodeToString(sum[:]))

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("filestore: create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(append([]byte(header), body...)); err != nil {
		return fmt.Errorf("filestore: write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("filestore: fsync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("filestore: close %s: %w", tmpName, err)
	}
	if f.BeforeRename != nil {
		f.BeforeRename(tmpName)
	}
	if err := os.Rename(tmpName, f.Path); err != nil {
		return fmt.Errorf("filestore: rename into %s: %w", f.Path, err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("filestore: fsync directory %s: %w", dir, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Load returns the document. found is false only when the file does not
// exist (a first start). Any other problem, including a checksum mismatch,
// is an error naming the file. Temporary files left by a save that crashed
// are removed: the owner loads before it saves again.
func (f File) Load() (body []byte, found bool, err error) {
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".tmp-*")); len(stale) > 0 {
		for _, s := range stale {
			os.Remove(s)
		}
	}
	raw, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("filestore: read %s: %w", f.Path, err)
	}
	body, err = f.parse(raw)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Path, err)
	}
	return body, true, nil
}

func (f File) parse(raw []byte) ([]byte, error) {
	nl := bytes.IndexByte(raw, '\n')
	if nl < 0 {
		return nil, errors.New("no header line (empty or truncated file)")
	}
	fields := strings.Fields(string(raw[:nl]))
	if len(fields) != 5 || fields[0] != magic {
		return nil, fmt.Errorf("header %q is not a %s header", truncate(string(raw[:nl])), magic)
	}
	if fields[1] != "v"+strconv.Itoa(Version) {
		return nil, fmt.Errorf("unsupported layout version %q", fields[1])
	}
	kv := map[string]string{}
	for _, p := range fields[2:] {
		k, v, _ := strings.Cut(p, "=")
		kv[k] = v
	}
	if kv["kind"] != f.Kind {
		return nil, fmt.Errorf("holds a %q document, want %q", kv["kind"], f.Kind)
	}
	n, err := strconv.Atoi(kv["length"])
	body := raw[nl+1:]
	if err != nil || n != len(body) {
		return nil, fmt.Errorf("body is %d bytes, header says %s", len(body), kv["length"])
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != kv["sha256"] {
		return nil, errors.New("checksum mismatch")
	}
	return body, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
