package infra_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/distsum/distsum/tests/e2e/infra"
)

func TestMain(m *testing.M) { os.Exit(infra.Main(m)) }

const probePkg = "./tests/e2e/infra/kprobe"

func TestEngineUp(t *testing.T) {
	start := time.Now()
	infra.EnsureEngine(t)
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	info, err := cli.Info(ctx, struct{}{})
	if err != nil {
		t.Fatalf("engine info: %v", err)
	}
	t.Logf("engine %s (%s), ready in %v; DOCKER_HOST=%s", info.Info.ServerVersion, info.Info.Driver,
		time.Since(start).Round(time.Millisecond), os.Getenv("DOCKER_HOST"))
}

// TestGoImage builds a package main of this module with the generic static-binary image
// builder (the fallback when no Bazel image tarball is given), runs it as a service with a data
// volume and fixed host port, kills it with SIGKILL and starts it again on the same address. The
// calculator serves /healthz without Kafka, so no broker is needed.
func TestGoImage(t *testing.T) {
	img := infra.GoImage(t, "./services/calculator", "distsum/calculator-go:e2e")
	nw := infra.NewNetwork(t)
	svc := infra.StartService(t, nw, infra.ServiceSpec{
		Image: img, Alias: "svc",
		Env:   map[string]string{"CALCULATOR_DATA_DIR": "/data", "KAFKA_BROKERS": "no-kafka:9092"},
		Ports: []int{8081}, DataDir: "/data", ReadyPort: 8081, ReadyPath: "/healthz",
	})
	addr := svc.HostAddr(8081)
	d := svc.Restart(t)
	t.Logf("service killed and ready again on %s in %v", addr, d.Round(time.Millisecond))
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	resp.Body.Close()
}

// TestKafkaFromHostSurvivesKill produces idempotently from the host, kills the broker with
// SIGKILL, starts it again on the same volume and reads everything back.
func TestKafkaFromHostSurvivesKill(t *testing.T) {
	nw := infra.NewNetwork(t)
	k := infra.StartKafka(t, nw, "kafka")
	const topic, n = "e2e-host", 300
	k.CreateTopic(t, topic, 3)

	produce(t, k, topic, "before", n)
	if got := countRecords(t, k, topic, "before"); got != n {
		t.Fatalf("before restart: read %d of %d records", got, n)
	}

	k.Kill(t)
	k.Start(t)
	if got := countRecords(t, k, topic, "before"); got != n {
		t.Fatalf("after kill -9 and restart: read %d of %d records", got, n)
	}
	produce(t, k, topic, "after", n)
	if got := countRecords(t, k, topic, "after"); got != n {
		t.Fatalf("produced after restart: read %d of %d records", got, n)
	}
}

// TestKafkaBehindProxies: clients on the network reach the broker only through their own
// Toxiproxy link; cutting one link stops that client and not the other, healing restores it.
func TestKafkaBehindProxies(t *testing.T) {
	nw := infra.NewNetwork(t)
	tp := infra.StartToxiproxy(t, nw)
	k := infra.StartKafka(t, nw, "kafka", infra.ViaProxy(tp, "calculator", "totals"))
	const topic = "e2e-proxy"
	k.CreateTopic(t, topic, 3)
	probe := infra.GoImage(t, probePkg, "distsum/kprobe:e2e")

	if got := k.ClientBootstrap("calculator"); got != "toxiproxy:29092" {
		t.Fatalf("calculator bootstrap = %s", got)
	}

	// A full idempotent produce + consume from another container, through the proxy.
	code, out := runProbe(t, nw, probe, "-brokers", k.ClientBootstrap("calculator"), "-topic", topic,
		"-mode", "roundtrip", "-n", "200")
	if code != 0 || !strings.Contains(out, "PASS") {
		t.Fatalf("roundtrip through proxy: exit %d\n%s", code, out)
	}

	// Two clients sending continuously, each on its own link.
	calc := startLoop(t, nw, probe, k.ClientBootstrap("calculator"), topic)
	tot := startLoop(t, nw, probe, k.ClientBootstrap("totals"), topic)
	waitOK(t, calc, 5, 30*time.Second)
	waitOK(t, tot, 5, 30*time.Second)

	k.Link("calculator").Cut(t)
	cutAt := time.Now()
	time.Sleep(2 * time.Second) // in-flight sends finish or fail
	calcBefore, totBefore := countOK(t, calc), countOK(t, tot)
	time.Sleep(6 * time.Second)
	calcDuring, totDuring := countOK(t, calc)-calcBefore, countOK(t, tot)-totBefore
	t.Logf("during the cut (%v): calculator ok=%d, totals ok=%d", time.Since(cutAt).Round(time.Second), calcDuring, totDuring)
	if calcDuring != 0 {
		t.Errorf("calculator produced %d records while its link was cut: it bypasses the proxy", calcDuring)
	}
	if totDuring < 5 {
		t.Errorf("totals produced only %d records while only the calculator link was cut", totDuring)
	}

	k.Link("calculator").Heal(t)
	healAt := time.Now()
	waitOK(t, calc, calcBefore+3, 60*time.Second)
	t.Logf("calculator producing again %v after heal", time.Since(healAt).Round(time.Millisecond))

	// A black-holed link (silent partition) blocks too.
	k.Link("totals").Blackhole(t)
	time.Sleep(4 * time.Second)
	totBefore = countOK(t, tot)
	time.Sleep(5 * time.Second)
	if d := countOK(t, tot) - totBefore; d != 0 {
		t.Errorf("totals produced %d records through a black-holed link", d)
	}
	k.Link("totals").Heal(t)
	waitOK(t, tot, totBefore+3, 60*time.Second)
}

