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
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tests/e2e/infra"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

func TestMain(m *testing.M) { os.Exit(infra.Main(m)) }

const topic = "calculator-sum-topic"

// topology is what a scenario deploys: Kafka nodes, calculators and totals replicas, and the
// calculator's outbox. Every summary line names it first.
type topology struct {
	brokers, calculators, replicas int
	outbox                         string
}

func (tp topology) String() string {
	return fmt.Sprintf("brokers=%d calculators=%d replicas=%d outbox=%s", tp.brokers, tp.calculators, tp.replicas, tp.outbox)
}

var (
	singleNode = topology{brokers: 1, calculators: 1, replicas: 1, outbox: "sqlite"}
	// replicated: a 3-node KRaft cluster (the topic RF 3, min ISR 2) and two totals replicas.
	replicated = topology{brokers: 3, calculators: 1, replicas: 2, outbox: "sqlite"}
)

// system is one isolated deployment: network, proxy, broker(s) and services.
type system struct {
	topo    topology
	net     *testcontainers.DockerNetwork
	kafka   *infra.Kafka        // one node
	cluster *infra.KafkaCluster // more than one node
	calc    *infra.Service      // the first calculator
	totals  []*infra.Service    // one per replica
	views   []*testkit.Totals   // REST client of each totals replica
	client  calculatorpb.CalculatorServiceClient

	// Several calculators (scale-out): the running ones by slot, a client per slot (the
	// workload spreads Adds over them and retries on another), those killed for good, the
	// shared outbox's database, and how to start a calculator in a slot.
	calcs    []*infra.Service
	clients  []*swapClient
	gone     []*infra.Service
	pg       *infra.Postgres
	calcSpec func(slot int, producer string) infra.ServiceSpec

	unavailable atomic.Int64      // failed Add attempts answered UNAVAILABLE
	notes       map[string]string // scenario figures added to the summary (guarded by mu)

	mu          sync.Mutex      // guards totals and views against the fault sampler, and publishGaps
	publishGaps []time.Duration // leader kill -> next acknowledged publish
}

type options struct {
	topo          topology // zero: singleNode
	dedupe        bool
	flushInterval string
	// Cluster only: the topic the test creates (default 3 partitions, RF 3, min ISR 2, no
	// unclean election), extra broker and service environment.
	topic      *infra.TopicSpec
	brokerEnv  map[string]string
	serviceEnv map[string]string
	totalsEnv  map[string]string
	// expectLoss bounds the final waits: acknowledged events are known to be unreachable.
	expectLoss bool
}

// clusterTopic is the topic a replicated scenario runs on: what the services would create.
var clusterTopic = infra.TopicSpec{Partitions: 3, ReplicationFactor: 3, Config: map[string]string{
	"min.insync.replicas": "2", "unclean.leader.election.enable": "false",
}}

