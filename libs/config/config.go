// Package config defines command-line flags whose defaults come from
// environment variables, so every setting works both ways
// (flag > environment > built-in default) and `-h` shows the variable name.
// Settings that several services share are defined once, as groups that
// bind their flags into a struct (kafka.Settings, service.Ops).
package config

import (
	"encoding"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Set wraps a FlagSet and records the first bad environment value.
type Set struct {
	FS  *flag.FlagSet
	err error
}

// New returns a Set over a new FlagSet named name.
func New(name string) *Set {
	return &Set{FS: flag.NewFlagSet(name, flag.ContinueOnError)}
}

func usageOf(usage, env string) string { return fmt.Sprintf("%s (env %s)", usage, env) }

// fromEnv returns env's value parsed by parse, or def when env is unset. A
// value that does not parse is recorded as the set's error.
func fromEnv[T any](s *Set, env string, def T, parse func(string) (T, error)) T {
	v, ok := os.LookupEnv(env)
	if !ok {
		return def
	}
	x, err := parse(v)
	if err != nil {
		s.fail(env, v, err)
		return def
	}
	return x
}

// StringVar defines a string setting stored in p.
func (s *Set) StringVar(p *string, name, env, def, usage string) {
	s.FS.StringVar(p, name, fromEnv(s, env, def, func(v string) (string, error) { return v, nil }), usageOf(usage, env))
}

// IntVar defines an int setting stored in p.
func (s *Set) IntVar(p *int, name, env string, def int, usage string) {
	s.FS.IntVar(p, name, fromEnv(s, env, def, strconv.Atoi), usageOf(usage, env))
}

// BoolVar defines a boolean setting stored in p.
func (s *Set) BoolVar(p *bool, name, env string, def bool, usage string) {
	s.FS.BoolVar(p, name, fromEnv(s, env, def, strconv.ParseBool), usageOf(usage, env))
}

// DurationVar defines a duration setting ("250ms", "5s") stored in p.
func (s *Set) DurationVar(p *time.Duration, name, env string, def time.Duration, usage string) {
	s.FS.DurationVar(p, name, fromEnv(s, env, def, time.ParseDuration), usageOf(usage, env))
}

// ListVar defines a comma-separated list setting ("a:1, b:2") stored in p;
// spaces are trimmed and empty entries dropped.
func (s *Set) ListVar(p *[]string, name, env, def, usage string) {
	*p = SplitList(fromEnv(s, env, def, func(v string) (string, error) { return v, nil }))
	s.FS.Func(name, usageOf(usage, env)+" (default \""+def+"\")", func(v string) error {
		*p = SplitList(v)
		return nil
	})
}

// TextVar defines a setting of a type that parses itself (slog.Level),
// stored in p, whose current value is the default.
func (s *Set) TextVar(p interface {
	encoding.TextUnmarshaler
	encoding.TextMarshaler
}, name, env, usage string) {
	if v, ok := os.LookupEnv(env); ok {
		if err := p.UnmarshalText([]byte(v)); err != nil {
			s.fail(env, v, err)
		}
	}
	s.FS.TextVar(p, name, p, usageOf(usage, env))
}

// String defines a string setting.
func (s *Set) String(name, env, def, usage string) *string {
	p := new(string)
	s.StringVar(p, name, env, def, usage)
	return p
}

// Int defines an int setting.
func (s *Set) Int(name, env string, def int, usage string) *int {
	p := new(int)
	s.IntVar(p, name, env, def, usage)
	return p
}

// Bool defines a boolean setting.
func (s *Set) Bool(name, env string, def bool, usage string) *bool {
	p := new(bool)
	s.BoolVar(p, name, env, def, usage)
	return p
}

// Duration defines a duration setting.
func (s *Set) Duration(name, env string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	s.DurationVar(p, name, env, def, usage)
	return p
}

func (s *Set) fail(env, v string, err error) {
	if s.err == nil {
		s.err = fmt.Errorf("environment %s=%q: %v", env, v, err)
	}
}

// Parse parses args and reports the first bad environment value or flag.
func (s *Set) Parse(args []string) error {
	if s.err != nil {
		return s.err
	}
	return s.FS.Parse(args)
}

// SplitList splits a comma-separated list, trimming spaces and dropping
// empty entries. An empty string gives nil.
func SplitList(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
