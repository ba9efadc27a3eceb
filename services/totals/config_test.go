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

// TestDedupeSwitchOnlyInTestBuilds: a service build has no way to count
// duplicates; asked for it by environment it refuses to start, and the flag
// does not exist. The test build (tag distsum_unsafe_disable_dedupe) has it.
func TestDedupeSwitchOnlyInTestBuilds(t *testing.T) {
	if unsafeDedupeSetting != nil { // go test -tags distsum_unsafe_disable_dedupe
		t.Setenv(envUnsafeDisableDedupe, "true")
		if c, err := LoadConfig(nil); err != nil || !c.DisableDedupe {
			t.Fatalf("test build with %s=true: %+v, %v", envUnsafeDisableDedupe, c.DisableDedupe, err)
		}
		return
	}
	if c, err := LoadConfig(nil); err != nil || c.DisableDedupe {
		t.Fatalf("defaults: dedupe off %v, %v", c.DisableDedupe, err)
	}
	_, err := LoadConfig([]string{"-unsafe-disable-dedupe"})
	if err == nil || !strings.Contains(err.Error(), "flag provided but not defined: -unsafe-disable-dedupe") {
		t.Fatalf("-unsafe-disable-dedupe in a service build: %v, want an unknown flag", err)
	}
	for _, v := range []string{"true", "false"} {
		t.Setenv(envUnsafeDisableDedupe, v)
		_, err := LoadConfig(nil)
		if err == nil || !strings.Contains(err.Error(), envUnsafeDisableDedupe) || !strings.Contains(err.Error(), "cannot turn deduplication off") {
			t.Fatalf("%s=%s in a service build: %v, want a refusal naming it", envUnsafeDisableDedupe, v, err)
		}
	}
}

func TestSaveGapSetting(t *testing.T) {
	t.Setenv("TOTALS_SAVE_GAP", "7ms")
	if c, err := LoadConfig(nil); err != nil || c.SaveGap.Milliseconds() != 7 {
		t.Fatalf("TOTALS_SAVE_GAP=7ms: %v %v", c.SaveGap, err)
	}
	for _, bad := range []string{"-1ms", "2m"} {
		if _, err := LoadConfig([]string{"-save-gap", bad}); err == nil || !strings.Contains(err.Error(), "save gap") {
			t.Fatalf("save gap %s: %v, want an error", bad, err)
		}
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
