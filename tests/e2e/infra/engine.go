package infra

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distsum/distsum/tests/testkit"
)

// E2EEnv is the variable that requests the end-to-end suites.
const E2EEnv = "E2E"

var (
	engineMu      sync.Mutex
	engineReady   bool
	engineStarted bool // this process started the engine, so Main stops it
)

// Requested reports whether the end-to-end suites were asked for (E2E=1).
func Requested() bool { return os.Getenv(E2EEnv) == "1" }

// RequireE2E skips the test unless E2E=1.
func RequireE2E(t testing.TB) {
	t.Helper()
	if !Requested() {
		t.Skip("end-to-end test: set E2E=1 to run it (it starts a Docker engine and containers; see tests/e2e/infra)")
	}
}

// RepoRoot returns the directory holding the module's go.mod.

// EnsureEngine makes a Docker engine available to testcontainers-go. It skips the test unless
// E2E=1. If DOCKER_HOST answers, it is used; otherwise scripts/docker-engine.sh start runs and
// its environment is exported to this process. Any failure is fatal.
func EnsureEngine(t testing.TB) {
	t.Helper()
	RequireE2E(t)
	engineMu.Lock()
	defer engineMu.Unlock()
	if engineReady {
		return
	}
	start := time.Now()
	if host := os.Getenv("DOCKER_HOST"); host != "" && pingDocker(host) == nil {
		setDefaultEnv(host)
		engineReady = true
		return
	}
	root := testkit.Root(t)
	script := filepath.Join(root, "scripts", "docker-engine.sh")
	cmd := exec.Command(script, "start")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("infra: %s start: %v\n%s", script, err, out)
	}
	envOut, err := exec.Command(script, "env").Output()
	if err != nil {
		t.Fatalf("infra: %s env: %v", script, err)
	}
	if err := applyExports(string(envOut)); err != nil {
		t.Fatalf("infra: %v", err)
	}
	if err := pingDocker(os.Getenv("DOCKER_HOST")); err != nil {
		t.Fatalf("infra: engine started but %s does not answer: %v", os.Getenv("DOCKER_HOST"), err)
	}
	engineReady, engineStarted = true, true
	t.Logf("infra: docker engine ready on %s in %v", os.Getenv("DOCKER_HOST"), time.Since(start).Round(time.Millisecond))
}

// Main runs the tests and stops the engine if this process started it (set KEEP_ENGINE=1 to
// keep it). Use it as: func TestMain(m *testing.M) { os.Exit(infra.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	engineMu.Lock()
	started := engineStarted
	engineMu.Unlock()
	if started && os.Getenv("KEEP_ENGINE") != "1" {
		if root, err := testkit.RepoRoot(); err == nil {
			cmd := exec.Command(filepath.Join(root, "scripts", "docker-engine.sh"), "stop")
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			_ = cmd.Run()
		}
	}
	return code
}

// setDefaultEnv fills in what testcontainers needs on this kind of machine, keeping any value
// the user set.
func setDefaultEnv(host string) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && strings.HasPrefix(host, "unix://") {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	// The project's engine ships its own docker CLI; the image scripts use it.
	if root, err := testkit.RepoRoot(); err == nil {
		bin := filepath.Join(root, ".cache", "docker", "root", "usr", "bin")
		if _, err := os.Stat(bin); err == nil && !strings.Contains(os.Getenv("PATH"), bin) {
			os.Setenv("PATH", bin+string(os.PathListSeparator)+filepath.Join(root, ".cache", "docker", "root", "usr", "sbin")+
				string(os.PathListSeparator)+os.Getenv("PATH"))
		}
	}
}

// applyExports sets the variables of lines like `export K=V;`.
func applyExports(s string) error {
	sc := bufio.NewScanner(strings.NewReader(s))
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimSuffix(strings.TrimPrefix(line, "export "), ";")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = os.Expand(v, func(name string) string { return os.Getenv(name) })
		if err := os.Setenv(k, v); err != nil {
			return err
		}
		n++
	}
	if n == 0 || os.Getenv("DOCKER_HOST") == "" {
		return fmt.Errorf("docker-engine.sh env printed no DOCKER_HOST: %q", s)
	}
	return nil
}

// pingDocker calls /_ping on a unix:// or tcp:// DOCKER_HOST.
func pingDocker(host string) error {
	u, err := url.Parse(host)
	if err != nil {
		return err
	}
	tr := &http.Transport{}
	base := ""
	switch u.Scheme {
	case "unix":
		path := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		base = "http://docker"
	case "tcp", "http":
		base = "http://" + u.Host
	default:
		return fmt.Errorf("unsupported DOCKER_HOST scheme %q", u.Scheme)
	}
	c := &http.Client{Transport: tr, Timeout: 3 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := c.Get(base + "/_ping")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping: %s", resp.Status)
	}
	return nil
}
