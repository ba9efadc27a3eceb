package service

import (
	"path/filepath"
	"testing"
)

func TestDataDirUnderBazelRunIsInTheWorkspace(t *testing.T) {
	t.Setenv("BUILD_WORKSPACE_DIRECTORY", "")
	if got := DataDir("data/calculator"); got != "data/calculator" {
		t.Fatalf("outside bazel run: %q", got)
	}
	ws := t.TempDir()
	t.Setenv("BUILD_WORKSPACE_DIRECTORY", ws)
	if got, want := DataDir("data/calculator"), filepath.Join(ws, "data/calculator"); got != want {
		t.Fatalf("under bazel run: %q, want %q", got, want)
	}
	if got := DataDir("/var/lib/distsum"); got != "/var/lib/distsum" {
		t.Fatalf("an absolute directory moved: %q", got)
	}
}
