// Package config defines command-line flags whose defaults come from
// environment variables, so every setting works both ways
// (flag > environment > built-in default) and `-h` shows the variable name.
package config

import (
	"flag"
	"fmt"
	"os"
	"strconv"
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

func (s *Set) usage(usage, env string) string { return fmt.Sprintf("%s (env %s)", usage, env) }

// String defines a string setting.
func (s *Set) String(name, env, def, usage string) *string {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	return s.FS.String(name, def, s.usage(usage, env))
}

// Int defines an int setting.
func (s *Set) Int(name, env string, def int, usage string) *int {
	if v, ok := os.LookupEnv(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.fail(env, v, err)
		} else {
			def = n
		}
	}
	return s.FS.Int(name, def, s.usage(usage, env))
}

// Bool defines a boolean setting.
func (s *Set) Bool(name, env string, def bool, usage string) *bool {
	if v, ok := os.LookupEnv(env); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(env, v, err)
		} else {
			def = b
		}
	}
	return s.FS.Bool(name, def, s.usage(usage, env))
}

// Duration defines a duration setting ("250ms", "5s").
func (s *Set) Duration(name, env string, def time.Duration, usage string) *time.Duration {
	if v, ok := os.LookupEnv(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			s.fail(env, v, err)
		} else {
			def = d
		}
	}
	return s.FS.Duration(name, def, s.usage(usage, env))
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
