// Package logging builds the services' structured (JSON) slog loggers.
package logging

import (
	"log/slog"
	"os"
	"strings"
)

// New returns a JSON logger to stderr tagged with the service name.
func New(service, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})).With("service", service)
	slog.SetDefault(log)
	return log
}
