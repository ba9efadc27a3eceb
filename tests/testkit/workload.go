package testkit

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

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

// Workload drives n Adds from workers goroutines, each with a unique
// request_id (prefix-i), retrying with the same id until answered.
type Workload struct {
	Client  calculatorpb.CalculatorServiceClient
	Oracle  *Oracle
	Prefix  string
	Workers int
	Seed    uint64
	// OnAck, if set, is called for every acknowledged Add (history for
	// diagnosis); it must be safe for concurrent use.
	OnAck func(requestID string, sum int64, resp *calculatorpb.AddResponse)
	// OnFailure, if set, is called for every failed attempt (then retried
	// with the same request_id unless the error is final).
	OnFailure func(requestID string, attempt int, err error)
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
	var next atomic.Int64
	start := time.Now()
	errc := make(chan error, w.Workers)
	var wg sync.WaitGroup
	for g := 0; g < w.Workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(w.Seed, uint64(g)))
			for {
				i := next.Add(1)
				if (n > 0 && i > int64(n)) || w.stopped.Load() {
					return
				}
				if w.Rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(float64(i) / w.Rate * float64(time.Second)))))
				}
				a, b := rng.Int64N(2001)-1000, rng.Int64N(2001)-1000
				if err := w.add(ctx, fmt.Sprintf("%s-%d", w.Prefix, i), a, b); err != nil {
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

func (w *Workload) add(ctx context.Context, id string, a, b int64) error {
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err := w.Client.Add(cctx, &calculatorpb.AddRequest{Num1: a, Num2: b, RequestId: id})
		cancel()
		if err == nil {
			if resp.GetSum() != a+b {
				return fmt.Errorf("Add(%d, %d) = %d", a, b, resp.GetSum())
			}
			w.Oracle.ack(a+b, resp.GetProducerId(), resp.GetSequence(), attempt)
			if w.OnAck != nil {
				w.OnAck(id, a+b, resp)
			}
			w.Done.Add(1)
			return nil
		}
		if w.OnFailure != nil {
			w.OnFailure(id, attempt, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !Retryable(err) {
			return fmt.Errorf("Add %s: %w", id, err)
		}
		time.Sleep(time.Duration(min(50*(attempt+1), 500)) * time.Millisecond)
	}
}
