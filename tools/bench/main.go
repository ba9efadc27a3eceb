// Command bench is make bench's harness: against a freshly started system
// (scripts/bench.sh) it measures durable Add throughput and latency in closed
// and open loop, Add → counted latency, the drain of a backlog built with the
// broker stopped, GET /total, the services' memory and state size, and the
// ceiling (a gRPC server with the same contract that stores nothing), takes
// CPU and allocation profiles, and writes report.md, report.json and plots.
//
//	go run ./tools/bench -out .run/bench/x            (scripts/bench.sh does this)
//	go run ./tools/bench -serve-ceiling               (the ceiling server alone; prints its address)
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tools/bench/ceiling"
	"github.com/distsum/distsum/tools/bench/report"
)

type settings struct {
	out, root                                 string
	quick, long, serveCeiling                 bool
	grpcAddr, totalsURL, opsURL, totalsOpsURL string
	calcPID, totalsPID, brokerPID             string
	stateFile, outboxFile                     string
	kafkaScript                               string
}

// plan is how long each step runs in a mode.
type plan struct {
	mode                        string
	warmup                      time.Duration // Adds before the first step, not measured
	warm, closed, ceiling, open time.Duration
	get                         time.Duration
	profile                     int // seconds
	drain, soak                 int64
	soakMax                     time.Duration
	benchtime                   string
	search                      int // open-loop runs to find the highest sustainable rate
}

var (
	inFlights = []int{1, 16, 64, 256, 1000}
	rates     = []float64{500, 2000, 5000}
)

func plans(s settings) plan {
	switch {
	case s.quick:
		return plan{mode: "quick", warmup: time.Second, warm: 300 * time.Millisecond, closed: 2 * time.Second, ceiling: time.Second, open: 2 * time.Second,
			get: 2 * time.Second, profile: 2, drain: 3000, soak: 2000, soakMax: 30 * time.Second, benchtime: "300x", search: 2}
	case s.long:
		return plan{mode: "long", warmup: time.Minute, warm: 2 * time.Second, closed: 30 * time.Second, ceiling: 10 * time.Second, open: 30 * time.Second,
			get: 20 * time.Second, profile: 20, drain: 1_000_000, soak: 10_000_000, soakMax: 4 * time.Hour, benchtime: "5s", search: 5}
	default:
		return plan{mode: "default", warmup: 45 * time.Second, warm: 2 * time.Second, closed: 12 * time.Second, ceiling: 6 * time.Second, open: 12 * time.Second,
			get: 8 * time.Second, profile: 10, drain: 1_000_000, soak: 500_000, soakMax: 150 * time.Second, benchtime: "3s", search: 3}
	}
}

