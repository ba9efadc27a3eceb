package integration

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/distsum/distsum/tests/testkit/addload"
)

// throughput is one measured run of a workload: Adds/s over the run and the
// acknowledged Adds' latency percentiles.
type throughput struct {
	perSec   float64
	p50, p99 time.Duration
}

// measure runs w for n Adds and returns its figures, after warm Adds through
// the same clients (connections, first commits) that are not measured. It
// sets w.OnAck.
func measure(t *testing.T, w *addload.Workload, warm, n int) throughput {
	t.Helper()
	if warm > 0 {
		wu := &addload.Workload{Client: w.Client, Clients: w.Clients, Oracle: w.Oracle, Prefix: w.Prefix + "-warm",
			Workers: w.Workers, Seed: w.Seed + 1}
		if err := wu.Run(context.Background(), warm); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	lat := make([]time.Duration, 0, n)
	w.OnAck = func(a addload.Attempt) {
		mu.Lock()
		lat = append(lat, a.Latency)
		mu.Unlock()
	}
	start := time.Now()
	if err := w.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	slices.Sort(lat)
	return throughput{float64(n) / took.Seconds(), lat[len(lat)/2], lat[len(lat)*99/100]}
}

// ms is d in milliseconds, for the figures' log lines.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
