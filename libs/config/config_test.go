package config

import (
	"log/slog"
	"reflect"
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

func TestListAndTextSettings(t *testing.T) {
	t.Setenv("T_LIST", " a:1, ,b:2 ")
	s := New("t")
	var list []string
	var level slog.Level
	s.ListVar(&list, "list", "T_LIST", "x:9", "list")
	s.TextVar(&level, "level", "T_LEVEL", "level")
	if err := s.Parse([]string{"-level", "warn"}); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != "a:1" || list[1] != "b:2" || level != slog.LevelWarn {
		t.Fatalf("list=%q level=%v", list, level)
	}
	if err := s.FS.Parse([]string{"-list", "c:3"}); err != nil || len(list) != 1 || list[0] != "c:3" {
		t.Fatalf("flag over env: list=%q err=%v", list, err)
	}
}

// A misspelt log level is an error, not silently "info".
func TestBadTextValueIsAnError(t *testing.T) {
	t.Setenv("T_LEVEL", "verbose")
	s := New("t")
	var level slog.Level
	s.TextVar(&level, "level", "T_LEVEL", "level")
	if err := s.Parse(nil); err == nil {
		t.Fatal("LOG_LEVEL=verbose accepted")
	}
	s = New("t")
	s.TextVar(&level, "level", "T_LEVEL_UNSET", "level")
	if err := s.Parse([]string{"-level", "loud"}); err == nil {
		t.Fatal("-level loud accepted")
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":                          nil,
		" , ,":                      nil,
		"127.0.0.1:9092":            {"127.0.0.1:9092"},
		" a:1 ,b:2,, c:3 ":          {"a:1", "b:2", "c:3"},
		"127.0.0.1:9092,":           {"127.0.0.1:9092"},
		"host-a:9092,host-b:9092\n": {"host-a:9092", "host-b:9092"},
	} {
		if got := SplitList(in); !reflect.DeepEqual(got, want) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}
