package testkit

// services.go builds the calculator and totals binaries once per test
// process and runs them as real child processes on free loopback ports, so
// tests can kill -9 them and restart them on the same ports and data.

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
)

// Binaries are the service executables under test.
type Binaries struct{ Calculator, Totals string }

var (
	buildOnce sync.Once
	built     Binaries
	buildErr  error
)

// ServiceBinaries returns the service executables: CALCULATOR_BIN and
// TOTALS_BIN when set (e.g. built by Bazel), else a `go build` of the
// working tree, done once per test process.
func ServiceBinaries(t testing.TB) Binaries {
	t.Helper()
	buildOnce.Do(func() {
		if c, tt := os.Getenv("CALCULATOR_BIN"), os.Getenv("TOTALS_BIN"); c != "" && tt != "" {
			built = Binaries{Calculator: c, Totals: tt}
			return
		}
		root, err := RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "distsum-bin-")
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", dir+"/", "./services/calculator", "./services/totals")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built = Binaries{Calculator: filepath.Join(dir, "calculator"), Totals: filepath.Join(dir, "totals")}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

var (
	taggedMu    sync.Mutex
	taggedBuilt = map[string]string{} // build tag -> executable, once per test process
)

// UnsafeTotalsBinary is the totals executable of a test build that can
// count duplicates (TOTALS_UNSAFE_DISABLE_DEDUPE, tag
// distsum_unsafe_disable_dedupe; a service build refuses that setting):
// TOTALS_UNSAFE_BIN when set (built by Bazel), else a `go build` of it.
func UnsafeTotalsBinary(t testing.TB) string {
	t.Helper()
	return taggedBinary(t, "TOTALS_UNSAFE_BIN", "./services/totals", "distsum_unsafe_disable_dedupe")
}

// taggedBinary is $env when set, else `go build -tags tag pkg`, once per
// test process.
func taggedBinary(t testing.TB, env, pkg, tag string) string {
	t.Helper()
	if bin := os.Getenv(env); bin != "" {
		return bin
	}
	taggedMu.Lock()
	defer taggedMu.Unlock()
	if bin, ok := taggedBuilt[tag]; ok {
		return bin
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: the binary serves every later test of the process.
	dir, err := os.MkdirTemp("", "distsum-bin-"+tag+"-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-tags", tag, "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s %s: %v\n%s", tag, pkg, err, out)
	}
	taggedBuilt[tag] = bin
	return bin
}

// Process is a service child process that can be killed and restarted with
// the same arguments, ports and data.
type Process struct {
	Name    string
	bin     string
	env     []string
	logPath string
	health  string       // URL that answers 200 once the process serves
	hc      *http.Client // polls health

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func newProcess(t testing.TB, name, bin, dir, health string, hc *http.Client, env []string) *Process {
	p := &Process{Name: name, bin: bin, env: env, logPath: filepath.Join(dir, name+".log"), health: health, hc: hc}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s: log %s; last lines:\n%s", name, p.logPath, tail(p.logPath, 30))
		}
	})
	p.Start(t)
	return p
}

// Start runs the process and waits until its health URL answers.
func (p *Process) Start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		t.Fatalf("%s: already running", p.Name)
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "---- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", p.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }() //nolint:errcheck // exit status is in the log
	p.cmd, p.done, p.log = cmd, done, f
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			p.cmd = nil
			t.Fatalf("%s exited during start; log:\n%s", p.Name, tail(p.logPath, 30))
		default:
		}
		hc := p.hc
		if hc == nil {
			hc = http.DefaultClient
		}
		if resp, err := hc.Get(p.health); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy after 30s; log:\n%s", p.Name, tail(p.logPath, 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL and waits for the process to die.
func (p *Process) Kill() { p.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM and waits (SIGKILL after 30s).
func (p *Process) Stop() { p.signal(syscall.SIGTERM, 30*time.Second) }

// Restart starts the process again after Kill or Stop.
func (p *Process) Restart(t testing.TB) { t.Helper(); p.Start(t) }

// Running reports whether the process is alive.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// LogPath is the process's combined output.
func (p *Process) LogPath() string { return p.logPath }

func (p *Process) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(sig) //nolint:errcheck // may have exited already
	if grace > 0 {
		select {
		case <-p.done:
		case <-time.After(grace):
			p.cmd.Process.Kill() //nolint:errcheck
			<-p.done
		}
	} else {
		<-p.done
	}
	p.cmd = nil
}

// Calculator is a running calculator process.
type Calculator struct {
	*Process
	GRPCAddr, HTTPAddr, DataDir string
	tls                         *tls.Config // nil: plaintext
}

// httpClient is an HTTP client of a service over TLS with cfg (its CA, and
// a client certificate for mTLS); nil (the default clients) for plaintext.
func httpClient(cfg *tls.Config) *http.Client {
	if cfg == nil {
		return nil
	}
	// A clone: the transport adds its ALPN protocols to the config it is given.
	return &http.Client{Timeout: totalsclient.DefaultTimeout, Transport: &http.Transport{TLSClientConfig: cfg.Clone(), ForceAttemptHTTP2: true}}
}

func scheme(cfg *tls.Config) string {
	if cfg == nil {
		return "http://"
	}
	return "https://"
}

// StartCalculator runs a calculator against brokers with its outbox in a
// fresh directory. env adds or overrides variables.
func StartCalculator(t testing.TB, brokers string, env ...string) *Calculator {
	t.Helper()
	return StartCalculatorBinary(t, ServiceBinaries(t).Calculator, brokers, env...)
}