func main() {
	var s settings
	set := config.New("bench")
	set.StringVar(&s.out, "out", "BENCH_OUT", "", "directory for report.md, report.json, the plots and profiles (required)")
	set.StringVar(&s.root, "root", "BENCH_ROOT", ".", "the repository (for go test -bench, go tool pprof, git and scripts/kafka.sh)")
	set.BoolVar(&s.quick, "quick", "BENCH_QUICK", false, "seconds per step: a smoke run of the harness")
	set.BoolVar(&s.long, "long", "BENCH_LONG", false, "long mode: longer steps, 10,000,000 events through the memory check")
	set.BoolVar(&s.serveCeiling, "serve-ceiling", "BENCH_SERVE_CEILING", false, "serve the ceiling on a free loopback port, print its address, and wait")
	set.StringVar(&s.grpcAddr, "grpc-addr", "BENCH_GRPC_ADDR", "127.0.0.1:9090", "the calculator's gRPC address")
	set.StringVar(&s.totalsURL, "totals-url", "BENCH_TOTALS_URL", "http://127.0.0.1:8080", "the totals service")
	set.StringVar(&s.opsURL, "calculator-ops-url", "BENCH_CALCULATOR_OPS_URL", "http://127.0.0.1:8081", "the calculator's ops address (pprof)")
	set.StringVar(&s.totalsOpsURL, "totals-ops-url", "BENCH_TOTALS_OPS_URL", "http://127.0.0.1:8083", "the totals service's ops address (/stats, /metrics, pprof)")
	set.StringVar(&s.calcPID, "calculator-pid-file", "BENCH_CALCULATOR_PID_FILE", ".run/calculator.pid", "the calculator's pid file")
	set.StringVar(&s.totalsPID, "totals-pid-file", "BENCH_TOTALS_PID_FILE", ".run/totals.pid", "the totals service's pid file")
	set.StringVar(&s.brokerPID, "broker-pid-file", "BENCH_BROKER_PID_FILE", ".run/kafka/kafka.pid", "the broker's pid file (for the CPU split; empty leaves it out)")
	set.StringVar(&s.stateFile, "state-file", "BENCH_STATE_FILE", ".run/data/totals/state", "the totals state file")
	set.StringVar(&s.outboxFile, "outbox-file", "BENCH_OUTBOX_FILE", ".run/data/calculator/outbox.db", "the calculator's outbox database")
	set.StringVar(&s.kafkaScript, "kafka-script", "BENCH_KAFKA_SCRIPT", "scripts/kafka.sh", "stops and starts the broker for the drain step (its environment is inherited)")
	if err := set.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if s.serveCeiling {
		serveCeiling()
		return
	}
	if s.out == "" {
		fmt.Fprintln(os.Stderr, "bench: -out (BENCH_OUT) is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	r, err := bench(ctx, s)
	if werr := report.Write(s.out, r); werr != nil {
		err = errors.Join(err, werr)
	}
	fmt.Fprintf(os.Stderr, "bench: report in %s\n", filepath.Join(s.out, "report.md"))
	if err != nil || len(r.Errors) > 0 {
		fmt.Fprintln(os.Stderr, "bench:", errors.Join(err, errors.New(strings.Join(r.Errors, "; "))))
		os.Exit(1)
	}
}

// serveCeiling is the ceiling process: a separate process, like the
// calculator, so that the harness's own CPU use is the same in both runs.
func serveCeiling() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: ceiling:", err)
		os.Exit(1)
	}
	fmt.Println(lis.Addr().String())
	go func() { // ends with its parent: stdin closes
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	if err := ceiling.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, "bench: ceiling:", err)
		os.Exit(1)
	}
}

func startCeiling(ctx context.Context) (addr string, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-serve-ceiling")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("ceiling did not start: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}

type sampler struct {
	mu                sync.Mutex
	calcPeak, totPeak float64
}

