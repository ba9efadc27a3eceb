// Command loadgen is the runnable stand-in for the k6 scripts in k6-tests/ (k6 itself cannot be
// installed here). It drives /CalculatorService/Add over gRPC with N concurrent workers sharing a
// few connections for a bounded time and count (optionally GET /total readers alongside), prints
// throughput, latency percentiles and errors, then waits until the totals service confirms that
// every acknowledged Add is counted (GET /total?after=TOKEN) and prints the end-to-end time.
//
//	go run ./k6-tests/loadgen -workers 50 -duration 10s
//	go run ./k6-tests/loadgen -workers 200 -conns 8 -duration 30s -readers 4 -verify
//
// Targets must be loopback addresses.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tests/testkit/addload"
)

// Hard limits: a run is always bounded in time and in count.
const (
	maxDuration = 10 * time.Minute
	maxRequests = 5_000_000
)

type config struct {
	grpcAddr    string
	totalsURL   string
	workers     int
	conns       int
	duration    time.Duration
	maxRequests int64
	readers     int
	timeout     time.Duration
	wait        time.Duration
	maxNum      int64
	idPrefix    string
	verify      bool
	noWait      bool
	out         io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg := config{out: out}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&cfg.grpcAddr, "grpc-addr", envOr("CALCULATOR_GRPC_ADDR", "127.0.0.1:9090"), "calculator gRPC address (loopback)")
	fs.StringVar(&cfg.totalsURL, "totals-url", envOr("TOTALS_URL", "http://127.0.0.1:8080"), "totals base URL (loopback); empty skips GET /total and the end-to-end wait")
	fs.IntVar(&cfg.workers, "workers", 50, "concurrent Add workers (like k6 VUs)")
	fs.IntVar(&cfg.conns, "conns", 4, "gRPC connections shared by the workers (each worker keeps one)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to send Adds (at most 10m)")
	fs.Int64Var(&cfg.maxRequests, "max-requests", 1_000_000, "stop after this many Adds (at most 5,000,000)")
	fs.IntVar(&cfg.readers, "readers", 0, "concurrent GET /total readers during the load")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.DurationVar(&cfg.wait, "wait", 60*time.Second, "how long to wait for the totals service to count every acknowledged Add")
	fs.Int64Var(&cfg.maxNum, "max-num", 1000, "operands are drawn from [-max-num, max-num]")
	fs.StringVar(&cfg.idPrefix, "id-prefix", fmt.Sprintf("loadgen-%d", time.Now().UnixNano()), "request_id prefix (ids are PREFIX-N)")
	fs.BoolVar(&cfg.verify, "verify", false, "fail unless the total grew by exactly the sum of acknowledged Adds (needs no other writers)")
	fs.BoolVar(&cfg.noWait, "no-wait", false, "skip the end-to-end wait")
	if err := fs.Parse(args); err != nil {
		return err
	}

	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))

	if cfg.workers < 1 || cfg.conns < 1 || cfg.readers < 0 {
		return errors.New("-workers and -conns must be >= 1, -readers >= 0")
	}
	if cfg.duration <= 0 || cfg.duration > maxDuration {
		return fmt.Errorf("-duration must be in (0, %s]", maxDuration)
	}
	if cfg.maxRequests <= 0 || cfg.maxRequests > maxRequests {
		return fmt.Errorf("-max-requests must be in [1, %d]", maxRequests)
	}
	if cfg.maxNum < 0 || cfg.maxNum > 1<<40 {
		return errors.New("-max-num must be in [0, 2^40]")
	}
	addr, err := loopbackHostPort(cfg.grpcAddr)
	if err != nil {
		return fmt.Errorf("-grpc-addr: %w", err)
	}
	cfg.grpcAddr = addr
	if cfg.totalsURL != "" {
		if err := loopbackURL(cfg.totalsURL); err != nil {
			return fmt.Errorf("-totals-url: %w", err)
		}
		cfg.totalsURL = strings.TrimRight(cfg.totalsURL, "/")
	}

	hc := &http.Client{Timeout: cfg.timeout + 5*time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.readers + 4}}
	var totals *totalsclient.Client
	var before *big.Int
	if cfg.totalsURL != "" {
		totals = totalsclient.New(cfg.totalsURL, hc)
		before, err = totals.Total(ctx)
		if err != nil {
			return fmt.Errorf("GET /total before the load: %w", err)
		}
	}

	conns := make([]*grpc.ClientConn, cfg.conns)
	for i := range conns {
		c, err := grpc.NewClient(cfg.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("dial %s: %w", cfg.grpcAddr, err)
		}
		defer c.Close()
		conns[i] = c
	}

	fmt.Fprintf(cfg.out, "loadgen: Add -> %s, %d workers over %d connections, %s or %d requests", cfg.grpcAddr, cfg.workers, cfg.conns, cfg.duration, cfg.maxRequests)
	if cfg.readers > 0 {
		fmt.Fprintf(cfg.out, ", %d GET /total readers", cfg.readers)
	}
	fmt.Fprintln(cfg.out)

	res := load(ctx, cfg, conns, totals)
	res.print(cfg)

	if cfg.totalsURL == "" || cfg.noWait {
		return res.failure()
	}
	if len(res.tokens) == 0 {
		fmt.Fprintln(cfg.out, "end-to-end: no acknowledged Add to wait for")
		return res.failure()
	}
	if err := res.failure(); err != nil {
		return err
	}
	if err := waitCounted(ctx, cfg, totals, res); err != nil {
		return err
	}
	after, err := totals.Total(ctx)
	if err != nil {
		return fmt.Errorf("GET /total after the load: %w", err)
	}
	delta := new(big.Int).Sub(after, before)
	fmt.Fprintf(cfg.out, "total: before %s, after %s, delta %s, sum of acknowledged Adds %s", before, after, delta, res.ackedSum)
	if delta.Cmp(res.ackedSum) == 0 {
		fmt.Fprintln(cfg.out, " (match)")
	} else {
		fmt.Fprintln(cfg.out, " (MISMATCH)")
		if cfg.verify {
			return fmt.Errorf("total grew by %s, acknowledged Adds sum to %s", delta, res.ackedSum)
		}
		fmt.Fprintln(cfg.out, "  (other writers, or a retried Add whose first attempt had timed out, also change the delta; use -verify on a quiet system)")
	}
	return res.failure()
}

