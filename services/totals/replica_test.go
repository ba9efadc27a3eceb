package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
)

func TestReplicaIDIsKeptAcrossRestarts(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := filepath.Join(t.TempDir(), "data")
	first, err := ProvideReplica(Config{DataDir: dir}, log)
	if err != nil || first.ID == "" || first.GroupID != "sum-group-"+first.ID {
		t.Fatalf("%+v %v", first, err)
	}
	again, err := ProvideReplica(Config{DataDir: dir}, log)
	if err != nil || again != first {
		t.Fatalf("after a restart %+v %v, want %+v", again, err, first)
	}
	other, _ := ProvideReplica(Config{DataDir: t.TempDir()}, log)
	if other.ID == first.ID {
		t.Fatalf("two data directories share replica id %s", other.ID)
	}
	set, _ := ProvideReplica(Config{DataDir: dir, ReplicaID: "r1", GroupID: "g"}, log)
	if set != (Replica{ID: "r1", GroupID: "g"}) {
		t.Fatalf("explicit settings: %+v", set)
	}
}
