package integration

import (
	"fmt"
	"os"
	"testing"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

// TestOutboxScaleOutThroughput measures Adds/s and p99 latency at 64 Adds
// in flight against 1 and 3 calculators on SQLite and on PostgreSQL
// outboxes, in one run on one Kafka, one PostgreSQL and one totals service,
// and checks every acknowledged Add is counted exactly once. A measurement
// (minutes of CPU on a shared machine), so it runs only with
// DISTSUM_MEASURE=1:
//
//	DISTSUM_MEASURE=1 flock /tmp/distsum-heavy.lock go test ./tests/integration -run TestOutboxScaleOutThroughput -v
func TestOutboxScaleOutThroughput(t *testing.T) {
	if os.Getenv("DISTSUM_MEASURE") == "" {
		t.Skip("a measurement: set DISTSUM_MEASURE=1")
	}
	const adds, inFlight = 8000, 64
	k := startKafka(t)
	pg := testkit.StartPostgres(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	o := addload.NewOracle()
	type row struct {
		backend   string
		instances int
		throughput
	}
	var rows []row
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, instances := range []int{1, 3} {
			var env []string
			if backend == "postgres" {
				env = []string{"CALCULATOR_OUTBOX=postgres", "CALCULATOR_POSTGRES_URL=" + pg.NewDatabase(t)}
			}
			var calcs []*testkit.Calculator
			var clients []calculatorpb.CalculatorServiceClient
			for i := 0; i < instances; i++ {
				c := testkit.StartCalculator(t, k.Bootstrap(), env...)
				calcs = append(calcs, c)
				clients = append(clients, c.Client(t))
			}
			w := &addload.Workload{Clients: clients, Oracle: o, Prefix: fmt.Sprintf("%s-%d", backend, instances),
				Workers: inFlight, Seed: 11}
			rows = append(rows, row{backend, instances, measure(t, w, 500, adds)})
			// Counted before the instances go (a stopped SQLite instance
			// would keep its backlog until it came back).
			settle(t, totals, o)
			for _, c := range calcs {
				c.Stop()
			}
		}
	}
	t.Logf("%d Adds per run, %d in flight, durable commits (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on):", adds, inFlight)
	for _, r := range rows {
		t.Logf("  %-8s x%d  %7.0f Adds/s  p50 %6.2f ms  p99 %6.2f ms", r.backend, r.instances, r.perSec,
			ms(r.p50), ms(r.p99))
	}
}