// StartCalculatorTLS is StartCalculator for a calculator serving TLS (env
// sets its CALCULATOR_TLS_* files): the test kit's health polls and Client
// use client (the CA to trust, a client certificate for mTLS).
func StartCalculatorTLS(t testing.TB, brokers string, client *tls.Config, env ...string) *Calculator {
	t.Helper()
	return startCalculator(t, ServiceBinaries(t).Calculator, brokers, client, env)
}

// StartCalculatorBinary is StartCalculator with another calculator
// executable (a test build of it).
func StartCalculatorBinary(t testing.TB, bin, brokers string, env ...string) *Calculator {
	t.Helper()
	return startCalculator(t, bin, brokers, nil, env)
}

func startCalculator(t testing.TB, bin, brokers string, client *tls.Config, env []string) *Calculator {
	t.Helper()
	dir := t.TempDir()
	c := &Calculator{GRPCAddr: freeAddr(t), HTTPAddr: freeAddr(t), DataDir: filepath.Join(dir, "data"), tls: client}
	base := []string{
		"CALCULATOR_GRPC_ADDR=" + c.GRPCAddr, "CALCULATOR_HTTP_ADDR=" + c.HTTPAddr,
		"CALCULATOR_DATA_DIR=" + c.DataDir, "KAFKA_BROKERS=" + brokers,
		"CALCULATOR_SHUTDOWN_TIMEOUT=5s",
	}
	c.Process = newProcess(t, "calculator", bin, dir, scheme(client)+c.HTTPAddr+"/healthz", httpClient(client), append(base, env...))
	return c
}

// Client dials the calculator (closed at test end).
func (c *Calculator) Client(t testing.TB) calculatorpb.CalculatorServiceClient {
	t.Helper()
	creds := insecure.NewCredentials()
	if c.tls != nil {
		creds = credentials.NewTLS(c.tls)
	}
	conn, err := grpc.NewClient(c.GRPCAddr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return calculatorpb.NewCalculatorServiceClient(conn)
}

// Totals is a running totals process: URL is its public address (GET /total), OpsURL its
// ops address (/metrics, /stats).
type Totals struct {
	*Process
	URL, OpsURL, DataDir string
	hc                   *http.Client
}

// StartTotals runs a totals service against brokers with its state in a
// fresh directory. env adds or overrides variables.
func StartTotals(t testing.TB, brokers string, env ...string) *Totals {
	t.Helper()
	return StartTotalsTLS(t, brokers, nil, env...)
}

// StartTotalsBinary is StartTotals with another totals executable (a test
// build of it: UnsafeTotalsBinary).
func StartTotalsBinary(t testing.TB, bin, brokers string, env ...string) *Totals {
	t.Helper()
	return startTotals(t, bin, brokers, nil, env...)
}

// StartTotalsTLS is StartTotals for a totals service serving TLS (env sets
// its TOTALS_TLS_* files; a nil client is plaintext): its URL is https and
// the test kit's requests use client.
func StartTotalsTLS(t testing.TB, brokers string, client *tls.Config, env ...string) *Totals {
	t.Helper()
	return startTotals(t, ServiceBinaries(t).Totals, brokers, client, env...)
}

func startTotals(t testing.TB, bin, brokers string, client *tls.Config, env ...string) *Totals {
	t.Helper()
	dir := t.TempDir()
	addr, ops := freeAddr(t), freeAddr(t)
	tt := &Totals{URL: scheme(client) + addr, OpsURL: scheme(client) + ops, DataDir: filepath.Join(dir, "data"), hc: httpClient(client)}
	base := []string{
		"TOTALS_HTTP_ADDR=" + addr, "TOTALS_OPS_ADDR=" + ops, "TOTALS_DATA_DIR=" + tt.DataDir, "KAFKA_BROKERS=" + brokers,
		"TOTALS_SHUTDOWN_TIMEOUT=5s",
	}
	tt.Process = newProcess(t, "totals", bin, dir, tt.URL+"/healthz", tt.hc, append(base, env...))
	return tt
}

// API is the typed client of this service's REST API.
func (tt *Totals) API() *totalsclient.Client {
	return totalsclient.New(tt.URL, tt.hc).WithOps(tt.OpsURL)
}

// Total reads GET /total.
func (tt *Totals) Total(t testing.TB) *big.Int {
	t.Helper()
	return call(t, "GET /total", tt.API().Total)
}

// WaitCounted waits until the Add behind token is counted and returns the
// total then, or fails the test after timeout. A restarting service is waited for.
func (tt *Totals) WaitCounted(t testing.TB, token string, timeout time.Duration) *big.Int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n, err := tt.API().AwaitCounted(ctx, token)
	if err != nil {
		t.Fatalf("token %s not counted after %s: %v", token, timeout, err)
	}
	return n
}

// Stats reads GET /stats.
func (tt *Totals) Stats(t testing.TB) totalsclient.Stats {
	t.Helper()
	return call(t, "GET /stats", tt.API().Stats)
}

// call runs one request with a 10 s bound and fails the test on an error.
func call[T any](t testing.TB, what string, f func(context.Context) (T, error)) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := f(ctx)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func freeAddr(t testing.TB) string { return fmt.Sprintf("127.0.0.1:%d", FreePort(t)) }

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return kafkaLastLines(string(b), n)
}
