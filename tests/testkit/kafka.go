// Package testkit starts real dependencies for integration tests.
//
// kafka.go runs a real single-node KRaft Apache Kafka 4.1.1 broker (the jars installed by
// scripts/install-kafka.sh, the broker settings of deploy/kafka) as a child JVM on
// free loopback ports, with helpers to kill -9 it and restart it on the same ports and data.
package testkit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	brokerconf "github.com/distsum/distsum/deploy/kafka"
	"github.com/distsum/distsum/libs/kafka"
)

// Kafka is one running (or stopped) broker process with its ports and data directory.
type Kafka struct {
	cfg      kafkaConfig
	libs     string
	root     string
	dir      string // everything of this broker: data/, server.properties, kafka.log
	dataDir  string
	props    string
	logPath  string
	host     string
	port     int
	ctrlPort int
	secPort  int // the SASL_SSL listener's, with WithKafkaSASLSSL

	mu        sync.Mutex
	cmd       *exec.Cmd
	done      chan struct{} // closed when cmd has exited
	lastStart time.Duration
}

type kafkaConfig struct {
	heap         string
	jvmOpts      string
	startTimeout time.Duration
	advertised   string
	keepData     bool
	topics       map[string]int
	props        []string // extra server.properties lines
	saslSSL      *KafkaSASLSSL
}

// KafkaSASLSSL is an extra listener named SASL_SSL: TLS with the broker's key and certificate
// chain from one PEM file, then SASL with SCRAM-SHA-256/512 (users added through the admin API,
// e.g. sarama's UpsertUserScramCredentials over the PLAINTEXT listener) and PLAIN (users given
// here). The PLAINTEXT listener stays, for the test's own setup and checks.
type KafkaSASLSSL struct {
	// KeystorePEM is a file with the broker's unencrypted PKCS#8 private key followed by its
	// certificate chain (ssl.keystore.type=PEM).
	KeystorePEM string
	// PlainUsers are the PLAIN users and their passwords.
	PlainUsers map[string]string
}

// KafkaOption changes how StartKafka starts the broker.
type KafkaOption func(*kafkaConfig)

// WithKafkaHeap sets the JVM heap options (default "-Xms128m -Xmx256m").
func WithKafkaHeap(opts string) KafkaOption { return func(c *kafkaConfig) { c.heap = opts } }

// WithKafkaJVMOpts replaces the extra JVM options (default: serial GC, no C2 compiler: start
// fast, little CPU; env KAFKA_TEST_JVM_OPTS overrides the default too).
func WithKafkaJVMOpts(opts string) KafkaOption { return func(c *kafkaConfig) { c.jvmOpts = opts } }

// WithKafkaStartTimeout bounds each start (default 90 s).
func WithKafkaStartTimeout(d time.Duration) KafkaOption {
	return func(c *kafkaConfig) { c.startTimeout = d }
}

// WithKafkaAdvertisedAddr makes the broker advertise addr ("127.0.0.1:port") instead of its
// listen address, e.g. a fault-injecting proxy in front of it: clients reconnect to the
// advertised address, so without this the proxy would be bypassed after the first metadata call.
func WithKafkaAdvertisedAddr(addr string) KafkaOption {
	return func(c *kafkaConfig) { c.advertised = addr }
}

// WithKafkaKeepData keeps the broker's directory (data and log) after the test even if it
// passed (env KAFKA_TEST_KEEP=1 does it for every broker). A failed test always keeps it.
func WithKafkaKeepData() KafkaOption { return func(c *kafkaConfig) { c.keepData = true } }

// WithKafkaProperty sets a broker property (server.properties) over the template's value, e.g.
// log.retention.check.interval.ms for a test of retention.
func WithKafkaProperty(key, value string) KafkaOption {
	return func(c *kafkaConfig) { c.props = append(c.props, key+"="+value) }
}

// WithKafkaSASLSSL adds a SASL_SSL listener (see KafkaSASLSSL and Kafka.SecureBootstrap).
func WithKafkaSASLSSL(l KafkaSASLSSL) KafkaOption { return func(c *kafkaConfig) { c.saslSSL = &l } }

// WithKafkaTopic creates topic with the given partitions once the broker is ready.
func WithKafkaTopic(name string, partitions int) KafkaOption {
	return func(c *kafkaConfig) {
		if c.topics == nil {
			c.topics = map[string]int{}
		}
		c.topics[name] = partitions
	}
}

const kafkaDefaultTestJVMOpts = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"

