package testkit

// services.go builds the calculator and totals binaries once per test
// process and runs them as real child processes on free loopback ports, so
// tests can kill -9 them and restart them on the same ports and data.

import (
	"context"
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

// Process is a service child process that can be killed and restarted with
// the same arguments, ports and data.
type Process struct {
	Name    string
	bin     string
	env     []string
	logPath string
	health  string // URL that answers 200 once the process serves

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func newProcess(t testing.TB, name, bin, dir, health string, env []string) *Process {
	p := &Process{Name: name, bin: bin, env: env, logPath: filepath.Join(dir, name+".log"), health: health}
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
		if resp, err := http.Get(p.health); err == nil {
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
}

// StartCalculator runs a calculator against brokers with its outbox in a
// fresh directory. env adds or overrides variables.
func StartCalculator(t testing.TB, brokers string, env ...string) *Calculator {
	t.Helper()
	return StartCalculatorBinary(t, ServiceBinaries(t).Calculator, brokers, env...)
}

// StartCalculatorBinary is StartCalculator with another calculator
// executable (a test build of it).
func StartCalculatorBinary(t testing.TB, bin, brokers string, env ...string) *Calculator {
	t.Helper()
	dir := t.TempDir()
	c := &Calculator{GRPCAddr: freeAddr(t), HTTPAddr: freeAddr(t), DataDir: filepath.Join(dir, "data")}
	base := []string{
		"CALCULATOR_GRPC_ADDR=" + c.GRPCAddr, "CALCULATOR_HTTP_ADDR=" + c.HTTPAddr,
		"CALCULATOR_DATA_DIR=" + c.DataDir, "KAFKA_BROKERS=" + brokers,
		"CALCULATOR_SHUTDOWN_TIMEOUT=5s",
	}
	c.Process = newProcess(t, "calculator", bin, dir, "http://"+c.HTTPAddr+"/healthz", append(base, env...))
	return c
}

// Client dials the calculator (closed at test end).
func (c *Calculator) Client(t testing.TB) calculatorpb.CalculatorServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(c.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
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
}

// StartTotals runs a totals service against brokers with its state in a
// fresh directory. env adds or overrides variables.
func StartTotals(t testing.TB, brokers string, env ...string) *Totals {
	t.Helper()
	bins := ServiceBinaries(t)
	dir := t.TempDir()
	addr, ops := freeAddr(t), freeAddr(t)
	tt := &Totals{URL: "http://" + addr, OpsURL: "http://" + ops, DataDir: filepath.Join(dir, "data")}
	base := []string{
		"TOTALS_HTTP_ADDR=" + addr, "TOTALS_OPS_ADDR=" + ops, "TOTALS_DATA_DIR=" + tt.DataDir, "KAFKA_BROKERS=" + brokers,
		"TOTALS_SHUTDOWN_TIMEOUT=5s",
	}
	tt.Process = newProcess(t, "totals", bins.Totals, dir, tt.URL+"/healthz", append(base, env...))
	return tt
}

// API is the typed client of this service's REST API.
func (tt *Totals) API() *totalsclient.Client {
	return totalsclient.New(tt.URL, nil).WithOps(tt.OpsURL)
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
