//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"
)

// InitializeApp wires the totals service. Regenerate wire_gen.go with
// `make generate` after changing the providers.
func InitializeApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(ProvideRegistry, ProvideStateFile, ProvideLedger, ProvideConsumer, ProvideHTTP, NewApp)
	return nil, nil, nil
}
