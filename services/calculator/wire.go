//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"
)

// InitializeApp wires the calculator. Regenerate wire_gen.go with
// `make generate` after changing the providers.
func InitializeApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(ProvideRegistry, ProvideOutbox, ProvideRelay, ProvideGRPC, ProvideChecker, ProvideOpsServer, NewApp)
	return nil, nil, nil
}