var (
	kafkaLibsMu  sync.Mutex
	kafkaLibsDir string
)

// KafkaLibsDir returns the directory of the broker's jars: $KAFKA_LIBS_DIR if set, else the
// output of scripts/install-kafka.sh (which fetches them once into .cache/kafka) run from the
// repository root, found by walking up from the working directory to go.mod.
func KafkaLibsDir() (string, error) {
	if d := os.Getenv("KAFKA_LIBS_DIR"); d != "" {
		return d, nil
	}
	kafkaLibsMu.Lock()
	defer kafkaLibsMu.Unlock()
	if kafkaLibsDir != "" {
		return kafkaLibsDir, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "install-kafka.sh"))
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/install-kafka.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	dir := strings.TrimSpace(lines[len(lines)-1])
	if _, err := os.Stat(filepath.Join(dir, "kafka_2.13-4.1.1.jar")); err != nil {
		return "", fmt.Errorf("scripts/install-kafka.sh printed %q, which has no Kafka jar: %v", dir, err)
	}
	kafkaLibsDir = dir
	return dir, nil
}

// RepoRoot is the checkout: DISTSUM_ROOT if set, else the directory of the
// go.mod of this module found above the working directory (followed through
// the link Bazel's runfiles hold).
func RepoRoot() (string, error) {
	if d := os.Getenv("DISTSUM_ROOT"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		mod := filepath.Join(dir, "go.mod")
		if b, err := os.ReadFile(mod); err == nil && strings.Contains(string(b), "module github.com/distsum/distsum\n") {
			if real, err := filepath.EvalSymlinks(mod); err == nil {
				return filepath.Dir(real), nil
			}
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod of github.com/distsum/distsum) not found above the working directory")
		}
		dir = parent
	}
}

// StartKafka starts a broker on free 127.0.0.1 ports with a fresh data directory and waits
// until it answers metadata requests. The test is skipped if java is not installed; any other
// problem fails it. t.Cleanup stops the broker and removes its directory (kept if the test
// failed, and its log tail is printed).
func StartKafka(t testing.TB, opts ...KafkaOption) *Kafka {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil {
		t.Skipf("java not found in PATH (Debian: apt-get install openjdk-17-jre-headless): real-Kafka test skipped: %v", err)
	}
	cfg := kafkaConfig{
		heap:         "-Xms128m -Xmx256m",
		jvmOpts:      kafkaDefaultTestJVMOpts,
		startTimeout: 90 * time.Second,
	}
	if s := os.Getenv("KAFKA_TEST_JVM_OPTS"); s != "" {
		cfg.jvmOpts = s
	}
	if os.Getenv("KAFKA_TEST_KEEP") != "" {
		cfg.keepData = true
	}
	for _, o := range opts {
		o(&cfg)
	}
	libs, err := KafkaLibsDir()
	if err != nil {
		t.Fatalf("kafka jars: %v", err)
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "kafka-test-")
	if err != nil {
		t.Fatal(err)
	}
	k := &Kafka{
		cfg: cfg, libs: libs, root: root, dir: dir,
		dataDir: filepath.Join(dir, "data"),
		props:   filepath.Join(dir, "server.properties"),
		logPath: filepath.Join(dir, "kafka.log"),
		host:    "127.0.0.1",
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() || cfg.keepData {
			t.Logf("kafka: kept %s (log %s); last log lines:\n%s", dir, k.logPath, k.logTail(40))
			return
		}
		_ = os.RemoveAll(dir)
	})

	// Free ports are found by binding :0 and closing; another process can take one in between,
	// so a start that fails on a bind error is retried on new ports.
	for attempt := 1; ; attempt++ {
		k.port, k.ctrlPort = FreePort(t), FreePort(t)
		if cfg.saslSSL != nil {
			k.secPort = FreePort(t)
		}
		if err := k.writeProps(); err != nil {
			t.Fatal(err)
		}
		if err := k.format(); err != nil {
			t.Fatalf("kafka: format storage: %v\n%s", err, k.logTail(30))
		}
		err := k.start()
		if err == nil {
			break
		}
		if attempt < 3 && strings.Contains(k.logTail(200), "Address already in use") {
			t.Logf("kafka: port taken, retrying: %v", err)
			continue
		}
		t.Fatalf("kafka: start: %v\nlast log lines of %s:\n%s", err, k.logPath, k.logTail(40))
	}
	t.Logf("kafka: broker ready on %s in %v (dir %s)", k.Bootstrap(), k.lastStart.Round(time.Millisecond), dir)
	for name, n := range cfg.topics {
		k.CreateTopic(t, name, n)
	}
	return k
}

