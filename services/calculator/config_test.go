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

func TestLimitSettings(t *testing.T) {
	c, err := LoadConfig(nil)
	if err != nil || c.GRPC.MaxRecvBytes != 4096 || c.GRPC.MaxStreams != 256 || !c.GRPC.Reflection || c.GRPC.AddTimeout.Seconds() != 10 || c.Ops.HTTP.WriteTimeout <= 0 {
		t.Fatalf("defaults: %+v %v", c.GRPC, err)
	}
	t.Setenv("CALCULATOR_GRPC_REFLECTION", "false")
	if c, err := LoadConfig([]string{"-grpc-max-conns", "10"}); err != nil || c.GRPC.Reflection || c.GRPC.MaxConns != 10 {
		t.Fatalf("reflection off, 10 conns: %+v %v", c.GRPC, err)
	}
	for _, bad := range [][]string{{"-grpc-max-recv-bytes", "100"}, {"-grpc-max-streams", "0"}, {"-add-timeout", "0s"}, {"-http-read-header-timeout", "0s"}, {"-http-max-conns", "-1"}} {
		if _, err := LoadConfig(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestTLSSettings(t *testing.T) {
	if c, err := LoadConfig(nil); err != nil || c.TLS.Enabled() {
		t.Fatalf("default: TLS %+v %v, want plaintext", c.TLS, err)
	}
	t.Setenv("CALCULATOR_TLS_CERT_FILE", t.TempDir()+"/tls.crt")
	if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), "CALCULATOR_TLS_KEY_FILE") {
		t.Fatalf("a certificate without its key: %v", err)
	}
	if _, err := LoadConfig([]string{"-tls-key-file", t.TempDir() + "/tls.key"}); err == nil || !strings.Contains(err.Error(), "CALCULATOR_TLS_CERT_FILE") {
		t.Fatalf("missing files: %v", err)
	}
}
