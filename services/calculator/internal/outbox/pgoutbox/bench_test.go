package pgoutbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/distsum/distsum/services/calculator/internal/outbox"
	"github.com/distsum/distsum/tests/testkit"
)

// BenchmarkAppend measures durable appends (synchronous_commit=on) with 1
// and 64 concurrent callers on a real server; commits/op shows how many
// appends share a commit. Run:
// go test -run=NONE -bench=Append ./services/calculator/internal/outbox/pgoutbox
func BenchmarkAppend(b *testing.B) {
	pg := testkit.StartPostgres(b)
	for _, callers := range []int{1, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			obs := &countingObserver{}
			s, err := Open(context.Background(), pg.NewDatabase(b), Options{Metrics: obs, Logger: testLog})
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
					if _, err := s.Append(context.Background(), outbox.Entry{RequestID: fmt.Sprint("r", n), Num1: n, Num2: 1, Sum: n + 1}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(obs.commits.Load())/float64(b.N), "commits/op")
		})
	}
}