func (p *sampler) run(ctx context.Context, s settings) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if c, err := rssMB(s.calcPID); err == nil {
			p.mu.Lock()
			p.calcPeak = max(p.calcPeak, c)
			p.mu.Unlock()
		}
		if c, err := rssMB(s.totalsPID); err == nil {
			p.mu.Lock()
			p.totPeak = max(p.totPeak, c)
			p.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func bench(ctx context.Context, s settings) (*report.Results, error) {
	p := plans(s)
	began := time.Now()
	r := &report.Results{Commit: commit(s.root), Cores: runtime.NumCPU(), CPUModel: cpuModel(), Mode: p.mode, Started: began.UTC(),
		Settings: map[string]string{
			"calculator outbox":  "SQLite WAL, synchronous=FULL, group commit up to 1024 Adds (defaults)",
			"relay producer":     "sarama idempotent producer, acks=all, batch up to 2000 (CALCULATOR_RELAY_BATCH default)",
			"broker":             "one local Apache Kafka (scripts/kafka.sh, deploy/kafka/server.properties.tmpl), topic with 3 partitions",
			"totals":             "state file saved as soon as events are applied, at most every 5 ms (TOTALS_SAVE_GAP default), fsync'd; offsets committed to Kafka every 50 ms (TOTALS_FLUSH_INTERVAL default)",
			"client":             fmt.Sprintf("in-repo harness (tools/bench) on the same machine, gRPC over up to %d reused connections, a unique request_id per Add", maxConns),
			"warm-up":            fmt.Sprintf("Adds at 64 in flight for %s before the first measured step (a fresh broker compiles, the JVM's JIT, on the same cores)", p.warmup),
			"calculator address": s.grpcAddr,
			"totals address":     s.totalsURL,
		}}
	defer func() { r.Seconds = math.Round(time.Since(began).Seconds()) }()
	fail := func(step string, err error) {
		slog.Error("step failed", "step", step, "err", err)
		r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", step, err))
	}
	if err := os.MkdirAll(filepath.Join(s.out, "profiles"), 0o755); err != nil {
		return r, err
	}
	hc := &http.Client{Timeout: 40 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	totals := totalsclient.New(s.totalsURL, hc).WithOps(s.totalsOpsURL)
	if _, err := totals.Total(ctx); err != nil {
		return r, fmt.Errorf("the totals service at %s does not answer: %w", s.totalsURL, err)
	}
	runID := began.UTC().Format("150405")
	calc, err := dial("calculator", s.grpcAddr, runID)
	if err != nil {
		return r, err
	}
	defer calc.close()
	sctx, stopSampler := context.WithCancel(ctx)
	defer stopSampler()
	peaks := &sampler{}
	go peaks.run(sctx, s)

	// waitCounted waits until every Add acknowledged so far is counted.
	waitCounted := func(what string) error {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		for _, tok := range calc.tokens() {
			if _, err := totals.AwaitCounted(wctx, tok); err != nil {
				return fmt.Errorf("%s: %s not counted: %w", what, tok, err)
			}
		}
		return nil
	}
	applied := func() (uint64, error) {
		st, err := totals.Stats(ctx)
		return st.Applied, err
	}

	// 0. Warm-up: a freshly started broker spends its first minute or so
	// compiling (the JVM's JIT), on the same cores; a user's broker is warm.
	slog.Info("warm-up", "in_flight", 64, "seconds", p.warmup.Seconds())
	calc.closedLoop(ctx, 64, 0, p.warmup, 0)

	// 1. Closed loop at each in-flight count.
	for _, n := range inFlights {
		slog.Info("closed loop", "in_flight", n)
		c := calc.closedLoop(ctx, n, p.warm, p.closed, 0)
		slog.Info("closed loop", "in_flight", n, "per_s", int(c.PerS), "p99_ms", c.P99, "errors", c.Errors)
		r.Closed = append(r.Closed, c)
	}
	if ctx.Err() != nil {
		return r, ctx.Err()
	}

	// 1b. Where the machine's CPU goes per Add at 64 in flight.
	if ctx.Err() == nil {
		if split, err := cpuSplit(ctx, s, p, calc); err != nil {
			fail("cpu split", err)
		} else {
			r.CPU = split
		}
	}

	// 2. The ceiling, driven the same way.
	if addr, stopCeiling, err := startCeiling(ctx); err != nil {
		fail("ceiling", err)
	} else {
		ceil, err := dial("ceiling", addr, runID)
		if err != nil {
			fail("ceiling", err)
		} else {
			for _, n := range inFlights {
				c := ceil.closedLoop(ctx, n, p.warm/2, p.ceiling, 0)
				slog.Info("ceiling", "in_flight", n, "per_s", int(c.PerS), "p99_ms", c.P99)
				r.Ceiling = append(r.Ceiling, c)
			}
			ceil.close()
		}
		stopCeiling()
	}

	// 3. Open loop at fixed rates, then the highest sustainable rate below the closed-loop peak.
	if err := waitCounted("open loop"); err != nil {
		fail("open loop", err)
	}
	bestFixed := 0.0
	for _, rate := range rates {
		o := calc.openLoop(ctx, totals, rate, p.open)
		slog.Info("open loop", "rate", rate, "achieved", int(o.Achieved), "p99_ms", o.Latency.P99, "e2e_p99_ms", o.E2E.P99, "sustainable", o.Sustainable)
		r.Open = append(r.Open, o)
		if o.Sustainable {
			bestFixed = rate
		}
		waitCounted("open loop")
	}
	// The highest sustainable rate: bisect between the highest sustainable
	// rate so far and the lowest that was not (or the closed-loop peak).
	lo, hi := bestFixed, 0.0
	for _, o := range r.Open {
		if !o.Sustainable && o.Rate > lo && (hi == 0 || o.Rate < hi) {
			hi = o.Rate
		}
	}
	if hi == 0 {
		for _, c := range r.Closed {
			hi = max(hi, c.PerS)
		}
	}
	for try := 0; try < p.search && ctx.Err() == nil; try++ {
		rate := math.Round((lo+hi)/2/50) * 50
		if rate <= lo || rate >= hi {
			break
		}
		o := calc.openLoop(ctx, totals, rate, p.open)
		slog.Info("open loop (search)", "rate", rate, "achieved", int(o.Achieved), "p99_ms", o.Latency.P99, "e2e_p99_ms", o.E2E.P99, "sustainable", o.Sustainable)
		r.Open = append(r.Open, o)
		waitCounted("open loop")
		if o.Sustainable {
			lo = rate
		} else {
			hi = rate
		}
	}
	sortOpen(r.Open)
	saveMetrics(ctx, s, "after-open-loop", fail)

	// 4. GET /total at 64 connections, alone and while Adds run at 64 in flight.
	{
		tg := &report.TotalGet{AddsInFlight: 64}
		pid, err0 := readPID(s.totalsPID)
		srv0, err1 := procCPUSeconds(pid)
		cli0, err2 := procCPUSeconds("self")
		tg.Alone = getLoop(ctx, s.totalsURL, 64, p.get)
		srv1, err3 := procCPUSeconds(pid)
		cli1, err4 := procCPUSeconds("self")
		if n := float64(tg.Alone.Latency.N); errors.Join(err0, err1, err2, err3, err4) == nil && n > 0 {
			tg.ServerUSPerReq, tg.ClientUSPerReq = math.Round((srv1-srv0)*1e6/n), math.Round((cli1-cli0)*1e6/n)
		}
		var wg sync.WaitGroup
		var adds report.Closed
		wg.Add(1)
		go func() { defer wg.Done(); adds = calc.closedLoop(ctx, 64, 0, p.get, 0) }()
		tg.UnderAdds = getLoop(ctx, s.totalsURL, 64, p.get)
		wg.Wait()
		tg.AddsPerS = adds.PerS
		slog.Info("GET /total", "alone_per_s", int(tg.Alone.PerS), "under_adds_per_s", int(tg.UnderAdds.PerS), "adds_per_s", int(adds.PerS))
		r.TotalGet = tg
	}

	// 5. Profiles of both services at 64 in flight.
	profile(ctx, s, p, calc, r, fail)

	// 6. The soak: the footprint before (after every step above, so the
	// services have met their highest concurrency already), events through
	// the whole chain at 256 in flight, and the footprint after.
	if ctx.Err() == nil {
		foot := &report.Footprint{}
		if err := waitCounted("footprint"); err != nil {
			fail("footprint", err)
		}
		foot.CalculatorBefore, _ = rssMB(s.calcPID)
		foot.TotalsBefore, _ = rssMB(s.totalsPID)
		foot.StateBytesBefore = fileSize(s.stateFile)
		foot.OutboxBytesBefore = fileSize(s.outboxFile, s.outboxFile+"-wal")
		appliedBefore, _ := applied()
		slog.Info("soak", "events", p.soak)
		sctx, cancel := context.WithTimeout(ctx, p.soakMax)
		c := calc.closedLoop(sctx, 256, 0, 0, p.soak)
		cancel()
		slog.Info("soak", "acked", c.N, "per_s", int(c.PerS))
		if err := waitCounted("footprint"); err != nil {
			fail("footprint", err)
		}
		foot.CalculatorAfter, _ = rssMB(s.calcPID)
		foot.TotalsAfter, _ = rssMB(s.totalsPID)
		foot.StateBytesAfter = fileSize(s.stateFile)
		foot.OutboxBytesAfter = fileSize(s.outboxFile, s.outboxFile+"-wal")
		if a, err := applied(); err == nil {
			foot.Events = int64(a - appliedBefore)
		}
		peaks.mu.Lock()
		foot.CalculatorPeak, foot.TotalsPeak = peaks.calcPeak, peaks.totPeak
		peaks.mu.Unlock()
		foot.Flat = report.FlatRSS(foot.CalculatorBefore, foot.CalculatorAfter) && report.FlatRSS(foot.TotalsBefore, foot.TotalsAfter) &&
			foot.StateBytesAfter-foot.StateBytesBefore <= 1024
		r.Footprint = foot
	}

	// 7. Drain: a backlog accepted with the broker stopped, then the broker started.
	if ctx.Err() == nil {
		if d, err := drain(ctx, s, p, calc, totals, waitCounted, applied); err != nil {
			fail("drain", err)
		} else {
			r.Drain = d
		}
	}

	saveMetrics(ctx, s, "end", fail)

	// 8. Group commit against one commit per Add (the outbox benchmark).
	if ctx.Err() == nil {
		batched, single, err := groupCommit(ctx, s.root, p.benchtime, os.Stderr)
		if err != nil {
			fail("group commit", err)
		} else {
			r.Group = &report.GroupCommit{BatchedPerS: math.Round(batched), SinglePerS: math.Round(single), Ratio: math.Round(batched/single*100) / 100,
				Source: "outbox benchmark BenchmarkAppendMaxBatch (64 callers, synchronous=FULL, max=1024 vs max=1)"}
		}
	}
	return r, ctx.Err()
}

// saveMetrics keeps both services' /metrics (relay batch sizes, commit sizes,
// consumer lag...) next to the report, to read the figures behind it.
func saveMetrics(ctx context.Context, s settings, when string, fail func(string, error)) {
	dir := filepath.Join(s.out, "metrics")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail("metrics", err)
		return
	}
	for name, base := range map[string]string{"calculator": s.opsURL, "totals": s.totalsOpsURL} {
		if err := fetch(ctx, base+"/metrics", filepath.Join(dir, when+"-"+name+".txt"), 10*time.Second); err != nil {
			fail("metrics", err)
		}
	}
}

func sortOpen(o []report.Open) {
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && o[j].Rate < o[j-1].Rate; j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
}

func profile(ctx context.Context, s settings, p plan, calc *target, r *report.Results, fail func(string, error)) {
	if ctx.Err() != nil {
		return
	}
	lctx, stopLoad := context.WithCancel(ctx)
	var lwg sync.WaitGroup
	lwg.Add(1)
	go func() { defer lwg.Done(); calc.closedLoop(lctx, 64, 0, time.Duration(p.profile+5)*time.Second, 0) }()
	time.Sleep(time.Second)
	type prof struct{ name, url, file string }
	secs := fmt.Sprint(p.profile)
	cpu := []prof{
		{"calculator CPU", s.opsURL + "/debug/pprof/profile?seconds=" + secs, "calculator.cpu.pb.gz"},
		{"totals CPU", s.totalsOpsURL + "/debug/pprof/profile?seconds=" + secs, "totals.cpu.pb.gz"},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(cpu))
	for i, pr := range cpu {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fetch(ctx, pr.url, filepath.Join(s.out, "profiles", pr.file), time.Duration(p.profile+30)*time.Second)
		}()
	}
	wg.Wait()
	stopLoad()
	lwg.Wait()
	allocs := []prof{
		{"calculator allocations (since start, alloc_space)", s.opsURL + "/debug/pprof/allocs", "calculator.allocs.pb.gz"},
		{"totals allocations (since start, alloc_space)", s.totalsOpsURL + "/debug/pprof/allocs", "totals.allocs.pb.gz"},
	}
	for _, pr := range allocs {
		errs = append(errs, fetch(ctx, pr.url, filepath.Join(s.out, "profiles", pr.file), 30*time.Second))
	}
	for i, pr := range append(cpu, allocs...) {
		if errs[i] != nil {
			fail("profile "+pr.name, errs[i])
			continue
		}
		var extra []string
		if i >= len(cpu) {
			extra = []string{"-sample_index=alloc_space"}
		}
		top, err := pprofTop(ctx, s.root, filepath.Join(s.out, "profiles", pr.file), 15, extra...)
		if err != nil {
			fail("profile "+pr.name, err)
			continue
		}
		r.Profiles = append(r.Profiles, report.Profile{Name: pr.name, File: "profiles/" + pr.file, Top: top})
	}
}

