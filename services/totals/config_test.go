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

func TestOpsAddrIsItsOwn(t *testing.T) {
	c, err := LoadConfig(nil)
	if err != nil || c.Ops.HTTPAddr != ":8080" || c.Ops.OpsListenAddr() != ":8083" {
		t.Fatalf("defaults: public %q ops %q %v", c.Ops.HTTPAddr, c.Ops.OpsListenAddr(), err)
	}
	t.Setenv("TOTALS_OPS_ADDR", "127.0.0.1:9100")
	if c, err := LoadConfig(nil); err != nil || c.Ops.OpsListenAddr() != "127.0.0.1:9100" {
		t.Fatalf("TOTALS_OPS_ADDR: %q %v", c.Ops.OpsListenAddr(), err)
	}
	if _, err := LoadConfig([]string{"-ops-addr", ":8080"}); err == nil || !strings.Contains(err.Error(), "same port") {
		t.Fatalf("-ops-addr equal to the public address: %v, want an error", err)
	}
}
