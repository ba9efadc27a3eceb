// Package integration runs the calculator and totals binaries as real
// processes against a real Apache Kafka broker (started by the test, from the
// Maven Central jars) and checks that every acknowledged Add is counted
// exactly once, including across kill -9.
package integration

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

const topic = "calculator-sum-topic"

func startKafka(t *testing.T) *testkit.Kafka {
	return testkit.StartKafka(t, testkit.WithKafkaTopic(topic, 3))
}

// startSystem starts a broker and both services against it.
func startSystem(t *testing.T) (*testkit.Kafka, *testkit.Calculator, *testkit.Totals) {
	k := startKafka(t)
	return k, testkit.StartCalculator(t, k.Bootstrap()), testkit.StartTotals(t, k.Bootstrap())
}

// settle waits until every acknowledged Add is counted and checks the total
// equals the sum over acknowledged Adds.
func settle(t *testing.T, totals *testkit.Totals, o *addload.Oracle) totalsclient.Stats {
	t.Helper()
	for _, tok := range o.Tokens() {
		totals.WaitCounted(t, tok, 90*time.Second)
	}
	got, want := totals.Total(t), o.Expected()
	acked, retries := o.Acked()
	stats := totals.Stats(t)
	t.Logf("acked=%d retries=%d expected=%s observed=%s duplicates_skipped=%d malformed=%d",
		acked, retries, want, got, stats.Duplicates, stats.Malformed)
	if got.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s (sum over %d acknowledged Adds)", got, want, acked)
	}
	return stats
}

func TestConcurrentAddsGiveTheExactTotal(t *testing.T) {
	_, calc, totals := startSystem(t)
	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "concurrent", Workers: 64, Seed: 1}
	start := time.Now()
	if err := w.Run(context.Background(), 10000); err != nil {
		t.Fatal(err)
	}
	acked := time.Since(start)
	settle(t, totals, o)
	t.Logf("10000 Adds acknowledged in %s (%.0f/s); all counted %s after the first", acked, 10000/acked.Seconds(), time.Since(start))
}

func TestTotalsKill9MidStream(t *testing.T) {
	_, calc, totals := startSystem(t)
	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "totals-kill", Workers: 32, Seed: 2}
	underLoad(t, w, 12000, 3, func() {
		totals.Kill()
		time.Sleep(200 * time.Millisecond)
		totals.Restart(t)
	})
	settle(t, totals, o)
}

func TestCalculatorKill9BeforePublish(t *testing.T) {
	k, calc, totals := startSystem(t)
	client := calc.Client(t)
	o := addload.NewOracle()

	// With the broker down the relay cannot publish: Adds are acknowledged
	// from the outbox alone, then the calculator dies holding them.
	k.Kill()
	w := &addload.Workload{Client: client, Oracle: o, Prefix: "before-publish", Workers: 16, Seed: 3}
	if err := w.Run(context.Background(), 2000); err != nil {
		t.Fatal(err)
	}
	calc.Kill()
	k.Restart(t)
	calc.Restart(t)
	settle(t, totals, o)

	// And kill -9 while publishing: some events are acknowledged by Kafka but
	// not yet marked, so they are published again and must be skipped.
	w = &addload.Workload{Client: client, Oracle: o, Prefix: "mid-publish", Workers: 32, Seed: 4}
	underLoad(t, w, 9000, 3, func() {
		calc.Kill()
		calc.Restart(t)
	})
	settle(t, totals, o)
}