func drain(ctx context.Context, s settings, p plan, calc *target, totals *totalsclient.Client,
	waitCounted func(string) error, applied func() (uint64, error)) (*report.Drain, error) {
	if err := waitCounted("drain"); err != nil {
		return nil, err
	}
	log := os.Stderr
	if err := run(ctx, s.root, log, s.kafkaScript, "stop"); err != nil {
		return nil, err
	}
	// Whatever happens below, the broker is started again.
	started := false
	defer func() {
		if !started {
			run(context.Background(), s.root, log, s.kafkaScript, "start")
		}
	}()
	base, err := applied()
	if err != nil {
		return nil, err
	}
	slog.Info("drain: broker stopped, accumulating", "events", p.drain)
	t0 := time.Now()
	actx, cancel := context.WithTimeout(ctx, 15*time.Minute) // a calculator refusing Adds ends the step
	c := calc.closedLoop(actx, 256, 0, 0, p.drain)
	cancel()
	if int64(c.N) < p.drain {
		return nil, fmt.Errorf("only %d of %d Adds acknowledged with the broker stopped (%d errors)", c.N, p.drain, c.Errors)
	}
	d := &report.Drain{Events: int64(c.N), AccumulateS: round2(time.Since(t0).Seconds())}
	if a, err := applied(); err == nil && a != base {
		return nil, fmt.Errorf("events were counted with the broker stopped (%d → %d): is it really down?", base, a)
	}
	t1 := time.Now()
	started = true
	if err := run(ctx, s.root, log, s.kafkaScript, "start"); err != nil {
		return nil, err
	}
	ready := time.Now()
	d.BrokerStartS = round2(ready.Sub(t1).Seconds())
	target := base + uint64(c.N)
	deadline := time.Now().Add(10 * time.Minute)
	var first time.Time
	for {
		a, err := applied()
		now := time.Now()
		if err == nil && a > base && first.IsZero() {
			first = now
		}
		if err == nil && a >= target {
			d.FirstCountedS = round2(first.Sub(ready).Seconds())
			d.DrainS = round2(now.Sub(first).Seconds())
			d.FromReadyS = round2(now.Sub(ready).Seconds())
			// Progress is polled every 20 ms: a drain shorter than that is not resolved.
			d.EventsPerS = math.Round(float64(d.Events) / max(now.Sub(first).Seconds(), 0.02))
			break
		}
		if now.After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("%d of %d events counted after %s", a-base, c.N, now.Sub(ready).Round(time.Second))
		}
		time.Sleep(20 * time.Millisecond)
	}
	slog.Info("drain", "events", d.Events, "events_per_s", d.EventsPerS, "first_counted_s", d.FirstCountedS)
	return d, waitCounted("drain")
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
