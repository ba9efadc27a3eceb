package infra

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/distsum/distsum/tests/testkit"
	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// ServiceSpec describes a service container (calculator, totals, or any image) on the network.
type ServiceSpec struct {
	Image string
	Alias string            // network alias
	Env   map[string]string // environment
	Cmd   []string          // arguments after the entrypoint
	// Ports are container TCP ports published on fixed 127.0.0.1 ports, kept across restarts.
	Ports []int
	// DataDir, if set, is a named volume mount (kept across Kill/Start, removed at the end).
	DataDir string
	// ReadyPort and ReadyPath: an HTTP endpoint (e.g. 8080, "/readyz") polled until it answers
	// 200 after every start. Without them a start waits for nothing.
	ReadyPort int
	ReadyPath string
	// StartupTimeout bounds each start (default 60 s).
	StartupTimeout time.Duration
}

// Service is a running service container that a test can kill -9 and start again.
type Service struct {
	Container *testcontainers.DockerContainer
	Spec      ServiceSpec
	Volume    string
	hostPorts map[int]int
}

// StartService runs spec on nw and waits until it is ready.
func StartService(t testing.TB, nw *testcontainers.DockerNetwork, spec ServiceSpec) *Service {
	t.Helper()
	EnsureEngine(t)
	if spec.StartupTimeout == 0 {
		spec.StartupTimeout = 60 * time.Second
	}
	s := &Service{Spec: spec, hostPorts: map[int]int{}}
	bindings := dnetwork.PortMap{}
	exposed := []string{}
	for _, p := range spec.Ports {
		hp := testkit.FreePort(t)
		s.hostPorts[p] = hp
		port := dnetwork.MustParsePort(fmt.Sprintf("%d/tcp", p))
		exposed = append(exposed, port.String())
		bindings[port] = []dnetwork.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(hp)}}
	}
	opts := []testcontainers.ContainerCustomizer{
		network.WithNetwork([]string{spec.Alias}, nw),
		testcontainers.WithEnv(spec.Env),
		testcontainers.WithExposedPorts(exposed...),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.PortBindings = bindings }),
	}
	if len(spec.Cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(spec.Cmd...))
	}
	var cleanup []testcontainers.TerminateOption
	if spec.DataDir != "" {
		s.Volume = "distsum-" + spec.Alias + "-" + testkit.RandomHex(6)
		opts = append(opts, testcontainers.WithMounts(testcontainers.VolumeMount(s.Volume, testcontainers.ContainerMountTarget(spec.DataDir))))
		cleanup = append(cleanup, testcontainers.RemoveVolumes(s.Volume))
	}
	start := time.Now()
	ctr, err := testcontainers.Run(context.Background(), spec.Image, opts...)
	s.Container = ctr
	testcontainers.CleanupContainer(t, ctr, cleanup...)
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, ctr, spec.Alias, 60)
		}
	})
	if err != nil {
		logTail(t, ctr, spec.Alias, 60)
		t.Fatalf("infra: start %s (%s): %v", spec.Alias, spec.Image, err)
	}
	s.waitReady(t)
	t.Logf("infra: %s (%s) ready in %v", spec.Alias, spec.Image, time.Since(start).Round(time.Millisecond))
	return s
}

// HostAddr is 127.0.0.1:<published port> for a container port listed in Ports.
func (s *Service) HostAddr(containerPort int) string {
	hp, ok := s.hostPorts[containerPort]
	if !ok {
		panic(fmt.Sprintf("infra: %s does not publish port %d", s.Spec.Alias, containerPort))
	}
	return fmt.Sprintf("127.0.0.1:%d", hp)
}

// Kill sends SIGKILL (docker kill -s KILL) and waits until the container stopped.
func (s *Service) Kill(t testing.TB) {
	t.Helper()
	killContainer(t, s.Container, s.Spec.Alias)
}

// Stop stops the container gracefully (SIGTERM, then SIGKILL after timeout).
func (s *Service) Stop(t testing.TB, timeout time.Duration) {
	t.Helper()
	if err := s.Container.Stop(context.Background(), &timeout); err != nil {
		t.Fatalf("infra: stop %s: %v", s.Spec.Alias, err)
	}
}

// Start starts the stopped container again (same volume, same ports) and waits until ready.
func (s *Service) Start(t testing.TB) time.Duration {
	t.Helper()
	start := time.Now()
	if err := s.Container.Start(context.Background()); err != nil {
		t.Fatalf("infra: start %s again: %v", s.Spec.Alias, err)
	}
	s.waitReady(t)
	return time.Since(start)
}

// Restart is Kill followed by Start.
func (s *Service) Restart(t testing.TB) time.Duration {
	t.Helper()
	s.Kill(t)
	return s.Start(t)
}

func (s *Service) waitReady(t testing.TB) {
	t.Helper()
	if s.Spec.ReadyPath == "" || s.Spec.ReadyPort == 0 {
		return
	}
	url := "http://" + s.HostAddr(s.Spec.ReadyPort) + s.Spec.ReadyPath
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(s.Spec.StartupTimeout)
	var last string
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if st, err := s.Container.State(context.Background()); err == nil && !st.Running {
			logTail(t, s.Container, s.Spec.Alias, 60)
			t.Fatalf("infra: %s exited (code %d) before it was ready", s.Spec.Alias, st.ExitCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	logTail(t, s.Container, s.Spec.Alias, 60)
	t.Fatalf("infra: %s not ready at %s after %v: %s", s.Spec.Alias, url, s.Spec.StartupTimeout, last)
}

// killContainer sends SIGKILL and waits until the container is no longer running.
func killContainer(t testing.TB, ctr *testcontainers.DockerContainer, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("infra: docker client: %v", err)
	}
	defer cli.Close()
	if _, err := cli.ContainerKill(ctx, ctr.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatalf("infra: kill %s: %v", name, err)
	}
	for {
		st, err := ctr.State(ctx)
		if err == nil && !st.Running {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("infra: %s still running after SIGKILL: %v", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
