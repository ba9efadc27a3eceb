package infra

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// nodeLogLines is how much of a node's output a failing test shows.
const nodeLogLines = 60

// nodeSpec is a stateful container of the test network (a Kafka node, PostgreSQL): one port
// published on a fixed host port and one named volume, both kept across Kill and Start, so
// addresses handed out and data written before a crash still hold after it.
type nodeSpec struct {
	Name     string // in logs and errors, e.g. "kafka kafka-1"
	Image    string
	Alias    string // network alias
	Env      map[string]string
	Port     int // container TCP port, published on 127.0.0.1:HostPort
	HostPort int
	Volume   string // named volume mounted at DataDir, removed with the container
	DataDir  string
	Wait     wait.Strategy // nil: return as soon as the container runs
}

// startNode runs the container on nw. Should the test fail, its last log lines are shown before
// it is removed.
func startNode(t testing.TB, nw *testcontainers.DockerNetwork, s nodeSpec) *testcontainers.DockerContainer {
	t.Helper()
	port := dnetwork.MustParsePort(fmt.Sprintf("%d/tcp", s.Port))
	opts := []testcontainers.ContainerCustomizer{
		network.WithNetwork([]string{s.Alias}, nw),
		testcontainers.WithEnv(s.Env),
		testcontainers.WithExposedPorts(port.String()),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = dnetwork.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(s.HostPort)}}}
		}),
		testcontainers.WithMounts(testcontainers.VolumeMount(s.Volume, testcontainers.ContainerMountTarget(s.DataDir))),
	}
	if s.Wait != nil {
		opts = append(opts, testcontainers.WithWaitStrategy(s.Wait))
	}
	ctr, err := testcontainers.Run(context.Background(), s.Image, opts...)
	testcontainers.CleanupContainer(t, ctr, testcontainers.RemoveVolumes(s.Volume))
	// Cleanups run last first: the log is read before the container goes.
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, ctr, s.Name, nodeLogLines)
		}
	})
	if err != nil {
		t.Fatalf("infra: start %s (%s): %v", s.Name, s.Image, err)
	}
	return ctr
}

// waitProbe calls probe from the host every interval until it passes. It fails the test, with the
// container's last log lines, once timeout has passed or as soon as the container has exited.
func waitProbe(t testing.TB, ctr *testcontainers.DockerContainer, name string, timeout, interval time.Duration, probe func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := probe()
		if err == nil {
			return
		}
		if st, serr := ctr.State(context.Background()); serr == nil && !st.Running {
			logTail(t, ctr, name, nodeLogLines)
			t.Fatalf("infra: %s exited (code %d) before it was ready: %v", name, st.ExitCode, err)
		}
		if time.Now().After(deadline) {
			logTail(t, ctr, name, nodeLogLines)
			t.Fatalf("infra: %s not ready after %v: %v", name, timeout, err)
		}
		time.Sleep(interval)
	}
}

// startAgain starts a stopped node container again, on its volume and ports, and returns how long
// it took until waitReady returned.
func startAgain(t testing.TB, ctr *testcontainers.DockerContainer, name string, waitReady func()) time.Duration {
	t.Helper()
	start := time.Now()
	if err := ctr.Start(context.Background()); err != nil {
		t.Fatalf("infra: start %s again: %v", name, err)
	}
	waitReady()
	d := time.Since(start)
	t.Logf("infra: %s serving again after %v", name, d.Round(time.Millisecond))
	return d
}

// logTail writes the last lines of a container's output to the test log (none when Run made no
// container).
func logTail(t testing.TB, ctr *testcontainers.DockerContainer, name string, lines int) {
	t.Helper()
	if ctr == nil {
		return
	}
	rc, err := ctr.Logs(context.Background())
	if err != nil {
		t.Logf("infra: logs of %s: %v", name, err)
		return
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	t.Logf("infra: last %d lines of %s:\n%s", len(all), name, strings.Join(all, "\n"))
}