type results struct {
	elapsed      time.Duration
	ok, failed   int64 // acknowledged Adds, failed attempts (retried with the same request_id)
	codes        map[codes.Code]int64
	lat          []time.Duration
	ackedSum     *big.Int
	tokens       []string // per producer, its highest acknowledged event
	lastAckAt    time.Time
	reads        int64
	readErrors   int64
	readLat      []time.Duration
	replays      int64
	firstErrText string
	runErr       error // a wrong sum, an error that cannot be retried, or Adds left in doubt
}

func (r *results) failure() error {
	if r.ok == 0 {
		return fmt.Errorf("no Add succeeded (%d failed; first error: %s)", r.failed, r.firstErrText)
	}
	return r.runErr
}

// workerOut is what one worker saw; only that worker's goroutine writes it.
type workerOut struct {
	ok, failed int64
	codes      map[codes.Code]int64
	lat        []time.Duration
	lastAck    time.Time
	replays    int64
	firstErr   string
}

// load runs the Add workload of the test kit (unique request_ids, each retried until answered)
// for cfg.duration or cfg.maxRequests Adds, with GET /total readers alongside.
func load(ctx context.Context, cfg config, conns []*grpc.ClientConn, totals *totalsclient.Client) *results {
	outs := make([]workerOut, cfg.workers)
	for i := range outs {
		outs[i].codes = map[codes.Code]int64{}
	}
	clients := make([]calculatorpb.CalculatorServiceClient, len(conns))
	for i, c := range conns {
		clients[i] = calculatorpb.NewCalculatorServiceClient(c)
	}
	oracle := addload.NewOracle()
	start := time.Now()
	w := &addload.Workload{
		Clients: clients, Oracle: oracle, Prefix: cfg.idPrefix, Workers: cfg.workers,
		Seed: uint64(start.UnixNano()), MaxNum: cfg.maxNum, Timeout: cfg.timeout,
		OnAck: func(a addload.Attempt) {
			o := &outs[a.Worker]
			o.lat = append(o.lat, a.Latency)
			o.ok++
			o.codes[codes.OK]++
			if a.Resp.GetReplayed() {
				o.replays++
			}
			o.lastAck = time.Now()
		},
		OnFailure: func(a addload.Attempt) {
			o := &outs[a.Worker]
			o.lat = append(o.lat, a.Latency)
			o.failed++
			o.codes[status.Code(a.Err)]++
			if o.firstErr == "" {
				o.firstErr = a.Err.Error()
			}
		},
	}
	// Adds in flight when the duration ends are still retried with their request_id, for up to
	// three more timeouts, so that every acknowledged Add is known.
	stop := time.AfterFunc(cfg.duration, w.Stop)
	defer stop.Stop()
	rctx, rcancel := context.WithTimeout(ctx, cfg.duration+3*cfg.timeout)
	defer rcancel()

	// Readers: GET /total in a loop while the load runs.
	lctx, cancel := context.WithCancel(rctx)
	defer cancel()
	var reads, readErrs atomic.Int64
	readLat := make([][]time.Duration, cfg.readers)
	var rwg sync.WaitGroup
	if totals != nil {
		for r := 0; r < cfg.readers; r++ {
			rwg.Add(1)
			go func(r int) {
				defer rwg.Done()
				for i := 0; lctx.Err() == nil && i < maxRequests; i++ {
					t0 := time.Now()
					_, err := totals.Total(lctx)
					if lctx.Err() != nil {
						return // cut by the end of the run, not a failure
					}
					readLat[r] = append(readLat[r], time.Since(t0))
					reads.Add(1)
					if err != nil {
						readErrs.Add(1)
					}
				}
			}(r)
		}
	}
	runErr := w.Run(rctx, int(cfg.maxRequests))
	elapsed := time.Since(start)
	cancel()
	rwg.Wait()
	if errors.Is(runErr, context.DeadlineExceeded) && ctx.Err() == nil {
		runErr = fmt.Errorf("Adds still unanswered %s after the load ended (in doubt): %w", 3*cfg.timeout, runErr)
	}

	res := &results{elapsed: elapsed, codes: map[codes.Code]int64{}, ackedSum: oracle.Expected(), tokens: oracle.Tokens(),
		reads: reads.Load(), readErrors: readErrs.Load(), runErr: runErr}
	for _, o := range outs {
		res.ok += o.ok
		res.failed += o.failed
		res.replays += o.replays
		for c, n := range o.codes {
			res.codes[c] += n
		}
		res.lat = append(res.lat, o.lat...)
		if o.lastAck.After(res.lastAckAt) {
			res.lastAckAt = o.lastAck
		}
		if res.firstErrText == "" {
			res.firstErrText = o.firstErr
		}
	}
	for _, l := range readLat {
		res.readLat = append(res.readLat, l...)
	}
	return res
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func (r *results) print(cfg config) {
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	total := r.ok + r.failed
	secs := r.elapsed.Seconds()
	fmt.Fprintf(cfg.out, "Add: %d calls in %.2fs = %.0f calls/s; ok %d, errors %d", total, secs, float64(total)/secs, r.ok, r.failed)
	if r.replays > 0 {
		fmt.Fprintf(cfg.out, ", replayed %d", r.replays)
	}
	fmt.Fprintln(cfg.out)
	if len(r.lat) > 0 {
		var sum time.Duration
		for _, d := range r.lat {
			sum += d
		}
		fmt.Fprintf(cfg.out, "Add latency: avg %s p50 %s p95 %s p99 %s max %s\n",
			round(sum/time.Duration(len(r.lat))), round(percentile(r.lat, 50)), round(percentile(r.lat, 95)),
			round(percentile(r.lat, 99)), round(r.lat[len(r.lat)-1]))
	}
	if r.failed > 0 {
		var parts []string
		for c, n := range r.codes {
			if c != codes.OK {
				parts = append(parts, fmt.Sprintf("%s=%d", c, n))
			}
		}
		sort.Strings(parts)
		fmt.Fprintf(cfg.out, "Add errors by code: %s (first: %s)\n", strings.Join(parts, " "), r.firstErrText)
	}
	if cfg.readers > 0 {
		sort.Slice(r.readLat, func(i, j int) bool { return r.readLat[i] < r.readLat[j] })
		fmt.Fprintf(cfg.out, "GET /total: %d reads = %.0f/s, errors %d, p50 %s p95 %s p99 %s\n", r.reads, float64(r.reads)/secs, r.readErrors,
			round(percentile(r.readLat, 50)), round(percentile(r.readLat, 95)), round(percentile(r.readLat, 99)))
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// waitCounted asks the totals service to wait, per producer, for the highest acknowledged event.
func waitCounted(ctx context.Context, cfg config, totals *totalsclient.Client, res *results) error {
	waitStart := time.Now()
	wctx, cancel := context.WithTimeout(ctx, cfg.wait)
	defer cancel()
	for _, tok := range res.tokens {
		if _, err := totals.AwaitCounted(wctx, tok); err != nil {
			return fmt.Errorf("end-to-end: event %s not counted after %s: %w", tok, cfg.wait, err)
		}
	}
	now := time.Now()
	fmt.Fprintf(cfg.out, "end-to-end: every acknowledged Add counted %s after the last acknowledgement (%s after the load ended); producers %d\n",
		round(now.Sub(res.lastAckAt)), round(now.Sub(waitStart)), len(res.tokens))
	return nil
}

// loopbackHostPort normalises ":9090" to "127.0.0.1:9090" and refuses non-loopback hosts.
func loopbackHostPort(hp string) (string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("port %q: %w", port, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if err := requireLoopback(host); err != nil {
		return "", err
	}
	return net.JoinHostPort(host, port), nil
}

func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q: want http://127.0.0.1:PORT", raw)
	}
	return requireLoopback(u.Hostname())
}

func requireLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address: load is only sent to this machine", host)
		}
	}
	return nil
}
