package main

import (
	"strings"
	"testing"
)

func TestOutboxSettings(t *testing.T) {
	c, err := LoadConfig(nil)
	if err != nil || c.Outbox != OutboxSQLite || c.AdoptInterval <= 0 || !strings.HasPrefix(c.PostgresURL, "postgres://") {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = LoadConfig([]string{"-outbox", "postgres", "-postgres-url", "postgres://u@db:5432/x", "-adopt-interval", "2s"})
	if err != nil || c.Outbox != OutboxPostgres || c.PostgresURL != "postgres://u@db:5432/x" || c.AdoptInterval.Seconds() != 2 {
		t.Fatalf("postgres: %+v %v", c, err)
	}
	if _, err := LoadConfig([]string{"-outbox", "mysql"}); err == nil || !strings.Contains(err.Error(), "mysql") {
		t.Fatalf("unknown backend: %v", err)
	}
	if _, err := LoadConfig([]string{"-adopt-interval", "0s"}); err == nil {
		t.Fatal("a zero adopt interval was accepted")
	}
}
