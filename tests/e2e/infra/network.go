package infra

import (
	"context"
	"testing"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// NewNetwork creates a user-defined bridge network (containers reach each other by alias) that
// is removed when the test ends.
func NewNetwork(t testing.TB) *testcontainers.DockerNetwork {
	t.Helper()
	EnsureEngine(t)
	nw, err := network.New(context.Background())
	if err != nil {
		t.Fatalf("infra: create network: %v", err)
	}
	// Registered before the containers' cleanups, so it runs after them.
	testcontainers.CleanupNetwork(t, nw)
	return nw
}
