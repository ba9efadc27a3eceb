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
