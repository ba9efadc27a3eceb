//go:build wireinject

package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/google/wire"
	"github.com/gorilla/mux"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/service"
	"github.com/distsum/distsum/services/calculator/internal/relay"
)

// InitializeApp wires the calculator. Regenerate wire_gen.go with
// `make generate` after changing the providers.
func InitializeApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, func(), error) {
	wire.Build(
		service.OpsSet,
		wire.FieldsOf(new(Config), "Ops", "TLS"),
		service.NewTLS,
		kafka.NewTopicMetrics,
		wire.Bind(new(http.Handler), new(*mux.Router)),
		ProvideChecks, ProvideOutbox, relay.NewMetrics, ProvideRelay, ProvideAdoption, ProvideCalculatorService, ProvideGRPC, NewApp,
	)
	return nil, nil, nil
}