// Bootstrap is the broker's address for clients, "127.0.0.1:port".
func (k *Kafka) Bootstrap() string { return net.JoinHostPort(k.host, strconv.Itoa(k.port)) }

// SecureBootstrap is the SASL_SSL listener's address, "127.0.0.1:port" (WithKafkaSASLSSL).
func (k *Kafka) SecureBootstrap() string { return net.JoinHostPort(k.host, strconv.Itoa(k.secPort)) }

// Brokers is Bootstrap as a broker list.
func (k *Kafka) Brokers() []string { return []string{k.Bootstrap()} }

// LogPath is the broker's log file (all starts of this broker, appended).
func (k *Kafka) LogPath() string { return k.logPath }

// DataDir is the broker's log.dirs.
func (k *Kafka) DataDir() string { return k.dataDir }

// LastStartDuration is how long the last start took, from exec to the first answered metadata
// request.
func (k *Kafka) LastStartDuration() time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastStart
}

// Running reports whether the broker process is alive.
func (k *Kafka) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.runningLocked()
}

func (k *Kafka) runningLocked() bool {
	if k.cmd == nil {
		return false
	}
	select {
	case <-k.done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL to the broker's JVM and waits for it to exit. Data stays for Restart.
func (k *Kafka) Kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.runningLocked() {
		return
	}
	_ = k.cmd.Process.Signal(syscall.SIGKILL)
	<-k.done
	k.appendLog("==== killed (SIGKILL) by test")
}

// Stop shuts the broker down gracefully (SIGTERM), with SIGKILL after 30 s.
func (k *Kafka) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.runningLocked() {
		return
	}
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(30 * time.Second):
		_ = k.cmd.Process.Signal(syscall.SIGKILL)
		<-k.done
	}
}

// Restart starts the broker again on the same ports and data directory (after Kill or Stop;
// a running broker is stopped first) and waits until it is ready.
func (k *Kafka) Restart(t testing.TB) {
	t.Helper()
	k.Stop()
	if err := k.start(); err != nil {
		t.Fatalf("kafka: restart: %v\nlast log lines of %s:\n%s", err, k.logPath, k.logTail(40))
	}
	t.Logf("kafka: broker restarted on %s in %v", k.Bootstrap(), k.lastStart.Round(time.Millisecond))
}

// CreateTopic creates topic (replication 1) and waits until each partition has a leader.
// A topic that exists already is fine.
func (k *Kafka) CreateTopic(t testing.TB, name string, partitions int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kafka.EnsureTopic(ctx, slog.Default(), k.Brokers(), kafka.TopicSpec{Name: name, Partitions: int32(partitions)}); err != nil {
		t.Fatalf("kafka: create topic %s: %v", name, err)
	}
}

func (k *Kafka) writeProps() error {
	s := brokerconf.Render(brokerconf.Params{
		NodeID: 1, Host: k.host, Port: k.port, ControllerPort: k.ctrlPort, DataDir: k.dataDir,
	})
	if k.cfg.advertised != "" {
		s += "\n# Test override: advertise a proxy in front of the broker.\nadvertised.listeners=PLAINTEXT://" + k.cfg.advertised + "\n"
	}
	if l := k.cfg.saslSSL; l != nil {
		adv := k.Bootstrap()
		if k.cfg.advertised != "" {
			adv = k.cfg.advertised
		}
		sec := k.SecureBootstrap()
		plain := "org.apache.kafka.common.security.plain.PlainLoginModule required"
		for u, pw := range l.PlainUsers {
			plain += fmt.Sprintf(" user_%s=%q", u, pw)
		}
		s += "\n# Test override: a SASL_SSL listener.\n" + strings.Join([]string{
			fmt.Sprintf("listeners=PLAINTEXT://%s,CONTROLLER://%s,SASL_SSL://%s", k.Bootstrap(), net.JoinHostPort(k.host, strconv.Itoa(k.ctrlPort)), sec),
			fmt.Sprintf("advertised.listeners=PLAINTEXT://%s,SASL_SSL://%s", adv, sec),
			"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
			"sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN",
			"listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
			"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
			"listener.name.sasl_ssl.plain.sasl.jaas.config=" + plain + ";",
			"listener.name.sasl_ssl.ssl.keystore.type=PEM",
			"listener.name.sasl_ssl.ssl.keystore.location=" + l.KeystorePEM,
		}, "\n") + "\n"
	}
	if len(k.cfg.props) > 0 {
		// A later line wins in a Java properties file.
		s += "\n# Test overrides.\n" + strings.Join(k.cfg.props, "\n") + "\n"
	}
	return os.WriteFile(k.props, []byte(s), 0o644)
}

