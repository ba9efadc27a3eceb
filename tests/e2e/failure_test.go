// Package e2e proves the system's central promise under failure: every
// acknowledged Add is counted exactly once. Each scenario runs the services
// and a real Apache Kafka broker in containers (Testcontainers on a local
// engine), drives concurrent Adds with unique request_ids (retried with the
// same id until answered), injects its fault at least three times during the
// load, and then checks, once the system settles, that the total equals the
// sum over acknowledged Adds, that every acknowledged token is counted, and
// that the outbox backlog is back to zero.
//
// Run: E2E=1 go test ./tests/e2e (make test-e2e). E2E_ADDS sets the Adds
// per scenario (default 20,000); E2E_SEED replays the mixed scenario.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/e2e/infra"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

func TestMain(m *testing.M) { os.Exit(infra.Main(m)) }

const topic = "calculator-sum-topic"

// system is one isolated deployment: network, proxy, broker and services.
type system struct {
	net    *testcontainers.DockerNetwork
	kafka  *infra.Kafka
	calc   *infra.Service
	totals *infra.Service
	client calculatorpb.CalculatorServiceClient
	view   *testkit.Totals // REST client of the totals container
}

type options struct {
	dedupe        bool
	flushInterval string
}

func startSystem(t *testing.T, o options) *system {
	t.Helper()
	infra.RequireE2E(t)
	imgs := infra.EnsureImages(t)
	nw := infra.NewNetwork(t)
	tp := infra.StartToxiproxy(t, nw)
	k := infra.StartKafka(t, nw, "kafka", infra.ViaProxy(tp, "calculator", "totals"))
	k.CreateTopic(t, topic, 3)
	calc := infra.StartService(t, nw, infra.ServiceSpec{
		Image: imgs.Calculator, Alias: "calculator", DataDir: "/data",
		Env: map[string]string{
			"CALCULATOR_GRPC_ADDR": ":9090", "CALCULATOR_HTTP_ADDR": ":8081", "CALCULATOR_DATA_DIR": "/data",
			"KAFKA_BROKERS": k.ClientBootstrap("calculator"), "CALCULATOR_SHUTDOWN_TIMEOUT": "5s",
		},
		Ports: []int{9090, 8081}, ReadyPort: 8081, ReadyPath: "/healthz",
	})
	env := map[string]string{
		"TOTALS_HTTP_ADDR": ":8080", "TOTALS_DATA_DIR": "/data", "KAFKA_BROKERS": k.ClientBootstrap("totals"),
		"TOTALS_SHUTDOWN_TIMEOUT": "5s",
	}
	if !o.dedupe {
		env["TOTALS_UNSAFE_DISABLE_DEDUPE"] = "true"
	}
	if o.flushInterval != "" {
		env["TOTALS_FLUSH_INTERVAL"] = o.flushInterval
	}
	totals := infra.StartService(t, nw, infra.ServiceSpec{
		Image: imgs.Totals, Alias: "totals", DataDir: "/data", Env: env,
		Ports: []int{8080}, ReadyPort: 8080, ReadyPath: "/healthz",
	})
	conn, err := grpc.NewClient(calc.HostAddr(9090), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &system{net: nw, kafka: k, calc: calc, totals: totals,
		client: calculatorpb.NewCalculatorServiceClient(conn), view: &testkit.Totals{URL: "http://" + totals.HostAddr(8080)}}
}

// A fault is injected during the load and returns once it is healed.
type fault struct {
	name   string
	inject func(t *testing.T, s *system, rng *rand.Rand)
}

var (
	killCalculator = fault{"kill -9 calculator", func(t *testing.T, s *system, rng *rand.Rand) {
		switch rng.IntN(3) {
		case 0: // anywhere
			s.calc.Kill(t)
		case 1: // events committed but not published: the broker is unreachable
			link := s.kafka.Link("calculator")
			link.Cut(t)
			time.Sleep(1500 * time.Millisecond)
			s.calc.Kill(t)
			link.Heal(t)
		case 2: // events published but not marked: acknowledgements delayed
			link := s.kafka.Link("calculator")
			link.Latency(t, 2*time.Second, 0)
			time.Sleep(2500 * time.Millisecond)
			s.calc.Kill(t)
			link.Heal(t)
		}
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		s.calc.Start(t)
	}}
	killTotals = fault{"kill -9 totals", func(t *testing.T, s *system, rng *rand.Rand) {
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		s.totals.Kill(t)
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		s.totals.Start(t)
	}}
	killKafka = fault{"kill -9 kafka", func(t *testing.T, s *system, rng *rand.Rand) {
		s.kafka.Kill(t)
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		s.kafka.Start(t)
	}}
	pauseTotals = fault{"pause totals past the session timeout", func(t *testing.T, s *system, rng *rand.Rand) {
		pause(t, s.totals.Container, 13*time.Second) // session timeout is 10 s
	}}
	partition = fault{"partition calculator and totals from kafka for 10s", func(t *testing.T, s *system, rng *rand.Rand) {
		links := []*infra.Link{s.kafka.Link("calculator"), s.kafka.Link("totals")}
		silent := rng.IntN(2) == 0
		for _, l := range links {
			if silent {
				l.Blackhole(t) // packets vanish: clients see timeouts
			} else {
				l.Cut(t) // connections refused and reset
			}
		}
		time.Sleep(10 * time.Second)
		for _, l := range links {
			l.Heal(t)
		}
	}}
)

func pause(t *testing.T, ctr *testcontainers.DockerContainer, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.ContainerPause(ctx, ctr.GetContainerID(), client.ContainerPauseOptions{}); err != nil {
		t.Fatalf("pause: %v", err)
	}
	time.Sleep(d)
	if _, err := cli.ContainerUnpause(ctx, ctr.GetContainerID(), client.ContainerUnpauseOptions{}); err != nil {
		t.Fatalf("unpause: %v", err)
	}
}

type result struct {
	acked, retries, faults     int
	expected, observed         string
	duplicates, uncounted      uint64
	heldAhead                  uint64 // events that arrived ahead of a missing one
	stillHeld                  int
	recoverMax, settle, elapse time.Duration
}

// adds is the minimum of acknowledged Adds per scenario (E2E_ADDS, default
// 20,000); rate paces them (E2E_RATE Adds/s, default 800) so that the faults
// land during the load.
func adds() int { return envInt("E2E_ADDS", 20000) }

func rate() float64 { return float64(envInt("E2E_RATE", 800)) }

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// run drives the load, injects faults (each at least once per schedule
// slot), lets the system settle and returns what it observed. It does not
// judge the total: callers do.
func run(t *testing.T, name string, o options, seed uint64, schedule []fault) result {
	t.Helper()
	start := time.Now()
	s := startSystem(t, o)
	hist := newHistory(t, name)
	// Registered after the containers, so it runs before they are removed.
	t.Cleanup(func() {
		if t.Failed() {
			hist.saveLogs(map[string]testcontainers.Container{"calculator": s.calc.Container, "totals": s.totals.Container, "kafka": s.kafka.Container})
		}
	})
	n := adds()
	oracle := addload.NewOracle()
	w := &addload.Workload{Client: s.client, Oracle: oracle, Prefix: fmt.Sprintf("%s-%d", name, seed), Workers: 32, Seed: seed, Rate: rate(), OnAck: hist.ack, OnFailure: hist.failure}
	done := make(chan error, 1)
	// The load runs until every fault is healed and at least n Adds are
	// acknowledged, so no fault happens after the load.
	go func() { done <- w.Run(context.Background(), 0) }()

	rng := rand.New(rand.NewPCG(seed, 99))
	var recoverMax time.Duration
	for i, f := range schedule {
		waitAcked(t, w, int64((i+1)*n/(len(schedule)+1)), done)
		hist.event("fault %d: %s (acked so far %d)", i+1, f.name, w.Done.Load())
		f.inject(t, s, rng)
		healed, before := time.Now(), w.Done.Load()
		// Recovery: the next acknowledged Add after the fault is healed.
		for w.Done.Load() == before && time.Since(healed) < 2*time.Minute && len(done) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		rec := time.Since(healed)
		recoverMax = max(recoverMax, rec)
		hist.event("fault %d healed; Adds flowing again after %v", i+1, rec.Round(time.Millisecond))
	}
	waitAcked(t, w, int64(n), done)
	w.Stop()
	if err := <-done; err != nil {
		t.Fatalf("workload: %v", err)
	}

	settleStart := time.Now()
	for _, tok := range oracle.Tokens() {
		s.view.WaitCounted(t, tok, 3*time.Minute)
	}
	waitBacklogZero(t, s)
	settle := time.Since(settleStart)
	stats := s.view.Stats(t)
	acked, retries := oracle.Acked()
	r := result{
		acked: acked, retries: retries, faults: len(schedule),
		expected: oracle.Expected().String(), observed: s.view.Total(t).String(),
		duplicates: stats.Duplicates, uncounted: hist.uncounted(stats.Producers),
		heldAhead: stats.Gaps, stillHeld: stats.Held,
		recoverMax: recoverMax, settle: settle, elapse: time.Since(start),
	}
	line := fmt.Sprintf("SUMMARY %s seed=%d acked=%d retries=%d expected=%s observed=%s duplicates_skipped=%d held_out_of_order=%d uncounted_tokens=%d faults=%d recover_max=%v settle=%v elapsed=%v",
		name, seed, r.acked, r.retries, r.expected, r.observed, r.duplicates, r.heldAhead, r.uncounted, r.faults,
		r.recoverMax.Round(time.Millisecond), r.settle.Round(time.Millisecond), r.elapse.Round(time.Second))
	t.Log(line)
	fmt.Println(line)
	hist.event("%s", line)
	return r
}

func check(t *testing.T, r result) {
	t.Helper()
	if r.observed != r.expected {
		t.Errorf("total %s, want %s (sum over %d acknowledged Adds)", r.observed, r.expected, r.acked)
	}
	if r.stillHeld != 0 {
		t.Errorf("%d events still held waiting for missing ones", r.stillHeld)
	}
	if r.uncounted != 0 {
		t.Errorf("%d acknowledged Adds are not counted", r.uncounted)
	}
	if r.acked < adds() {
		t.Errorf("acknowledged %d Adds, want at least %d", r.acked, adds())
	}
}

func repeat(f fault, n int) []fault {
	s := make([]fault, n)
	for i := range s {
		s[i] = f
	}
	return s
}

func TestKillCalculator(t *testing.T) {
	check(t, run(t, "kill-calculator", options{dedupe: true}, 1, repeat(killCalculator, 3)))
}

func TestKillTotals(t *testing.T) {
	// A short flush interval puts more kills in the middle of a state write.
	check(t, run(t, "kill-totals", options{dedupe: true, flushInterval: "5ms"}, 2, repeat(killTotals, 4)))
}

func TestKillKafka(t *testing.T) {
	check(t, run(t, "kill-kafka", options{dedupe: true}, 3, repeat(killKafka, 3)))
}

func TestPauseTotalsPastSessionTimeout(t *testing.T) {
	check(t, run(t, "pause-totals", options{dedupe: true}, 4, repeat(pauseTotals, 3)))
}

func TestPartitionFromKafka(t *testing.T) {
	check(t, run(t, "partition", options{dedupe: true}, 5, repeat(partition, 3)))
}

func TestMixedFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("E2E_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (replay with E2E_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	all := []fault{killCalculator, killTotals, killKafka, pauseTotals, partition}
	schedule := make([]fault, 6)
	for i := range schedule {
		schedule[i] = all[rng.IntN(len(all))]
	}
	check(t, run(t, "mixed", options{dedupe: true}, seed, schedule))
}

// TestNegativeControlDetectsDoubleCounting switches deduplication off and
// kills the calculator while acknowledgements are delayed, so events are
// published twice: the same check must now see a wrong total. A suite whose
// check could not fail would pass here.
func TestNegativeControlDetectsDoubleCounting(t *testing.T) {
	publishTwice := fault{"kill -9 calculator with acknowledgements delayed", func(t *testing.T, s *system, rng *rand.Rand) {
		link := s.kafka.Link("calculator")
		link.Latency(t, 2*time.Second, 0)
		time.Sleep(2500 * time.Millisecond)
		s.calc.Kill(t)
		link.Heal(t)
		s.calc.Start(t)
	}}
	r := run(t, "negative-control", options{dedupe: false}, 6, repeat(publishTwice, 3))
	if r.observed == r.expected {
		t.Fatalf("with deduplication off the total %s still equals the oracle: the check cannot detect double counting", r.observed)
	}
	t.Logf("negative control: expected %s, observed %s: double counting detected", r.expected, r.observed)
}

func waitAcked(t *testing.T, w *addload.Workload, n int64, done chan error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for w.Done.Load() < n {
		if len(done) > 0 {
			return // workload ended (its error is reported by the caller)
		}
		if time.Now().After(deadline) {
			t.Fatalf("workload stuck at %d acknowledged Adds (waiting for %d)", w.Done.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitBacklogZero polls the calculator's outbox_backlog_events metric.
func waitBacklogZero(t *testing.T, s *system) {
	t.Helper()
	url := "http://" + s.calc.HostAddr(8081) + "/metrics"
	deadline := time.Now().Add(2 * time.Minute)
	last := "no answer"
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "outbox_backlog_events "); ok {
					last = v
				}
			}
			resp.Body.Close()
			if last == "0" {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("outbox backlog not back to zero: %s", last)
}

// history keeps every acknowledged Add, every failed attempt, every fault
// and (on failure) the services' logs of a run in files, so a failing run can
// be diagnosed (and replayed with its seed). It is removed when the test
// passes.
type history struct {
	dir      string
	mu       sync.Mutex
	acks     *bufio.Writer
	file     *os.File
	failures *os.File
	events   *os.File
	tokens   map[string][]uint64 // producer -> acknowledged sequences
}

func newHistory(t *testing.T, name string) *history {
	t.Helper()
	base := os.Getenv("E2E_ARTIFACTS")
	if base == "" {
		base = filepath.Join(testkit.Root(t), ".run", "e2e")
	}
	dir := filepath.Join(base, fmt.Sprintf("%s-%s", name, time.Now().Format("20060102-150405")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := &history{dir: dir, tokens: map[string][]uint64{}}
	var err error
	if h.file, err = os.Create(filepath.Join(dir, "acks.tsv")); err != nil {
		t.Fatal(err)
	}
	h.acks = bufio.NewWriter(h.file)
	fmt.Fprintln(h.acks, "time\trequest_id\tsum\ttoken\treplayed")
	if h.events, err = os.Create(filepath.Join(dir, "events.log")); err != nil {
		t.Fatal(err)
	}
	if h.failures, err = os.Create(filepath.Join(dir, "failed-attempts.log")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.mu.Lock()
		h.acks.Flush()
		h.file.Close()
		h.events.Close()
		h.failures.Close()
		h.mu.Unlock()
		if t.Failed() {
			t.Logf("history kept in %s (acks.tsv, failed-attempts.log, events.log, <service>.log)", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return h
}

func (h *history) ack(a addload.Attempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	resp := a.Resp
	fmt.Fprintf(h.acks, "%s\t%s\t%d\t%s\t%v\n", time.Now().Format(time.RFC3339Nano), a.RequestID, a.Num1+a.Num2, resp.GetToken(), resp.GetReplayed())
	h.tokens[resp.GetProducerId()] = append(h.tokens[resp.GetProducerId()], resp.GetSequence())
}

func (h *history) failure(a addload.Attempt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.failures, "%s %s attempt=%d %v\n", time.Now().Format(time.RFC3339Nano), a.RequestID, a.N, a.Err)
}

// saveLogs writes each container's whole log next to the history.
func (h *history) saveLogs(ctrs map[string]testcontainers.Container) {
	for name, c := range ctrs {
		rc, err := c.Logs(context.Background())
		if err != nil {
			continue
		}
		if f, err := os.Create(filepath.Join(h.dir, name+".log")); err == nil {
			io.Copy(f, rc) //nolint:errcheck // best effort diagnosis
			f.Close()
		}
		rc.Close()
	}
}

func (h *history) event(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.events, "%s %s\n", time.Now().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
}

// uncounted is how many acknowledged tokens are above their producer's
// applied high-water mark.
func (h *history) uncounted(hwm map[string]uint64) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n uint64
	for p, seqs := range h.tokens {
		for _, q := range seqs {
			if q > hwm[p] {
				n++
			}
		}
	}
	return n
}
