package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend measures durable appends (synchronous=FULL) with 1 and 64
// concurrent callers; the commits/op figure shows how many appends share an
// fsync. Run: go test -run=NONE -bench=Append ./services/calculator/internal/outbox
func BenchmarkAppend(b *testing.B) {
	for _, callers := range []int{1, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			obs := &countingObserver{}
			s, err := Open(filepath.Join(b.TempDir(), "outbox.db"), Options{Metrics: obs})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var id atomic.Int64
			b.SetParallelism((callers + 1) / 2)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := id.Add(1)
					if _, err := s.Append(context.Background(), Entry{RequestID: fmt.Sprint("r", n), Num1: n, Num2: 1, Sum: n + 1}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(obs.commits.Load())/float64(b.N), "commits/op")
		})
	}
}
