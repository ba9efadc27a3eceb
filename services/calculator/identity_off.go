//go:build distsum_no_identity_check

package main

// A calculator built with this tag starts without checking its producer id
// against the log: the negative control of tests/integration's
// producer identity tests. Never built into the service.
func init() { identityCheck = false }
