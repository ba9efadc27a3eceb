//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/service"
)

// InitializeApp wires the totals service. Regenerate wire_gen.go with
// `make generate` after changing the providers.
func InitializeApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(
		service.OpsSet,
		wire.FieldsOf(new(Config), "Ops", "TLS"),
		service.NewTLS,
		kafka.NewTopicMetrics,
		ProvideReplica, ProvideLedger, ProvideState, ProvidePublisher, ProvideChecks, ProvideConsumer, ProvideHandler, ProvidePublicServer, NewApp,
	)
	return nil, nil, nil
}