func startSystem(t *testing.T, o options) *system {
	t.Helper()
	infra.RequireE2E(t)
	imgs := infra.EnsureImages(t)
	nw := infra.NewNetwork(t)
	tp := infra.StartToxiproxy(t, nw)
	s := &system{topo: o.topo, net: nw, notes: map[string]string{}}
	// Each calculator has its own link to Kafka (calculator-<slot> when there are several).
	calcLinks := []string{"calculator"}
	if o.topo.calculators > 1 {
		calcLinks = nil
		for i := range o.topo.calculators {
			calcLinks = append(calcLinks, fmt.Sprintf("calculator-%d", i+1))
		}
	}
	proxied := append(slices.Clone(calcLinks), "totals")
	var bootstrap func(client string) string
	if o.topo.brokers == 1 {
		s.kafka = infra.StartKafka(t, nw, "kafka", infra.ViaProxy(tp, proxied...))
		s.kafka.CreateTopic(t, topic, 3)
		bootstrap = s.kafka.ClientBootstrap
	} else {
		s.cluster = infra.StartKafkaCluster(t, nw, o.topo.brokers, infra.ViaProxy(tp, proxied...),
			infra.WithKafkaEnv(o.brokerEnv))
		spec := clusterTopic
		if o.topic != nil {
			spec = *o.topic
		}
		s.cluster.CreateTopic(t, topic, spec)
		bootstrap = s.cluster.ClientBootstrap
	}
	totalsBrokers := bootstrap("totals")
	if o.topo.outbox == "postgres" {
		s.pg = infra.StartPostgres(t, nw, "postgres")
	}
	s.calcSpec = func(slot int, producer string) infra.ServiceSpec {
		env := map[string]string{
			"CALCULATOR_GRPC_ADDR": ":9090", "CALCULATOR_HTTP_ADDR": ":8081", "CALCULATOR_DATA_DIR": "/data",
			"KAFKA_BROKERS": bootstrap(calcLinks[slot]), "CALCULATOR_SHUTDOWN_TIMEOUT": "5s",
		}
		alias := "calculator"
		if o.topo.calculators > 1 {
			alias = producer
		}
		if s.pg != nil {
			// A dead instance's backlog is looked for every second, so adoption is measured
			// in seconds rather than the default 5 s rounds.
			env["CALCULATOR_OUTBOX"], env["CALCULATOR_POSTGRES_URL"] = "postgres", s.pg.URL
			env["CALCULATOR_ADOPT_INTERVAL"], env["CALCULATOR_PRODUCER_ID"] = "1s", producer
		}
		for k, v := range o.serviceEnv {
			env[k] = v
		}
		return infra.ServiceSpec{
			Image: imgs.Calculator, Alias: alias, DataDir: "/data", Env: env,
			Ports: []int{9090, 8081}, ReadyPort: 8081, ReadyPath: "/healthz",
		}
	}
	for i := range max(o.topo.calculators, 1) {
		c := infra.StartService(t, nw, s.calcSpec(i, fmt.Sprintf("calc-%d", i+1)))
		s.calcs = append(s.calcs, c)
		s.clients = append(s.clients, &swapClient{c: dialCalculator(t, c)})
	}
	s.calc, s.client = s.calcs[0], s.clients[0]
	for i := range o.topo.replicas {
		env := map[string]string{
			"TOTALS_HTTP_ADDR": ":8080", "TOTALS_OPS_ADDR": ":8083", "TOTALS_DATA_DIR": "/data", "KAFKA_BROKERS": totalsBrokers,
			"TOTALS_SHUTDOWN_TIMEOUT": "5s",
		}
		alias := "totals"
		if o.topo.replicas > 1 {
			// Each replica reads every partition: by default it has a consumer group of its own.
			alias = fmt.Sprintf("totals-%d", i+1)
		}
		img := imgs.Totals
		if !o.dedupe {
			// Only a test build has the switch; the service image refuses it.
			img = infra.UnsafeTotalsImage(t)
			env["TOTALS_UNSAFE_DISABLE_DEDUPE"] = "true"
		}
		if o.flushInterval != "" {
			env["TOTALS_FLUSH_INTERVAL"] = o.flushInterval
		}
		for k, v := range o.serviceEnv {
			env[k] = v
		}
		for k, v := range o.totalsEnv {
			env[k] = v
		}
		tt := infra.StartService(t, nw, infra.ServiceSpec{
			Image: img, Alias: alias, DataDir: "/data", Env: env,
			Ports: []int{8080, 8083}, ReadyPort: 8080, ReadyPath: "/healthz",
		})
		s.totals = append(s.totals, tt)
		s.views = append(s.views, totalsView(tt))
	}
	return s
}

// totalsView reads a totals container through its published ports: the public one (8080,
// /total) and the ops one (8083, /stats and /metrics).
func totalsView(tt *infra.Service) *testkit.Totals {
	return &testkit.Totals{URL: "http://" + tt.HostAddr(8080), OpsURL: "http://" + tt.HostAddr(8083)}
}

// dialCalculator is a gRPC client of a calculator's published port (kept across restarts).
func dialCalculator(t *testing.T, c *infra.Service) calculatorpb.CalculatorServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(c.HostAddr(9090), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return calculatorpb.NewCalculatorServiceClient(conn)
}

// swapClient is the client of one calculator slot; a replacement instance takes the slot over.
type swapClient struct {
	mu sync.RWMutex
	c  calculatorpb.CalculatorServiceClient
}

func (sc *swapClient) Add(ctx context.Context, in *calculatorpb.AddRequest, opts ...grpc.CallOption) (*calculatorpb.AddResponse, error) {
	sc.mu.RLock()
	c := sc.c
	sc.mu.RUnlock()
	return c.Add(ctx, in, opts...)
}

func (sc *swapClient) set(c calculatorpb.CalculatorServiceClient) {
	sc.mu.Lock()
	sc.c = c
	sc.mu.Unlock()
}

