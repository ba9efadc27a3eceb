package main

import (
	"strings"
	"testing"
)

func TestLimitSettings(t *testing.T) {
	c, err := LoadConfig(nil)
	if err != nil || c.MaxWaiters != 1024 || c.Ops.HTTP.WriteTimeout.Seconds() != 40 {
		t.Fatalf("defaults: %d %+v %v", c.MaxWaiters, c.Ops.HTTP, err)
	}
	// The write timeout must outlast the longest ?after= wait, or net/http
	// would cut the answer of a legitimate 30 s wait.
	if _, err := LoadConfig([]string{"-http-write-timeout", "30s"}); err == nil || !strings.Contains(err.Error(), "?after=") {
		t.Fatalf("a write timeout of 30s: %v, want an error naming ?after=", err)
	}
	if _, err := LoadConfig([]string{"-max-waiters", "0"}); err == nil {
		t.Fatal("zero max waiters accepted")
	}
}

func TestTLSSettings(t *testing.T) {
	if c, err := LoadConfig(nil); err != nil || c.TLS.Enabled() {
		t.Fatalf("default: TLS %+v %v, want plaintext", c.TLS, err)
	}
	t.Setenv("TOTALS_TLS_CLIENT_CA_FILE", t.TempDir()+"/ca.pem")
	if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), "TOTALS_TLS_CLIENT_CA_FILE needs TLS") {
		t.Fatalf("a client CA without TLS: %v", err)
	}
}