func TestRetriedRequestIDIsCountedOnce(t *testing.T) {
	_, calc, totals := startSystem(t)
	client := calc.Client(t)
	ctx := context.Background()
	req := &calculatorpb.AddRequest{Num1: 40, Num2: 2, RequestId: "order-7f3a"}
	first, err := client.Add(ctx, req)
	if err != nil || first.GetReplayed() {
		t.Fatalf("first Add: %v %v", first, err)
	}
	for i := 0; i < 3; i++ {
		again, err := client.Add(ctx, req)
		if err != nil || !again.GetReplayed() || again.GetToken() != first.GetToken() || again.GetSum() != 42 {
			t.Fatalf("retry %d: %v %v", i, again, err)
		}
	}
	// A retry after a crash of the calculator is still answered once.
	calc.Kill()
	calc.Restart(t)
	again, err := client.Add(ctx, req)
	if err != nil || again.GetToken() != first.GetToken() {
		t.Fatalf("retry after restart: %v %v", again, err)
	}
	if _, err := client.Add(ctx, &calculatorpb.AddRequest{Num1: 1, Num2: 1, RequestId: "order-7f3a"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("same request_id with other numbers: %v", err)
	}
	if got := totals.WaitCounted(t, first.GetToken(), 30*time.Second); got.Int64() != 42 {
		t.Fatalf("total %s, want 42", got)
	}
	// Give a double count every chance to show up before checking again.
	time.Sleep(500 * time.Millisecond)
	if got := totals.Total(t); got.Int64() != 42 {
		t.Fatalf("total %s after retries, want 42", got)
	}
}

func TestMalformedRecordsAreParkedAndConsumptionGoesOn(t *testing.T) {
	k := startKafka(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	calc := testkit.StartCalculator(t, k.Bootstrap())

	producer, err := sarama.NewSyncProducer(k.Brokers(), kafka.ProducerConfig("test-garbage"))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	garbage := []string{"not json", `{"v":1,"producer":"x","seq":1,"num1":1,"num2":1,"sum":3}`, "\xff\xfe", `{"v":9}`}
	for _, g := range garbage {
		for p := int32(0); p < 3; p++ {
			if _, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: p, Value: sarama.StringEncoder(g)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "after-garbage", Workers: 8, Seed: 5}
	if err := w.Run(context.Background(), 500); err != nil {
		t.Fatal(err)
	}
	stats := settle(t, totals, o)
	if want := uint64(len(garbage)); stats.Malformed < want {
		t.Fatalf("malformed = %d, want at least %d", stats.Malformed, want)
	}
	dl, err := os.ReadFile(filepath.Join(totals.DataDir, "deadletter.jsonl"))
	if err != nil || !strings.Contains(string(dl), "not json") {
		t.Fatalf("dead-letter file: %v\n%s", err, dl)
	}
}

func TestCorruptStateStopsTotalsWithAClearError(t *testing.T) {
	k, calc, totals := startSystem(t)
	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "corrupt", Workers: 8, Seed: 6}
	if err := w.Run(context.Background(), 300); err != nil {
		t.Fatal(err)
	}
	settle(t, totals, o)
	totals.Stop()

	statePath := filepath.Join(totals.DataDir, "state")
	good, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{"truncated": good[:len(good)/2], "empty": {}} {
		os.WriteFile(statePath, bad, 0o644)
		cmd := exec.Command(testkit.ServiceBinaries(t).Totals)
		cmd.Env = append(os.Environ(), "TOTALS_DATA_DIR="+totals.DataDir, "TOTALS_HTTP_ADDR=127.0.0.1:0", "TOTALS_OPS_ADDR=127.0.0.1:0", "KAFKA_BROKERS="+k.Bootstrap())
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), statePath) {
			t.Fatalf("%s state: totals exited with %v, output:\n%s\nwant a failure naming %s", name, err, out, statePath)
		}
	}
	// The file was left as it was found: restoring it brings the total back.
	os.WriteFile(statePath, good, 0o644)
	totals.Restart(t)
	if got := totals.Total(t); got.Cmp(o.Expected()) != 0 {
		t.Fatalf("total after restoring the state: %s, want %s", got, o.Expected())
	}
}

// underLoad runs n Adds and calls fault each time another n/(faults+1) of
// them are acknowledged, so every fault lands mid-stream.
func underLoad(t *testing.T, w *addload.Workload, n, faults int, fault func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background(), n) }()
	for i := 1; i <= faults; i++ {
		waitDone(t, w, int64(i*n/(faults+1)))
		fault()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitDone(t *testing.T, w *addload.Workload, n int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for w.Done.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("workload stuck at %d acknowledged Adds (waiting for %d)", w.Done.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SIGTERM mid-load: the calculator lets in-flight Adds finish and the relay
// finish its batch, totals saves its state; after restarts nothing is lost
// or counted twice.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	_, calc, totals := startSystem(t)
	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "sigterm", Workers: 32, Seed: 7}
	stops := []*testkit.Process{calc.Process, totals.Process}
	underLoad(t, w, 6000, 2, func() {
		p := stops[0]
		stops = stops[1:]
		p.Stop()
		p.Restart(t)
	})
	settle(t, totals, o)
}

// Both services start while Kafka is down: the calculator takes Adds into
// its outbox; a totals replica without state serves no total (it cannot know
// yet whether a checkpoint holds one: never a partial 0), one with a state
// file serves its saved total; both catch up when the broker comes back.
func TestServicesStartWhileKafkaIsDown(t *testing.T) {
	k := startKafka(t)
	k.Kill()
	calc := testkit.StartCalculator(t, k.Bootstrap())
	totals := testkit.StartTotals(t, k.Bootstrap())
	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "kafka-down", Workers: 8, Seed: 8}
	if err := w.Run(context.Background(), 500); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, totals.URL+"/total"); code != http.StatusServiceUnavailable || !strings.Contains(body, "checkpoint") {
		t.Fatalf("GET /total of a replica without state while Kafka is down: %d %s, want 503 naming the checkpoint restore", code, body)
	}
	k.Restart(t)
	settle(t, totals, o)

	// Kafka down again; totals restarted on its state file serves that total.
	k.Kill()
	totals.Stop()
	totals.Restart(t)
	if got := totals.Total(t); got.Cmp(o.Expected()) != 0 {
		t.Fatalf("saved total %s served while Kafka is down, want %s", got, o.Expected())
	}
	k.Restart(t)
	w2 := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "kafka-back", Workers: 8, Seed: 9}
	if err := w2.Run(context.Background(), 200); err != nil {
		t.Fatal(err)
	}
	settle(t, totals, o)
}
