package addload

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
)

// flaky answers UNAVAILABLE to the first failures attempts of every request_id and records
// which instance took each attempt.
type flaky struct {
	calculatorpb.CalculatorServiceClient
	id    int
	mu    *sync.Mutex
	tries map[string][]int // request_id -> instance of each attempt
}

const failures = 3

func (f flaky) Add(_ context.Context, in *calculatorpb.AddRequest, _ ...grpc.CallOption) (*calculatorpb.AddResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[in.RequestId] = append(f.tries[in.RequestId], f.id)
	if len(f.tries[in.RequestId]) <= failures {
		return nil, status.Error(codes.Unavailable, "instance down")
	}
	return &calculatorpb.AddResponse{Sum: in.Num1 + in.Num2, ProducerId: "p", Sequence: 1}, nil
}

func instancesOfAttempts(t *testing.T, elsewhere bool) map[int][]int {
	t.Helper()
	mu, tries := &sync.Mutex{}, map[string][]int{}
	clients := make([]calculatorpb.CalculatorServiceClient, 3)
	for i := range clients {
		clients[i] = flaky{id: i, mu: mu, tries: tries}
	}
	var workerOf sync.Map
	w := &Workload{Clients: clients, RetryElsewhere: elsewhere, Oracle: NewOracle(), Prefix: "r", Workers: 3, Seed: 1,
		OnAck: func(a Attempt) { workerOf.Store(a.RequestID, a.Worker) }}
	if err := w.Run(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	byWorker := map[int][]int{}
	for id, inst := range tries {
		g, ok := workerOf.Load(id)
		if !ok {
			t.Fatalf("%s not acknowledged", id)
		}
		byWorker[g.(int)] = inst
	}
	return byWorker
}

// With RetryElsewhere, attempt N of worker g goes to instance (g+N)%3: every retry to another one.
func TestRetryGoesToAnotherInstance(t *testing.T) {
	for g, inst := range instancesOfAttempts(t, true) {
		for n, got := range inst {
			if want := (g + n) % 3; got != want {
				t.Errorf("worker %d attempt %d went to instance %d, want %d (all: %v)", g, n, got, want, inst)
			}
		}
	}
}

// Off (the default), a worker keeps its instance for every attempt.
func TestRetryStaysWithoutRetryElsewhere(t *testing.T) {
	for g, inst := range instancesOfAttempts(t, false) {
		for n, got := range inst {
			if got != g%3 {
				t.Errorf("worker %d attempt %d went to instance %d, want %d", g, n, got, g%3)
			}
		}
	}
}
