package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tools/bench/report"
)

// target is one gRPC server under load (the calculator or the ceiling), with a
// pool of connections that every run reuses.
type target struct {
	name    string
	conns   []*grpc.ClientConn
	clients []calculatorpb.CalculatorServiceClient
	runID   string
	step    atomic.Int64
	// last acknowledged token, per producer
	mu   sync.Mutex
	last map[string]uint64
}

const maxConns = 8

func dial(name, addr, runID string) (*target, error) {
	t := &target{name: name, runID: runID, last: map[string]uint64{}}
	for i := 0; i < maxConns; i++ {
		c, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.close()
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
		t.conns = append(t.conns, c)
		t.clients = append(t.clients, calculatorpb.NewCalculatorServiceClient(c))
	}
	return t, nil
}

func (t *target) close() {
	for _, c := range t.conns {
		c.Close()
	}
}

func (t *target) acked(r *calculatorpb.AddResponse) {
	t.mu.Lock()
	if r.GetSequence() > t.last[r.GetProducerId()] {
		t.last[r.GetProducerId()] = r.GetSequence()
	}
	t.mu.Unlock()
}

// tokens are the highest acknowledged Add of each producer: once they are
// counted, every acknowledged Add is.
func (t *target) tokens() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for p, s := range t.last {
		out = append(out, fmt.Sprintf("%s:%d", p, s))
	}
	return out
}

// add sends one Add with a request_id unique to this run, like a client that
// wants retries to be safe.
func (t *target) add(ctx context.Context, client int, step int64, n int64) (*calculatorpb.AddResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := t.clients[client%len(t.clients)].Add(ctx, &calculatorpb.AddRequest{
		Num1: n % 1000, Num2: 1, RequestId: fmt.Sprintf("bench-%s-%d-%d", t.runID, step, n)})
	if err == nil {
		t.acked(r)
	}
	return r, err
}

// closedLoop runs inFlight callers for warm+d (only d is measured), or until
// count Adds are acknowledged when count > 0.
func (t *target) closedLoop(ctx context.Context, inFlight int, warm, d time.Duration, count int64) report.Closed {
	step := t.step.Add(1)
	conns := min(inFlight, maxConns)
	var seq, acked, errs atomic.Int64
	var measuring atomic.Bool
	lats := make([][]time.Duration, inFlight)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var start time.Time
	var startOnce sync.Once
	begin := func() { startOnce.Do(func() { start = time.Now(); measuring.Store(true) }) }
	if warm <= 0 {
		begin()
	} else {
		time.AfterFunc(warm, begin)
	}
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil {
				n := seq.Add(1)
				t0 := time.Now()
				_, err := t.add(ctx, w%conns, step, n)
				lat := time.Since(t0)
				if ctx.Err() != nil {
					return
				}
				if !measuring.Load() {
					continue
				}
				if err != nil {
					errs.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				lats[w] = append(lats[w], lat)
				if a := acked.Add(1); count > 0 && a >= count {
					cancel()
				}
			}
		}(w)
	}
	if count <= 0 {
		select {
		case <-time.After(warm + d):
		case <-ctx.Done():
		}
		cancel()
	}
	wg.Wait()
	begin()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return report.Closed{InFlight: inFlight, Conns: conns, Seconds: elapsed.Seconds(), PerS: float64(len(all)) / elapsed.Seconds(),
		Errors: errs.Load(), Latency: report.Summarize(all)}
}

// maxOutstanding bounds the Adds an open-loop run keeps waiting for; an Add
// due beyond it is dropped (and the rate is not sustainable).
const maxOutstanding = 8192

// openLoop sends Adds at rate for d on a fixed schedule and measures each from
// its scheduled time. Every e2eEvery-th acknowledged Add is followed into
// GET /total?after=TOKEN to time accepted → counted.
func (t *target) openLoop(ctx context.Context, totals *totalsclient.Client, rate float64, d time.Duration) report.Open {
	step := t.step.Add(1)
	n := int64(rate * d.Seconds())
	e2eEvery := max(1, int64(rate/100)) // ~100 end-to-end probes a second
	var wg, probes sync.WaitGroup
	var mu sync.Mutex
	var lats, e2e []time.Duration
	var errs, dropped, e2eErrs atomic.Int64
	var lastAck atomic.Int64
	sem := make(chan struct{}, maxOutstanding)
	start := time.Now()
	for i := int64(0); i < n && ctx.Err() == nil; {
		due := min(n, int64(time.Since(start).Seconds()*rate)+1)
		for ; i < due; i++ {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			select {
			case sem <- struct{}{}:
			default:
				dropped.Add(1)
				continue
			}
			wg.Add(1)
			go func(i int64, at time.Time) {
				defer wg.Done()
				r, err := t.add(ctx, int(i), step, i)
				<-sem
				now := time.Now()
				if err != nil {
					errs.Add(1)
					return
				}
				lastAck.Store(now.UnixNano())
				mu.Lock()
				lats = append(lats, now.Sub(at))
				mu.Unlock()
				if totals != nil && i%e2eEvery == 0 {
					probes.Add(1)
					go func() {
						defer probes.Done()
						pctx, cancel := context.WithTimeout(ctx, 35*time.Second)
						defer cancel()
						if _, err := totals.AwaitCounted(pctx, r.GetToken()); err != nil {
							e2eErrs.Add(1)
							return
						}
						lat := time.Since(now)
						mu.Lock()
						e2e = append(e2e, lat)
						mu.Unlock()
					}()
				}
			}(i, at)
		}
		time.Sleep(500 * time.Microsecond)
	}
	wg.Wait()
	elapsed := max(d, time.Unix(0, lastAck.Load()).Sub(start))
	probes.Wait()
	o := report.Open{Rate: rate, Seconds: elapsed.Seconds(), Errors: errs.Load(), Dropped: dropped.Load()}
	o.Achieved = float64(len(lats)) / elapsed.Seconds()
	o.Latency = report.Summarize(lats)
	o.E2E = report.Summarize(e2e)
	for _, l := range e2e {
		o.E2ESamples = append(o.E2ESamples, float64(l.Microseconds())/1000)
	}
	o.Errors += e2eErrs.Load()
	o.AddsKeepUp = o.Achieved >= 0.97*rate && o.Dropped == 0 && errs.Load() == 0 && o.Latency.P99 < 1000
	// A pipeline slower than the arrival rate falls further behind every
	// second, so over a run of several seconds its p99 passes 1 s.
	o.PipelineKeepsUp = e2eErrs.Load() == 0 && o.E2E.N > 0 && o.E2E.P99 < 1000
	o.Sustainable = o.AddsKeepUp && o.PipelineKeepsUp
	return o
}

// getLoop runs conns readers of GET /total for d.
func getLoop(ctx context.Context, baseURL string, conns int, d time.Duration) report.Throughput {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	c := totalsclient.New(baseURL, &http.Client{Transport: tr, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lats := make([][]time.Duration, conns)
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := c.Total(ctx)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return report.Throughput{Conns: conns, Seconds: elapsed.Seconds(), PerS: float64(len(all)) / elapsed.Seconds(), Errors: errs.Load(), Latency: report.Summarize(all)}
}
