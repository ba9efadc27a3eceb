package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Replica is who this totals replica is: the key of its checkpoints and the
// consumer group it reads with.
type Replica struct {
	ID      string
	GroupID string
}

// ProvideReplica resolves the replica id (the setting, else the one kept in
// <data dir>/replica-id, else a new random one kept there, so a restart is
// the same replica) and the consumer group (the setting, else one of the
// replica's own: every replica reads every partition).
func ProvideReplica(cfg Config, log *slog.Logger) (Replica, error) {
	id := cfg.ReplicaID
	if id == "" {
		var err error
		if id, err = storedReplicaID(filepath.Join(cfg.DataDir, "replica-id")); err != nil {
			return Replica{}, err
		}
	}
	group := cfg.GroupID
	if group == "" {
		group = "sum-group-" + id
	} else {
		log.Info("consumer group set explicitly: a group shared by two replicas splits the partitions, and neither then serves a total", "group", group)
	}
	return Replica{ID: id, GroupID: group}, nil
}

func storedReplicaID(path string) (string, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if id == "" {
			return "", fmt.Errorf("replica id file %s is empty: delete it to generate a new id, or set TOTALS_REPLICA_ID", path)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("replica id: %w", err)
	}
	raw := make([]byte, 6)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	id := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("replica id: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("replica id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("replica id: %w", err)
	}
	return id, nil
}
