package integration

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
)

// crossRetry sends each Add to one calculator and the same request_id again
// to ANOTHER one, as a client behind a load balancer does when it retries
// after a lost answer: half of the retries after the first answer, half at
// the same time as the first attempt. It returns the expected total (each
// request once) and, per producer, the highest sequence any answer named.
type crossRetry struct {
	expected big.Int
	last     map[string]uint64
	fresh    int // retries answered as a new event (not replayed)
	mu       sync.Mutex
}

func runCrossRetries(t *testing.T, clients []calculatorpb.CalculatorServiceClient, prefix string, n int) *crossRetry {
	t.Helper()
	r := &crossRetry{last: map[string]uint64{}}
	add := func(c calculatorpb.CalculatorServiceClient, req *calculatorpb.AddRequest) *calculatorpb.AddResponse {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := c.Add(ctx, req)
		if err != nil {
			t.Errorf("Add %s: %v", req.GetRequestId(), err)
			return nil
		}
		tok, _ := sumevent.ParseToken(resp.GetToken())
		r.mu.Lock()
		r.last[tok.ProducerID] = max(r.last[tok.ProducerID], tok.Sequence)
		r.mu.Unlock()
		return resp
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				req := &calculatorpb.AddRequest{Num1: int64(i + 1), Num2: 1, RequestId: fmt.Sprintf("%s-%d", prefix, i)}
				first, other := clients[i%len(clients)], clients[(i+1)%len(clients)]
				var a, b *calculatorpb.AddResponse
				if i%2 == 0 {
					a = add(first, req)
					b = add(other, req)
				} else {
					var inner sync.WaitGroup
					inner.Add(2)
					go func() { defer inner.Done(); a = add(first, req) }()
					go func() { defer inner.Done(); b = add(other, req) }()
					inner.Wait()
				}
				if a == nil || b == nil {
					continue
				}
				r.mu.Lock()
				r.expected.Add(&r.expected, big.NewInt(int64(i+2)))
				if a.GetToken() != b.GetToken() {
					r.fresh++
				}
				r.mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return r
}

// settleTokens waits until every producer's highest answered event is
// counted and returns the total then.
func (r *crossRetry) settle(t *testing.T, totals *testkit.Totals) *big.Int {
	t.Helper()
	for p, q := range r.last {
		totals.WaitCounted(t, sumevent.Token{ProducerID: p, Sequence: q}.String(), 90*time.Second)
	}
	// Give a late double count every chance to show up.
	time.Sleep(time.Second)
	return totals.Total(t)
}

// Three calculators on one PostgreSQL outbox behind "one address": a retry
// that reaches another instance is answered from the first Add and counted
// once. Then an instance dies for good with unpublished events (its relay
// cannot reach Kafka), and another instance publishes them.
func TestSharedPostgresOutboxCountsCrossInstanceRetriesOnce(t *testing.T) {
	k := startKafka(t)
	pg := testkit.StartPostgres(t)
	url := pg.NewDatabase(t)
	env := []string{"CALCULATOR_OUTBOX=postgres", "CALCULATOR_POSTGRES_URL=" + url, "CALCULATOR_ADOPT_INTERVAL=1s"}
	var calcs []*testkit.Calculator
	var clients []calculatorpb.CalculatorServiceClient
	for i := 0; i < 3; i++ {
		c := testkit.StartCalculator(t, k.Bootstrap(), env...)
		calcs = append(calcs, c)
		clients = append(clients, c.Client(t))
	}
	totals := testkit.StartTotals(t, k.Bootstrap())

	const n = 1500
	r := runCrossRetries(t, clients, "pg", n)
	if r.fresh != 0 {
		t.Fatalf("%d of %d retries on another instance were recorded as new Adds", r.fresh, n)
	}
	got := r.settle(t, totals)
	t.Logf("%d Adds, each retried on another instance: total %s, expected %s, producers %d", n, got, &r.expected, len(r.last))
	if got.Cmp(&r.expected) != 0 {
		t.Fatalf("total %s, want %s", got, &r.expected)
	}

	// A fourth instance whose relay cannot reach Kafka takes Adds into the
	// shared outbox, then dies for good (kill -9): its events are stranded
	// unless another instance adopts them.
	doomed := testkit.StartCalculator(t, "127.0.0.1:1", env...)
	dc := doomed.Client(t)
	var lost []string
	sum := new(big.Int)
	for i := 0; i < 200; i++ {
		resp, err := dc.Add(context.Background(), &calculatorpb.AddRequest{Num1: 1000, Num2: int64(i), RequestId: fmt.Sprint("orphan-", i)})
		if err != nil {
			t.Fatal(err)
		}
		lost = append(lost, resp.GetToken())
		sum.Add(sum, big.NewInt(1000+int64(i)))
	}
	doomed.Kill()
	died := time.Now()
	totals.WaitCounted(t, lost[len(lost)-1], 60*time.Second)
	adoptDelay := time.Since(died)
	want := new(big.Int).Add(&r.expected, sum)
	if got := totals.Total(t); got.Cmp(want) != 0 {
		t.Fatalf("total after adoption %s, want %s", got, want)
	}
	t.Logf("200 events of a killed instance counted %s after its death (adopt interval 1s)", adoptDelay.Round(time.Millisecond))
}

// The negative control: the same cross-instance retries on per-instance
// SQLite outboxes are counted twice — each instance has its own keys.
func TestPerInstanceSQLiteOutboxesDoubleCountCrossInstanceRetries(t *testing.T) {
	k := startKafka(t)
	var clients []calculatorpb.CalculatorServiceClient
	for i := 0; i < 3; i++ {
		clients = append(clients, testkit.StartCalculator(t, k.Bootstrap()).Client(t))
	}
	totals := testkit.StartTotals(t, k.Bootstrap())
	const n = 300
	r := runCrossRetries(t, clients, "sqlite", n)
	got := r.settle(t, totals)
	t.Logf("%d Adds, each retried on another instance: total %s, expected %s, retries recorded anew %d", n, got, &r.expected, r.fresh)
	if r.fresh != n || got.Cmp(&r.expected) <= 0 {
		t.Fatalf("per-instance SQLite outboxes: %d retries recorded anew, total %s vs expected %s: double counting not detected", r.fresh, got, &r.expected)
	}
	if double := new(big.Int).Mul(&r.expected, big.NewInt(2)); got.Cmp(double) != 0 {
		t.Fatalf("total %s, want every Add counted twice (%s)", got, double)
	}
}
