// Package addload drives concurrent Adds against the calculator and keeps the oracle of what
// was acknowledged: the one Add workload of the test kit's suites (integration, end-to-end,
// live dashboards) and of the load generator (k6-tests/loadgen). It imports no testing code,
// so tools can use it.
package addload

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/proto/calculatorpb"
)

// Oracle records what the calculator acknowledged: the expected total is the
// sum over acknowledged Adds, whatever happened underneath.
type Oracle struct {
	mu      sync.Mutex
	sum     big.Int
	acked   int
	retries int
	last    map[string]uint64 // producer -> highest acknowledged sequence
}

// NewOracle returns an empty oracle.
func NewOracle() *Oracle { return &Oracle{last: map[string]uint64{}} }

func (o *Oracle) ack(sum int64, producer string, seq uint64, retries int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sum.Add(&o.sum, big.NewInt(sum))
	o.acked++
	o.retries += retries
	o.last[producer] = max(o.last[producer], seq)
}

// Expected is the sum over acknowledged Adds.
func (o *Oracle) Expected() *big.Int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return new(big.Int).Set(&o.sum)
}

// Acked is how many Adds were acknowledged; Retries how many attempts failed
// and were retried with the same request_id.
func (o *Oracle) Acked() (acked, retries int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.acked, o.retries
}

// Tokens returns, per producer, the token of its highest acknowledged Add:
// once these are counted, every acknowledged Add is.
func (o *Oracle) Tokens() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for p, q := range o.last {
		out = append(out, sumevent.Token{ProducerID: p, Sequence: q}.String())
	}
	sort.Strings(out)
	return out
}

// Retryable reports whether an Add error may be retried with the same
// request_id (the call may or may not have been recorded).
func Retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Aborted, codes.ResourceExhausted, codes.Unknown, codes.Internal:
		return true
	}
	return false
}

// Attempt is one Add call of a Workload, as passed to its hooks.
type Attempt struct {
	Worker     int // the goroutine that made it, from 0
	RequestID  string
	Num1, Num2 int64
	N          int // 0 for the first attempt with RequestID, then 1, 2, ...
	Latency    time.Duration
	Resp       *calculatorpb.AddResponse // the answer, nil when Err is set
	Err        error
}

// Workload drives Adds from Workers goroutines, each with a unique
// request_id (Prefix-i), retrying with the same id until answered.
type Workload struct {
	Client calculatorpb.CalculatorServiceClient
	// Clients, if set, replace Client: worker w calls Clients[w%len(Clients)] (several
	// connections).
	Clients []calculatorpb.CalculatorServiceClient
	// RetryElsewhere sends each retry to ANOTHER of Clients: attempt N of worker g goes to
	// Clients[(g+N)%len(Clients)], always with the same request_id (instances sharing one outbox
	// must answer it from the first attempt). Off: every attempt of worker g goes to the same one.
	RetryElsewhere bool
	Oracle         *Oracle
	Prefix         string
	Workers        int
	Seed           uint64
	// MaxNum bounds the operands, drawn from [-MaxNum, MaxNum] (0: 1000).
	MaxNum int64
	// Timeout bounds each attempt (0: 5 s).
	Timeout time.Duration
	// OnAck, if set, is called for every acknowledged Add (history for
	// diagnosis); it must be safe for concurrent use.
	OnAck func(Attempt)
	// OnFailure, if set, is called for every failed attempt (then retried
	// with the same request_id unless the error is final).
	OnFailure func(Attempt)
	// Rate paces the Adds (per second, all workers together); 0 sends as
	// fast as the workers can.
	Rate float64
	// Done counts acknowledged Adds as they happen (for fault schedules).
	Done    atomic.Int64
	stopped atomic.Bool
}

// Stop makes Run return once the Adds in flight are answered (each is still
// retried until answered, so none is left in doubt).
func (w *Workload) Stop() { w.stopped.Store(true) }

// Run sends n Adds (n <= 0: until Stop). It returns an error for an answer
// that is wrong or not retryable, or when ctx ends first (an Add in flight
// then is in doubt: cancel ctx only when the run has failed anyway).
func (w *Workload) Run(ctx context.Context, n int) error {
	maxNum := w.MaxNum
	if maxNum == 0 {
		maxNum = 1000
	}
	var next atomic.Int64
	start := time.Now()
	errc := make(chan error, w.Workers)
	var wg sync.WaitGroup
	for g := 0; g < w.Workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			pick := func(int) calculatorpb.CalculatorServiceClient { return w.Client }
			if len(w.Clients) > 0 {
				pick = func(n int) calculatorpb.CalculatorServiceClient {
					if !w.RetryElsewhere {
						n = 0
					}
					return w.Clients[(g+n)%len(w.Clients)]
				}
			}
			rng := rand.New(rand.NewPCG(w.Seed, uint64(g)))
			for {
				i := next.Add(1)
				if (n > 0 && i > int64(n)) || w.stopped.Load() {
					return
				}
				if w.Rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(i) / w.Rate * float64(time.Second)))))
				}
				a := Attempt{Worker: g, RequestID: fmt.Sprintf("%s-%d", w.Prefix, i),
					Num1: rng.Int64N(2*maxNum+1) - maxNum, Num2: rng.Int64N(2*maxNum+1) - maxNum}
				if err := w.add(ctx, pick, a); err != nil {
					errc <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// add calls Add until it is answered, with the same request_id, pausing between attempts;
// client(N) is the client of attempt N.
func (w *Workload) add(ctx context.Context, client func(n int) calculatorpb.CalculatorServiceClient, a Attempt) error {
	timeout := w.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	req := &calculatorpb.AddRequest{Num1: a.Num1, Num2: a.Num2, RequestId: a.RequestID}
	a.N = -1
	op := func() error {
		a.N++
		cctx, cancel := context.WithTimeout(ctx, timeout)
		t0 := time.Now()
		resp, err := client(a.N).Add(cctx, req)
		a.Latency = time.Since(t0)
		cancel()
		if err != nil {
			a.Err = err
			if w.OnFailure != nil {
				w.OnFailure(a)
			}
			if !Retryable(err) {
				return backoff.Permanent(fmt.Errorf("Add %s: %w", a.RequestID, err))
			}
			return err
		}
		if resp.GetSum() != a.Num1+a.Num2 {
			return backoff.Permanent(fmt.Errorf("Add(%d, %d) = %d", a.Num1, a.Num2, resp.GetSum()))
		}
		a.Resp, a.Err = resp, nil
		w.Oracle.ack(a.Num1+a.Num2, resp.GetProducerId(), resp.GetSequence(), a.N)
		if w.OnAck != nil {
			w.OnAck(a)
		}
		w.Done.Add(1)
		return nil
	}
	// Retried until answered: 50 ms after the first failure, growing to 500 ms.
	b := backoff.NewExponentialBackOff(backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMaxInterval(500*time.Millisecond), backoff.WithMaxElapsedTime(0))
	return backoff.Retry(op, backoff.WithContext(b, ctx))
}
