package consumer

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCoverage(t *testing.T) {
	for _, tc := range []struct {
		claimed    []int32
		partitions int
		unassigned int
		detail     string
	}{
		{[]int32{0, 1, 2}, 3, 0, ""},
		{[]int32{2, 0, 1}, 3, 0, ""},
		{[]int32{2, 0}, 3, 1, "reading partitions [0 2] of 3: TOTALS_GROUP_ID shared with another replica?"},
		{nil, 3, 3, "reading partitions [] of 3"},
		// A partition added to the topic is not read until the next session.
		{[]int32{0, 1, 2}, 4, 1, "reading partitions [0 1 2] of 4"},
	} {
		n, err := coverage(tc.claimed, tc.partitions)
		if n != tc.unassigned || (tc.detail == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.detail)) {
			t.Errorf("coverage(%v, %d) = %d, %v; want %d, %q", tc.claimed, tc.partitions, n, err, tc.unassigned, tc.detail)
		}
	}
}

type fakeTopology struct {
	partitions     int
	id             string
	oldest, newest map[int32]int64
}

func (f fakeTopology) Partitions(string) (int, error) { return f.partitions, nil }
func (f fakeTopology) TopicID(string) (string, error) { return f.id, nil }
func (f fakeTopology) Bounds(string, []int32) (map[int32]int64, map[int32]int64, error) {
	return f.oldest, f.newest, nil
}

func TestConsumerServesOnlyWhileItReadsEveryPartition(t *testing.T) {
	c, _ := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	c.WithTopology(fakeTopology{partitions: 3})
	c.checkCoverage([]int32{0, 1, 2})
	if err := c.Serving(); err != nil {
		t.Fatalf("every partition claimed: %v", err)
	}
	c.checkCoverage([]int32{1})
	if err := c.Serving(); err == nil || !strings.Contains(err.Error(), "reading partitions [1] of 3") {
		t.Fatalf("partial claims: %v", err)
	}
	if v := testutil.ToFloat64(c.m.unassigned); v != 2 {
		t.Fatalf("totals_partitions_unassigned = %v", v)
	}
	// Negative control: without the check (no topology) nothing stops a
	// partial total from being served.
	off, _ := newConsumer(t, filepath.Join(t.TempDir(), "state"))
	off.checkCoverage([]int32{1})
	if err := off.Serving(); err != nil {
		t.Fatalf("no check: %v", err)
	}
	c.checkCoverage([]int32{2, 1, 0})
	if err := c.Serving(); err != nil {
		t.Fatalf("every partition claimed again: %v", err)
	}
}
