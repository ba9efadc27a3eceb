package consumer

import (
	"strings"
	"testing"
)

func TestChangedTopic(t *testing.T) {
	next := map[int32]int64{0: 30, 2: 5}
	if why := changed("id1", "id1", next, map[int32]int64{0: 30, 1: 0, 2: 9}); why != "" {
		t.Fatalf("same topic: %s", why)
	}
	if why := changed("", "id1", next, map[int32]int64{0: 40, 2: 9}); why != "" {
		t.Fatalf("an old state without an id: %s", why)
	}
	if why := changed("id0", "id1", next, map[int32]int64{0: 40, 2: 9}); !strings.Contains(why, "deleted and created again") {
		t.Fatalf("another id: %q", why)
	}
	// No id to compare (an old state, or the id unreadable): a saved offset
	// past the end gives the change away.
	if why := changed("", "", next, map[int32]int64{0: 12, 2: 9}); !strings.Contains(why, "partition 0 ends at offset 12, the state's next offset is 30") {
		t.Fatalf("offset past the end: %q", why)
	}
}
