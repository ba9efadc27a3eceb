package state

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// BenchmarkStoreSave is one periodic flush as totals does it: snapshot the
// ledger, encode it with its checksum, write a temp file, fsync, rename and
// fsync the directory. The state is O(producers + partitions), so the cost
// should not grow with the events applied; producers=1000 shows the size
// effect.
func BenchmarkStoreSave(b *testing.B) {
	for _, producers := range []int{1, 16, 1000} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			l := ledger.New("t", true)
			s, err := Open(filepath.Join(b.TempDir(), "state"), l, quiet())
			if err != nil {
				b.Fatal(err)
			}
			seqs := make([]uint64, producers)
			off := int64(0)
			apply := func() {
				for p := range seqs {
					seqs[p]++
					l.Apply(int32(p%3), off, sumevent.Event{ProducerID: fmt.Sprintf("calc-%04d", p), Sequence: seqs[p], Sum: 3})
					off++
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				apply() // something changed, so Save writes
				b.StartTimer()
				if _, changed, err := s.Save(nil); err != nil || !changed {
					b.Fatalf("save: changed=%v err=%v", changed, err)
				}
			}
		})
	}
}
