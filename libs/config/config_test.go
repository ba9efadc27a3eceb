package config

import (
	"testing"
	"time"
)

func TestFlagOverEnvOverDefault(t *testing.T) {
	t.Setenv("T_ADDR", ":1")
	t.Setenv("T_WAIT", "250ms")
	s := New("t")
	addr := s.String("addr", "T_ADDR", ":9", "address")
	wait := s.Duration("wait", "T_WAIT", time.Second, "wait")
	n := s.Int("n", "T_N", 7, "n")
	if err := s.Parse([]string{"-addr", ":2"}); err != nil {
		t.Fatal(err)
	}
	if *addr != ":2" || *wait != 250*time.Millisecond || *n != 7 {
		t.Fatalf("addr=%s wait=%s n=%d", *addr, *wait, *n)
	}
}

func TestBadEnvironmentValueIsAnError(t *testing.T) {
	t.Setenv("T_N", "many")
	s := New("t")
	s.Int("n", "T_N", 1, "n")
	if err := s.Parse(nil); err == nil {
		t.Fatal("bad T_N accepted")
	}
}
