// Package compose runs the Docker Compose deployment (deploy/compose) the way a user would:
// `docker-compose up -d` of compose.yaml with the compose.local.yaml override (images built
// here), one Add, the total showing it, Prometheus scraping both services, `down -v`.
//
// It needs a Docker engine and docker-compose (scripts/install-tools.sh compose), so it runs
// only with E2E=1, like the failure suite: E2E=1 go test ./tests/compose (make test-compose).
// Every published port is a free one, so a running `make up` or a user's compose stack is never
// in the way.
//
//	CALCULATOR_IMAGE_TAR, TOTALS_IMAGE_TAR  the Bazel-built service images (else go build)
//	DOCKER_COMPOSE                          the compose command (default docker-compose)
package compose

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tests/e2e/infra"
	"github.com/distsum/distsum/tests/testkit"
)

func TestMain(m *testing.M) { os.Exit(infra.Main(m)) }

// Services the local variant starts; Grafana, Kafka UI and Jaeger are in the "registry" profile.
var localServices = []string{"kafka", "calculator", "totals", "prometheus", "alertmanager"}

// stack is one compose project on free ports.
type stack struct {
	t       *testing.T
	root    string
	project string
	compose []string // command and its -p/-f arguments
	env     []string
	ports   map[string]int
}

func TestLocalStack(t *testing.T) {
	infra.EnsureEngine(t) // skips unless E2E=1
	s := newStack(t)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	s.run(ctx, "up", "-d")
	t.Logf("compose up -d returned in %v", time.Since(start).Round(time.Millisecond))
	// depends_on conditions hold: each service started only after a health probe of the broker
	// had passed. (Without the condition they start a second after the broker, before its first
	// probe; measured with an override that sets condition: service_started.)
	kafkaHealthy := s.firstHealthyProbe(ctx, "kafka")
	for _, svc := range []string{"calculator", "totals"} {
		if started := s.state(ctx, svc).StartedAt; started.Before(kafkaHealthy) {
			t.Errorf("%s started at %v, before kafka's first passing health probe ended (%v)",
				svc, started.Format(time.StampMilli), kafkaHealthy.Format(time.StampMilli))
		}
	}

	// The health checks run inside images without a shell: the Go probes must say healthy.
	s.waitHealthy(ctx, localServices...)
	t.Logf("all five services healthy after %v", time.Since(start).Round(time.Millisecond))
	for _, svc := range []string{"grafana", "kafka-ui", "jaeger"} {
		if id := s.output(ctx, "ps", "-q", svc); id != "" {
			t.Errorf("%s runs in the local variant (container %s); it cannot be pulled here", svc, id)
		}
	}

	// One Add over gRPC on the published port; retried with the same request_id, so a retry
	// after an unanswered call counts once.
	conn, err := grpc.NewClient(s.addr("CALCULATOR_GRPC_PORT"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	calc := calculatorpb.NewCalculatorServiceClient(conn)
	var resp *calculatorpb.AddResponse
	for {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		resp, err = calc.Add(cctx, &calculatorpb.AddRequest{Num1: 5, Num2: 10, RequestId: "compose-" + s.project})
		ccancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Add never answered: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if resp.GetSum() != 15 {
		t.Fatalf("Add(5, 10) = %d", resp.GetSum())
	}

	totals := totalsclient.New("http://"+s.addr("TOTALS_HTTP_PORT"), nil).WithOps("http://" + s.addr("TOTALS_OPS_PORT"))
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	total, err := totals.AwaitCounted(wctx, resp.GetToken())
	wcancel()
	if err != nil {
		t.Fatalf("GET /total?after=%s: %v", resp.GetToken(), err)
	}
	if total.String() != "15" {
		t.Fatalf("total after one Add(5, 10) on fresh volumes is %s, want 15", total)
	}
	if total, err := totals.Total(ctx); err != nil || total.String() != "15" {
		t.Fatalf("GET /total = %v, %v; want 15", total, err)
	}
	if st, err := totals.Stats(ctx); err != nil || st.Applied != 1 {
		t.Fatalf("GET /stats on the ops port = %+v, %v; want 1 event applied", st, err)
	}

	s.waitTargetsUp(ctx, "calculator", "totals")

	// down -v removes the containers, the network and the named volumes.
	s.run(ctx, "down", "-v", "--remove-orphans")
	label := "label=com.docker.compose.project=" + s.project
	for _, what := range [][]string{{"ps", "-aq"}, {"volume", "ls", "-q"}, {"network", "ls", "-q"}} {
		args := append(append([]string{}, what...), "--filter", label)
		if out := s.docker(ctx, args...); out != "" {
			t.Errorf("after down -v, docker %s still lists: %s", strings.Join(args, " "), out)
		}
	}
}

func newStack(t *testing.T) *stack {
	t.Helper()
	root := testkit.Root(t)
	bin := os.Getenv("DOCKER_COMPOSE")
	if bin == "" {
		bin = "docker-compose"
	}
	cmd := strings.Fields(bin)
	if _, err := exec.LookPath(cmd[0]); err != nil {
		t.Fatalf("%s not found: install it with scripts/install-tools.sh compose", cmd[0])
	}
	// The images the local variant names: built here (scripts/build-images.sh) and the
	// service images from the Bazel tarballs or `go build`, as the failure suite gets them.
	for _, img := range []string{"kafka", "prometheus", "alertmanager"} {
		buildImage(t, root, img)
	}
	calc := infra.ServiceImage(t, "CALCULATOR_IMAGE_TAR", "./services/calculator", "distsum/calculator:compose-test")
	tot := infra.ServiceImage(t, "TOTALS_IMAGE_TAR", "./services/totals", "distsum/totals:compose-test")

	s := &stack{t: t, root: root, project: "distsum-compose-test-" + testkit.RandomHex(4), ports: map[string]int{}}
	dir := filepath.Join(root, "deploy", "compose")
	s.compose = append(cmd, "-p", s.project,
		"-f", filepath.Join(dir, "compose.yaml"), "-f", filepath.Join(dir, "compose.local.yaml"))
	s.env = append(os.Environ(), "CALCULATOR_IMAGE="+calc, "TOTALS_IMAGE="+tot,
		"KAFKA_IMAGE="+infra.DefaultKafkaImage, "BIND_ADDR=127.0.0.1")
	for _, v := range []string{"KAFKA_PORT", "CALCULATOR_GRPC_PORT", "CALCULATOR_HTTP_PORT", "TOTALS_HTTP_PORT", "TOTALS_OPS_PORT",
		"PROMETHEUS_PORT", "ALERTMANAGER_PORT", "GRAFANA_PORT", "KAFKA_UI_PORT", "JAEGER_UI_PORT", "JAEGER_OTLP_HTTP_PORT"} {
		s.ports[v] = testkit.FreePort(t)
		s.env = append(s.env, fmt.Sprintf("%s=%d", v, s.ports[v]))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			out, _ := s.command(ctx, "logs", "--no-color", "--tail=40").CombinedOutput()
			t.Logf("compose logs:\n%s", out)
		}
		// Idempotent: after the test's own down -v this finds nothing to remove.
		if out, err := s.command(ctx, "down", "-v", "--remove-orphans").CombinedOutput(); err != nil {
			t.Logf("cleanup down -v: %v\n%s", err, out)
		}
	})
	return s
}

func (s *stack) addr(portVar string) string { return "127.0.0.1:" + strconv.Itoa(s.ports[portVar]) }

func (s *stack) command(ctx context.Context, args ...string) *exec.Cmd {
	all := append(append([]string{}, s.compose[1:]...), args...)
	cmd := exec.CommandContext(ctx, s.compose[0], all...)
	cmd.Dir = s.root
	cmd.Env = s.env
	return cmd
}

// run runs a compose command and fails the test if it fails.
func (s *stack) run(ctx context.Context, args ...string) {
	s.t.Helper()
	start := time.Now()
	out, err := s.command(ctx, args...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", s.compose[0], strings.Join(args, " "), err, out)
	}
	s.t.Logf("%s %s (%v)", s.compose[0], strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
}

// output runs a compose command and returns its trimmed standard output.
func (s *stack) output(ctx context.Context, args ...string) string {
	s.t.Helper()
	out, err := s.command(ctx, args...).Output()
	if err != nil {
		s.t.Fatalf("%s %s: %v", s.compose[0], strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

func (s *stack) docker(ctx context.Context, args ...string) string {
	s.t.Helper()
	out, err := exec.CommandContext(ctx, "docker", args...).Output()
	if err != nil {
		s.t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

type containerState struct {
	StartedAt time.Time
	Health    *struct {
		Log []struct {
			End      time.Time
			ExitCode int
		}
	}
}

func (s *stack) state(ctx context.Context, svc string) containerState {
	s.t.Helper()
	var st containerState
	out := s.docker(ctx, "inspect", "-f", "{{json .State}}", s.output(ctx, "ps", "-q", svc))
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		s.t.Fatalf("state of %s: %v: %s", svc, err, out)
	}
	return st
}

// firstHealthyProbe is when the first passing health probe of a service ended (docker keeps
// the last five probes: call it soon after the start).
func (s *stack) firstHealthyProbe(ctx context.Context, svc string) time.Time {
	s.t.Helper()
	st := s.state(ctx, svc)
	if st.Health != nil {
		for _, p := range st.Health.Log {
			if p.ExitCode == 0 {
				return p.End
			}
		}
	}
	s.t.Fatalf("%s has passed no health probe yet: %+v", svc, st.Health)
	return time.Time{}
}

// health is "<state> <health status>" of the container of a service, e.g. "running healthy".
func (s *stack) health(ctx context.Context, svc string) string {
	s.t.Helper()
	id := s.output(ctx, "ps", "-q", svc)
	if id == "" {
		s.t.Fatalf("service %s has no container", svc)
	}
	return s.docker(ctx, "inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", id)
}

// waitHealthy waits until the container of each service reports the health status "healthy".
func (s *stack) waitHealthy(ctx context.Context, services ...string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, svc := range services {
		for {
			st := s.health(ctx, svc)
			if st == "running healthy" {
				break
			}
			if !strings.HasPrefix(st, "running") {
				s.t.Fatalf("service %s is %q", svc, st)
			}
			select {
			case <-ctx.Done():
				s.t.Fatalf("service %s not healthy in time: %q", svc, st)
			case <-time.After(time.Second):
			}
		}
	}
}

// waitTargetsUp waits until Prometheus (its published port) reports a scrape target of every
// job up.
func (s *stack) waitTargetsUp(ctx context.Context, jobs ...string) {
	s.t.Helper()
	c, err := promapi.NewClient(promapi.Config{Address: "http://" + s.addr("PROMETHEUS_PORT")})
	if err != nil {
		s.t.Fatal(err)
	}
	api := promv1.NewAPI(c)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var last string
	for {
		res, err := api.Targets(ctx)
		if err == nil {
			up := map[string]bool{}
			var seen []string
			for _, tg := range res.Active {
				job := string(tg.Labels["job"])
				seen = append(seen, fmt.Sprintf("%s=%s %s", job, tg.Health, tg.LastError))
				if tg.Health == promv1.HealthGood {
					up[job] = true
				}
			}
			all := true
			for _, j := range jobs {
				all = all && up[j]
			}
			if all {
				s.t.Logf("prometheus targets: %s", strings.Join(seen, "; "))
				return
			}
			last = strings.Join(seen, "; ")
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("prometheus does not report %v up: %s", jobs, last)
		case <-time.After(time.Second):
		}
	}
}

// buildImage runs scripts/build-images.sh for one image (it keeps an image that is current).
func buildImage(t *testing.T, root, name string) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(filepath.Join(root, "scripts", "build-images.sh"), name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-images.sh %s: %v\n%s", name, err, out)
	}
	t.Logf("image %s ready in %v", name, time.Since(start).Round(time.Millisecond))
}
