package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	f := File{Path: filepath.Join(t.TempDir(), "state"), Kind: "test"}
	if _, found, err := f.Load(); found || err != nil {
		t.Fatalf("missing file: found=%v err=%v, want a clean first start", found, err)
	}
	for _, body := range []string{`{"total":"1"}`, `{"total":"123456789012345678901234567890"}`, ``} {
		if err := f.Save([]byte(body)); err != nil {
			t.Fatal(err)
		}
		got, found, err := f.Load()
		if err != nil || !found || string(got) != body {
			t.Fatalf("load = %q %v %v, want %q", got, found, err, body)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(f.Path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestCorruptionIsAnErrorNamingTheFile(t *testing.T) {
	f := File{Path: filepath.Join(t.TempDir(), "state"), Kind: "test"}
	if err := f.Save([]byte(`{"total":"42"}`)); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(f.Path)
	damage := map[string][]byte{
		"empty":        {},
		"truncated":    good[:len(good)-3],
		"flipped byte": bytes.Replace(good, []byte("42"), []byte("43"), 1),
		"no header":    []byte(`{"total":"42"}`),
		"other layout": bytes.Replace(good, []byte(" v1 "), []byte(" v9 "), 1),
		"garbage":      []byte("\x00\x01\x02\n\x03"),
	}
	for name, raw := range damage {
		if err := os.WriteFile(f.Path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		_, found, err := f.Load()
		if !found || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), f.Path) {
			t.Errorf("%s: found=%v err=%v, want ErrCorrupt naming %s", name, found, err, f.Path)
		}
	}
	// A document of another kind is not accepted either.
	os.WriteFile(f.Path, good, 0o644)
	other := File{Path: f.Path, Kind: "other"}
	if _, _, err := other.Load(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("kind mismatch: %v", err)
	}
}

func TestUnreadableFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	f := File{Path: filepath.Join(dir, "state"), Kind: "test"}
	if err := os.Mkdir(f.Path, 0o755); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	if _, _, err := f.Load(); err == nil {
		t.Fatal("unreadable state loaded without error")
	}
}

// TestCrashMidWriteLeavesOldOrNew kills a child process at each point of a
// save (before the rename, after it) and checks the file holds exactly the
// old or the new document.
func TestCrashMidWriteLeavesOldOrNew(t *testing.T) {
	if p := os.Getenv("FILESTORE_CRASH_CHILD"); p != "" {
		f := File{Path: p, Kind: "test"}
		if os.Getenv("FILESTORE_CRASH_AT") == "before-rename" {
			f.BeforeRename = func(string) { syscall.Kill(os.Getpid(), syscall.SIGKILL) }
		}
		if err := f.Save([]byte("new")); err != nil {
			os.Exit(3)
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		return
	}
	for _, at := range []string{"before-rename", "after-save"} {
		t.Run(at, func(t *testing.T) {
			f := File{Path: filepath.Join(t.TempDir(), "state"), Kind: "test"}
			if err := f.Save([]byte("old")); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidWriteLeavesOldOrNew$")
			cmd.Env = append(os.Environ(), "FILESTORE_CRASH_CHILD="+f.Path, "FILESTORE_CRASH_AT="+at)
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL: %v", err)
			}
			body, found, err := f.Load()
			if err != nil || !found {
				t.Fatalf("after crash: %v found=%v", err, found)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(f.Path), ".state.tmp-*")); len(left) != 0 {
				t.Fatalf("stale temporary files after load: %v", left)
			}
			want := map[string]string{"before-rename": "old", "after-save": "new"}[at]
			if string(body) != want {
				t.Fatalf("after crash %s: %q, want %q", at, body, want)
			}
		})
	}
}

func BenchmarkSave(b *testing.B) {
	f := File{Path: filepath.Join(b.TempDir(), "state"), Kind: "bench"}
	body := []byte(fmt.Sprintf(`{"total":"%d","producers":{"calc-1":1,"calc-2":2}}`, 1<<62))
	for i := 0; i < b.N; i++ {
		if err := f.Save(body); err != nil {
			b.Fatal(err)
		}
	}
}