// links are the client's links to every broker; "calculator" is every calculator's.
func (s *system) links(client string) []*infra.Link {
	names := []string{client}
	if client == "calculator" && len(s.calcs) > 1 {
		names = nil
		for i := range s.calcs {
			names = append(names, fmt.Sprintf("calculator-%d", i+1))
		}
	}
	var out []*infra.Link
	for _, n := range names {
		if s.kafka != nil {
			out = append(out, s.kafka.Link(n))
		} else {
			out = append(out, s.cluster.Links(n)...)
		}
	}
	return out
}

// note adds a figure to the scenario's summary line.
func (s *system) note(key, value string) {
	s.mu.Lock()
	s.notes[key] = value
	s.mu.Unlock()
}

// replica picks the totals replica a fault hits (no draw with one replica, so the single-node
// scenarios replay as before).
func (s *system) replica(rng *rand.Rand) *infra.Service {
	if len(s.totals) == 1 {
		return s.totals[0]
	}
	return s.totals[rng.IntN(len(s.totals))]
}

func (s *system) containers() map[string]testcontainers.Container {
	m := map[string]testcontainers.Container{}
	for _, c := range append(slices.Clone(s.calcs), s.gone...) {
		m[c.Spec.Alias] = c.Container
	}
	if s.pg != nil {
		m["postgres"] = s.pg.Container
	}
	for _, tt := range s.totals {
		m[tt.Spec.Alias] = tt.Container
	}
	if s.kafka != nil {
		m["kafka"] = s.kafka.Container
	} else {
		for _, k := range s.cluster.Brokers {
			m[k.Alias] = k.Container
		}
	}
	return m
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
			links := s.links("calculator")
			for _, l := range links {
				l.Cut(t)
			}
			time.Sleep(1500 * time.Millisecond)
			s.calc.Kill(t)
			for _, l := range links {
				l.Heal(t)
			}
		case 2: // events published but not marked: acknowledgements delayed
			links := s.links("calculator")
			for _, l := range links {
				l.Latency(t, 2*time.Second, 0)
			}
			time.Sleep(2500 * time.Millisecond)
			s.calc.Kill(t)
			for _, l := range links {
				l.Heal(t)
			}
		}
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		s.calc.Start(t)
	}}
	killTotals = fault{"kill -9 totals", func(t *testing.T, s *system, rng *rand.Rand) {
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		r := s.replica(rng)
		r.Kill(t)
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		r.Start(t)
	}}
	killKafka = fault{"kill -9 kafka", func(t *testing.T, s *system, rng *rand.Rand) {
		s.kafka.Kill(t)
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		s.kafka.Start(t)
	}}
	pauseTotals = fault{"pause totals past the session timeout", func(t *testing.T, s *system, rng *rand.Rand) {
		pause(t, s.replica(rng).Container, 13*time.Second) // session timeout is 10 s
	}}
	partition = fault{"partition calculator and totals from kafka for 10s", func(t *testing.T, s *system, rng *rand.Rand) {
		links := append(s.links("calculator"), s.links("totals")...)
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
	topo                       topology
	acked, retries, faults     int
	expected                   string
	replicas                   []replicaResult // one per totals replica
	recoverMax, settle, elapse time.Duration
	publishGapMax              time.Duration // replicated: leader kill -> next publish (0: no such fault)
	backlog                    string        // the outbox backlog at the end ("0" once drained)
	notes                      map[string]string
}

// replicaResult is what one totals replica shows once the system settled.
type replicaResult struct {
	name                  string
	observed              string
	duplicates, uncounted uint64
	heldAhead             uint64 // events that arrived ahead of a missing one
	stillHeld             int
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
// judge the totals: callers do.
func run(t *testing.T, name string, o options, seed uint64, schedule []fault) result {
	t.Helper()
	start := time.Now()
	if o.topo == (topology{}) {
		o.topo = singleNode
	}
	s := startSystem(t, o)
	hist := newHistory(t, name)
	// Registered after the containers, so it runs before they are removed.
	t.Cleanup(func() {
		if t.Failed() {
			hist.saveLogs(s.containers())
		}
	})
	n := adds()
	oracle := addload.NewOracle()
	w := &addload.Workload{Client: s.client, Oracle: oracle, Prefix: fmt.Sprintf("%s-%d", name, seed), Workers: 32, Seed: seed, Rate: rate(), OnAck: hist.ack,
		OnFailure: func(a addload.Attempt) {
			if status.Code(a.Err) == codes.Unavailable {
				s.unavailable.Add(1)
			}
			hist.failure(a)
		}}
	if len(s.clients) > 1 {
		// Spread over every calculator; a retry (same request_id) goes to another one.
		w.Clients, w.RetryElsewhere = nil, true
		for _, c := range s.clients {
			w.Clients = append(w.Clients, c)
		}
	}
	done := make(chan error, 1)
	// The load runs until every fault is healed and at least n Adds are
	// acknowledged, so no fault happens after the load.
	go func() { done <- w.Run(context.Background(), 0) }()

	rng := rand.New(rand.NewPCG(seed, 99))
	var recoverMax time.Duration
	for i, f := range schedule {
		waitAcked(t, w, int64((i+1)*n/(len(schedule)+1)), done)
		hist.event("fault %d: %s (acked so far %d)", i+1, f.name, w.Done.Load())
		t.Logf("fault %d: %s (acked so far %d)", i+1, f.name, w.Done.Load())
		stopSampling := s.sampleDuring(t, hist, name, i+1)
		f.inject(t, s, rng)
		stopSampling()
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
	tokens := oracle.Tokens()
	if o.expectLoss {
		// Some acknowledged events can never arrive: wait a bounded time, then judge.
		deadline := time.Now().Add(20 * time.Second)
		for _, v := range s.views {
			awaitSome(v, tokens, deadline)
		}
	} else {
		// Every replica counts every acknowledged Add.
		for _, v := range s.views {
			for _, tok := range tokens {
				v.WaitCounted(t, tok, 3*time.Minute)
			}
		}
	}
	backlog := waitBacklogZero(t, s, !o.expectLoss)
	settle := time.Since(settleStart)
	acked, retries := oracle.Acked()
	r := result{
		topo: o.topo, acked: acked, retries: retries, faults: len(schedule),
		expected:   oracle.Expected().String(),
		recoverMax: recoverMax, settle: settle, elapse: time.Since(start), backlog: backlog,
	}
	for i, v := range s.views {
		stats := v.Stats(t)
		r.replicas = append(r.replicas, replicaResult{
			name: s.totals[i].Spec.Alias, observed: v.Total(t).String(),
			duplicates: stats.Duplicates, uncounted: hist.uncounted(stats.Producers),
			heldAhead: stats.Gaps, stillHeld: stats.Held,
		})
	}
	s.mu.Lock()
	for _, g := range s.publishGaps {
		r.publishGapMax = max(r.publishGapMax, g)
	}
	gaps := len(s.publishGaps)
	s.mu.Unlock()
	per := func(f func(replicaResult) string) string {
		vs := make([]string, len(r.replicas))
		for i, rr := range r.replicas {
			vs[i] = f(rr)
		}
		return strings.Join(vs, ",")
	}
	line := fmt.Sprintf("SUMMARY %s %s seed=%d acked=%d retries=%d expected=%s observed=%s duplicates_skipped=%s held_out_of_order=%s uncounted_tokens=%s faults=%d recover_max=%v",
		name, r.topo, seed, r.acked, r.retries, r.expected,
		per(func(rr replicaResult) string { return rr.observed }),
		per(func(rr replicaResult) string { return strconv.FormatUint(rr.duplicates, 10) }),
		per(func(rr replicaResult) string { return strconv.FormatUint(rr.heldAhead, 10) }),
		per(func(rr replicaResult) string { return strconv.FormatUint(rr.uncounted, 10) }),
		r.faults, r.recoverMax.Round(time.Millisecond))
	if gaps > 0 {
		line += fmt.Sprintf(" publish_gap_max=%v", r.publishGapMax.Round(time.Millisecond))
	}
	if backlog != "0" {
		line += " backlog=" + backlog
	}
	s.mu.Lock()
	r.notes = maps.Clone(s.notes)
	s.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(r.notes)) {
		line += fmt.Sprintf(" %s=%s", k, r.notes[k])
	}
	line += fmt.Sprintf(" settle=%v elapsed=%v", r.settle.Round(time.Millisecond), r.elapse.Round(time.Second))
	t.Log(line)
	fmt.Println(line)
	hist.event("%s", line)
	return r
}

// awaitSome waits until deadline for tokens to be counted, giving up at the first one that
// is not (the ones after it are judged from the replica's high-water marks).
func awaitSome(v *testkit.Totals, tokens []string, deadline time.Time) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for _, tok := range tokens {
		if _, err := v.API().AwaitCounted(ctx, tok); err != nil {
			return
		}
	}
}

// sampleDuring logs what every totals replica shows (GET /total, /readyz) about once a
// second while a fault is injected, until the returned stop is called.
func (s *system) sampleDuring(t *testing.T, hist *history, name string, n int) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	hc := &http.Client{Timeout: time.Second}
	sample := func() {
		s.mu.Lock() // a fault may replace a replica meanwhile
		totals, views := slices.Clone(s.totals), slices.Clone(s.views)
		s.mu.Unlock()
		parts := make([]string, len(totals))
		for i, tt := range totals {
			total, ready := "error", "error"
			if resp, err := hc.Get(views[i].URL + "/total"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				total = strings.TrimSpace(string(b))
				if resp.StatusCode != http.StatusOK {
					total = resp.Status
				} else if tot, err := totalsclient.ParseTotal(b); err == nil {
					total = tot.String()
				}
			}
			if resp, err := hc.Get(views[i].URL + "/readyz"); err == nil {
				resp.Body.Close()
				ready = strconv.Itoa(resp.StatusCode)
			}
			parts[i] = fmt.Sprintf("%s total=%s readyz=%s", tt.Spec.Alias, total, ready)
		}
		line := fmt.Sprintf("DURING %s fault %d: %s", name, n, strings.Join(parts, "; "))
		t.Log(line)
		hist.event("%s", line)
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		sampled := false
		for {
			select {
			case <-quit:
				if !sampled { // a fault shorter than a second (or one that lasts): one look after it
					sample()
				}
				return
			case <-tick.C:
				sample()
				sampled = true
			}
		}
	}()
	return func() { close(quit); <-done }
}

