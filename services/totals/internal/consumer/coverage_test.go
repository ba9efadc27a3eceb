package consumer

import (
	"strings"
	"testing"
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
