package outbox

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppendMaxBatch measures durable appends (synchronous=FULL) from 64
// concurrent callers with the group commit capped at MaxBatch appends. max=1
// is one transaction and one fsync per Add at the same durability: make
// bench reports max=1024 (the default) over max=1 as the group-commit gain.
// Run: go test -run=NONE -bench=AppendMaxBatch ./services/calculator/internal/outbox
func BenchmarkAppendMaxBatch(b *testing.B) {
	for _, maxBatch := range []int{1, 16, 128, 1024} {
		b.Run(fmt.Sprintf("max=%d", maxBatch), func(b *testing.B) {
			obs := &countingObserver{}
			s, err := Open(filepath.Join(b.TempDir(), "outbox.db"), Options{Metrics: obs, MaxBatch: maxBatch})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var id atomic.Int64
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0))) // 64 callers
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
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			if c := obs.commits.Load(); c > 0 {
				b.ReportMetric(float64(obs.appends.Load())/float64(c), "appends/commit")
			}
		})
	}
}

// BenchmarkPendingAndMark measures the relay's side of the outbox: reading a
// batch of pending events in order and marking it published.
func BenchmarkPendingAndMark(b *testing.B) {
	for _, batch := range []int{100, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "outbox.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			fill := func(n int) {
				done := make(chan error, n)
				for i := 0; i < n; i++ {
					go func() {
						_, err := s.Append(ctx, Entry{Num1: 1, Num2: 2, Sum: 3})
						done <- err
					}()
				}
				for i := 0; i < n; i++ {
					if err := <-done; err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fill(batch)
				b.StartTimer()
				evs, err := s.Pending(ctx, 0, batch)
				if err != nil || len(evs) != batch {
					b.Fatalf("pending: %d events, %v", len(evs), err)
				}
				if err := s.MarkPublished(ctx, evs[len(evs)-1].Sequence); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkMarkUnderAppends is the relay's read-and-mark cycle while 64
// callers append without pause: both need SQLite's write lock, and a
// statement that finds it taken waits in SQLite's busy handler (sleeps of
// up to 100 ms), not in a queue. max-ms is the slowest cycle.
func BenchmarkMarkUnderAppends(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "outbox.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var id atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := id.Add(1)
				s.Append(ctx, Entry{RequestID: fmt.Sprint("r", n), Num1: n, Num2: 1, Sum: n + 1})
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	var slowest time.Duration
	marked := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		evs, err := s.Pending(context.Background(), 0, 500)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) > 0 {
			if err := s.MarkPublished(context.Background(), evs[len(evs)-1].Sequence); err != nil {
				b.Fatal(err)
			}
			marked += len(evs)
		}
		slowest = max(slowest, time.Since(t0))
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(marked)/b.Elapsed().Seconds(), "marked/s")
	b.ReportMetric(float64(id.Load())/b.Elapsed().Seconds(), "appends/s")
}