func produce(t *testing.T, k *infra.Kafka, topic, key string, n int) {
	t.Helper()
	p, err := sarama.NewSyncProducer([]string{k.HostBootstrap}, k.Config())
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key),
			Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", key, i))}
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatalf("produce %d records: %v", n, err)
	}
}

// countRecords reads every partition from the start up to its high-water mark and counts the
// distinct records with the given key.
func countRecords(t *testing.T, k *infra.Kafka, topic, key string) int {
	t.Helper()
	c, err := sarama.NewClient([]string{k.HostBootstrap}, k.Config())
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	defer c.Close()
	cons, err := sarama.NewConsumerFromClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	parts, err := c.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range parts {
		hwm, err := c.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if hwm == 0 {
			continue
		}
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		timeout := time.After(30 * time.Second)
	read:
		for {
			select {
			case m := <-pc.Messages():
				if string(m.Key) == key {
					seen[string(m.Value)] = true
				}
				if m.Offset+1 >= hwm {
					break read
				}
			case <-timeout:
				t.Fatalf("partition %d: timed out before offset %d", p, hwm)
			}
		}
		pc.Close()
	}
	return len(seen)
}

func runProbe(t *testing.T, nw *testcontainers.DockerNetwork, img string, args ...string) (int, string) {
	t.Helper()
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, img,
		network.WithNetwork(nil, nw),
		testcontainers.WithCmd(args...),
		testcontainers.WithWaitStrategy(wait.ForExit().WithExitTimeout(90*time.Second)),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("run probe: %v", err)
	}
	st, err := ctr.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.ExitCode, logs(t, ctr)
}

func startLoop(t *testing.T, nw *testcontainers.DockerNetwork, img, brokers, topic string) testcontainers.Container {
	t.Helper()
	ctr, err := testcontainers.Run(context.Background(), img,
		network.WithNetwork(nil, nw),
		testcontainers.WithCmd("-brokers", brokers, "-topic", topic, "-mode", "loop",
			"-interval", "200ms", "-duration", "5m"),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start loop probe: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("probe via %s:\n%s", brokers, tail(logs(t, ctr), 40))
		}
	})
	return ctr
}

func logs(t *testing.T, ctr testcontainers.Container) string {
	t.Helper()
	rc, err := ctr.Logs(context.Background())
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func countOK(t *testing.T, ctr testcontainers.Container) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(logs(t, ctr), "\n") {
		if strings.HasPrefix(line, "ok ") {
			n++
		}
	}
	return n
}

func waitOK(t *testing.T, ctr testcontainers.Container, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := countOK(t, ctr)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe reached %d successful sends, want %d within %v\n%s", got, want, timeout, tail(logs(t, ctr), 30))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestLoadImageTar: a service image handed over as a tarball (CALCULATOR_IMAGE_TAR,
// TOTALS_IMAGE_TAR) is loaded and referenced by its tag.
func TestLoadImageTar(t *testing.T) {
	img := infra.GoImage(t, probePkg, "distsum/kprobe:e2e")
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	rc, err := cli.ImageSave(ctx, []string{img})
	if err != nil {
		t.Fatalf("save %s: %v", img, err)
	}
	tar := t.TempDir() + "/image.tar"
	f, err := os.Create(tar)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	f.Close()
	t.Setenv("TEST_IMAGE_TAR", tar)
	if got := infra.ServiceImage(t, "TEST_IMAGE_TAR", "./does/not/matter", "unused:tag"); got != img {
		t.Fatalf("loaded %q, want %q", got, img)
	}
}