func (k *Kafka) javaArgs(mainClass string, args ...string) []string {
	a := strings.Fields(k.cfg.heap)
	a = append(a, strings.Fields(k.cfg.jvmOpts)...)
	a = append(a,
		"-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile="+filepath.Join(k.root, "deploy", "kafka", "log4j2.yaml"),
		"-cp", filepath.Join(k.libs, "*"),
		mainClass)
	return append(a, args...)
}

var (
	kafkaFormatMu    sync.Mutex
	kafkaFormatFiles map[string][]byte // relative path -> content of a freshly formatted data dir
)

// format lays out KRaft storage. Running the formatter costs a JVM start (~2 s), so it runs
// once per test process and its output is remembered and written for the next brokers: the
// formatted files (meta.properties, bootstrap.checkpoint) name no port or path, only ids and
// the metadata version. Independent single-node clusters sharing a cluster id is harmless.
func (k *Kafka) format() error {
	if _, err := os.Stat(filepath.Join(k.dataDir, "meta.properties")); err == nil {
		return nil
	}
	kafkaFormatMu.Lock()
	defer kafkaFormatMu.Unlock()
	if kafkaFormatFiles != nil {
		for rel, b := range kafkaFormatFiles {
			p := filepath.Join(k.dataDir, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	// A cluster id is 16 random bytes in URL-safe base64 without padding (`kafka-storage
	// random-uuid`). One that starts with '-' would be read as an option (1 in 64 runs failed
	// with "argument --cluster-id/-t: expected one argument"), so draw until it does not.
	var clusterID string
	for clusterID == "" || clusterID[0] == '-' {
		id := make([]byte, 16)
		_, _ = rand.Read(id)
		clusterID = base64.RawURLEncoding.EncodeToString(id)
	}
	cmd := exec.Command("java", k.javaArgs("kafka.tools.StorageTool", "format",
		"-t", clusterID, "-c", k.props, "--ignore-formatted")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, kafkaLastLines(string(out), 20))
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(k.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(k.dataDir, path)
		if err != nil {
			return err
		}
		files[rel], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		return err
	}
	if _, ok := files["meta.properties"]; !ok {
		return fmt.Errorf("formatter wrote no meta.properties in %s", k.dataDir)
	}
	kafkaFormatFiles = files
	return nil
}

func (k *Kafka) start() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.runningLocked() {
		return errors.New("already running")
	}
	logf, err := os.OpenFile(k.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "==== %s start %s data=%s\n", time.Now().Format(time.RFC3339Nano), k.Bootstrap(), k.dataDir)
	cmd := exec.Command("java", k.javaArgs("kafka.Kafka", k.props)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group; and if the test binary dies (timeout, panic), the kernel kills the JVM.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
		close(done)
	}()
	k.cmd, k.done = cmd, done

	ctx, cancel := context.WithTimeout(context.Background(), k.cfg.startTimeout)
	defer cancel()
	brokers := []string{k.Bootstrap()}
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		err = kafka.Ping(pctx, brokers)
		pcancel()
		if err == nil {
			k.lastStart = time.Since(began)
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("broker exited during start (%v)", cmd.ProcessState)
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			return fmt.Errorf("not ready after %v: %v", k.cfg.startTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (k *Kafka) appendLog(line string) {
	if f, err := os.OpenFile(k.logPath, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		fmt.Fprintf(f, "%s %s\n", line, time.Now().Format(time.RFC3339Nano))
		_ = f.Close()
	}
}

func (k *Kafka) logTail(n int) string {
	b, err := os.ReadFile(k.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return kafkaLastLines(string(b), n)
}

func kafkaLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var (
	portsMu sync.Mutex
	given   = map[int]bool{}
)

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago and
// that no earlier call in this process returned: the kernel may hand the
// same port out again once its probe listener is closed, and two settings of
// one process (gRPC and ops address) on one port make it exit at start.
func FreePort(t testing.TB) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !given[port] {
			given[port] = true
			return port
		}
	}
}

// RandomHex returns n random bytes in hex, for names that must not collide.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Root is RepoRoot for a test: it fails the test when the checkout is not found.
func Root(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}