func check(t *testing.T, r result) {
	t.Helper()
	for _, rr := range r.replicas {
		if rr.observed != r.expected {
			t.Errorf("%s: total %s, want %s (sum over %d acknowledged Adds)", rr.name, rr.observed, r.expected, r.acked)
		}
		if rr.stillHeld != 0 {
			t.Errorf("%s: %d events still held waiting for missing ones", rr.name, rr.stillHeld)
		}
		if rr.uncounted != 0 {
			t.Errorf("%s: %d acknowledged Adds are not counted", rr.name, rr.uncounted)
		}
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
		links := s.links("calculator")
		for _, l := range links {
			l.Latency(t, 2*time.Second, 0)
		}
		time.Sleep(2500 * time.Millisecond)
		s.calc.Kill(t)
		for _, l := range links {
			l.Heal(t)
		}
		s.calc.Start(t)
	}}
	r := run(t, "negative-control", options{dedupe: false}, 6, repeat(publishTwice, 3))
	if got := r.replicas[0].observed; got == r.expected {
		t.Fatalf("with deduplication off the total %s still equals the oracle: the check cannot detect double counting", got)
	}
	t.Logf("negative control: expected %s, observed %s: double counting detected", r.expected, r.replicas[0].observed)
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

// waitBacklogZero polls every calculator's outbox_backlog_events metric (and, with the shared
// outbox, the database's unpublished events of every producer, dead ones included) until all
// are 0 and returns the last values; if the backlog does not drain in time, that fails the
// test when must, else it returns after 5 s (a scenario that expects lost events).
func waitBacklogZero(t *testing.T, s *system, must bool) string {
	t.Helper()
	wait := 2 * time.Minute
	if !must {
		wait = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	last := "no answer"
	for time.Now().Before(deadline) {
		var vs []string
		zero := true
		for _, c := range s.calcs {
			v, ok := metric(c, "outbox_backlog_events")
			if !ok {
				v = "no answer"
			}
			vs, zero = append(vs, v), zero && v == "0"
		}
		if s.pg != nil {
			v := s.unpublished(t, "")
			vs, zero = append(vs, "db:"+v), zero && v == "0"
		}
		last = strings.Join(vs, ",")
		if zero {
			return "0"
		}
		time.Sleep(200 * time.Millisecond)
	}
	if must {
		t.Fatalf("outbox backlog not back to zero: %s", last)
	}
	return last
}

// metric reads one unlabelled sample from the calculator's ops port (:8081/metrics).
func metric(calc *infra.Service, name string) (string, bool) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + calc.HostAddr(8081) + "/metrics")
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return v, true
		}
	}
	return "", false
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
