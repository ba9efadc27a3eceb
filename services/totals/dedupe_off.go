//go:build distsum_unsafe_disable_dedupe

package main

import "github.com/distsum/distsum/libs/config"

// A totals built with this tag has the setting that counts duplicates too:
// the negative control of the failure suite and of the audit test, which
// must see a double count to prove they detect one. Never built into the
// service.
func init() {
	unsafeDedupeSetting = func(s *config.Set, c *Config) {
		s.BoolVar(&c.DisableDedupe, "unsafe-disable-dedupe", envUnsafeDisableDedupe, false, "TEST ONLY: count duplicate events too")
	}
}
