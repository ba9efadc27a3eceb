package infra

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	brokerconf "github.com/distsum/distsum/deploy/kafka"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/tests/testkit"
)

// Broker ports inside the Kafka container.
const (
	kafkaHostPort       = 9092  // HOST listener, published on 127.0.0.1
	kafkaControllerPort = 9093  // CONTROLLER listener
	kafkaInternalPort   = 19092 // INTERNAL listener, advertised <alias>:19092
	kafkaProxyPortBase  = 29092 // P_<CLIENT> listeners, one port each from here
	kafkaDataDir        = "/var/lib/kafka/data"
	kafkaReadyLog       = "Kafka Server started"
)

// Kafka is a single-node KRaft broker in a container whose log directory is a named volume, so
// Kill and Start keep every committed record.
type Kafka struct {
	Container *testcontainers.DockerContainer
	Image     string
	Alias     string // network alias
	NodeID    int    // KRaft node id (1 for a single node)
	Volume    string // named volume holding the log directory
	// HostBootstrap reaches the broker from the host (tests, admin): 127.0.0.1:<fixed port>.
	HostBootstrap string
	// InternalBootstrap reaches the broker directly from the network, bypassing every proxy.
	InternalBootstrap string

	clients map[string]string // client name -> advertised proxy address
	links   map[string]*Link
}

type kafkaConfig struct {
	proxy   *Toxiproxy
	clients []string
	env     map[string]string
	heap    string
}

// KafkaOption configures StartKafka.
type KafkaOption func(*kafkaConfig)

// ViaProxy gives each named client (e.g. "calculator", "totals") its own listener, advertised as
// <toxiproxy alias>:<port>, and its own Toxiproxy link to it. Such a client, given
// ClientBootstrap(name), reaches the broker only through that link.
func ViaProxy(tp *Toxiproxy, clients ...string) KafkaOption {
	return func(c *kafkaConfig) { c.proxy, c.clients = tp, append(c.clients, clients...) }
}

// WithKafkaEnv adds or overrides environment variables of the broker container (KAFKA_*
// properties, as for the official image).
func WithKafkaEnv(env map[string]string) KafkaOption {
	return func(c *kafkaConfig) {
		for k, v := range env {
			c.env[k] = v
		}
	}
}

var listenerNameRe = regexp.MustCompile(`[^A-Z0-9]+`)

func listenerName(client string) string {
	return "P_" + strings.Trim(listenerNameRe.ReplaceAllString(strings.ToUpper(client), "_"), "_")
}

// StartKafka runs the broker (KafkaImage()) on nw under alias and waits until it serves. The
// broker formats its volume on first start; topics are never auto-created (CreateTopic).
func StartKafka(t testing.TB, nw *testcontainers.DockerNetwork, alias string, opts ...KafkaOption) *Kafka {
	t.Helper()
	EnsureEngine(t)
	cfg := &kafkaConfig{env: map[string]string{}}
	for _, o := range opts {
		o(cfg)
	}
	img := EnsureInfraImages(t).Kafka
	hostPort := testkit.FreePort(t)
	k := &Kafka{
		Image:             img,
		Alias:             alias,
		NodeID:            1,
		Volume:            "distsum-kafka-" + testkit.RandomHex(6),
		HostBootstrap:     fmt.Sprintf("127.0.0.1:%d", hostPort),
		InternalBootstrap: fmt.Sprintf("%s:%d", alias, kafkaInternalPort),
		clients:           map[string]string{},
		links:             map[string]*Link{},
	}

	if len(cfg.clients) > 0 && cfg.proxy == nil {
		t.Fatal("infra: ViaProxy needs a Toxiproxy")
	}
	proxyPort := func(j int) int { return kafkaProxyPortBase + j }
	proxyPorts := map[string]int{}
	for j, c := range cfg.clients {
		if _, dup := proxyPorts[c]; dup {
			t.Fatalf("infra: client %q given twice", c)
		}
		proxyPorts[c] = proxyPort(j)
	}
	props := brokerconf.Properties(brokerconf.Params{
		NodeID: 1, Host: "localhost", Port: kafkaHostPort, ControllerPort: kafkaControllerPort, DataDir: kafkaDataDir,
	})
	env := k.brokerEnv(cfg, props, proxyPort, map[string]string{
		"CLUSTER_ID":                     "ZGlzdHN1bS1lMmUtdGVzdA",
		"KAFKA_CONTROLLER_QUORUM_VOTERS": fmt.Sprintf("1@localhost:%d", kafkaControllerPort),
		"KAFKA_HEAP_OPTS":                "-Xms256m -Xmx512m",
	})

	start := time.Now()
	k.Container = startNode(t, nw, nodeSpec{
		Name: "kafka " + alias, Image: img, Alias: alias, Env: env,
		Port: kafkaHostPort, HostPort: hostPort, Volume: k.Volume, DataDir: kafkaDataDir,
		Wait: wait.ForLog(kafkaReadyLog).WithStartupTimeout(120 * time.Second),
	})
	k.waitReady(t, 60*time.Second)
	t.Logf("infra: kafka %s (%s) up in %v; host %s, internal %s", alias, img,
		time.Since(start).Round(time.Millisecond), k.HostBootstrap, k.InternalBootstrap)
	for _, c := range cfg.clients {
		k.links[c] = cfg.proxy.Link(t, "kafka-"+c, proxyPorts[c], fmt.Sprintf("%s:%d", alias, proxyPorts[c]))
	}
	return k
}

// brokerEnv is a KRaft node's container environment: the broker properties props as KAFKA_*
// variables; this node's listeners: HOST (published on the host), CONTROLLER, INTERNAL, and one
// per proxied client on proxyPort(j) for cfg.clients[j], advertised as that client's proxy
// address (recorded in k.clients); then node; then the test's own (WithKafkaEnv).
func (k *Kafka) brokerEnv(cfg *kafkaConfig, props map[string]string, proxyPort func(j int) int, node map[string]string) map[string]string {
	listeners := []string{
		fmt.Sprintf("HOST://:%d", kafkaHostPort),
		fmt.Sprintf("CONTROLLER://:%d", kafkaControllerPort),
		fmt.Sprintf("INTERNAL://:%d", kafkaInternalPort),
	}
	advertised := []string{"HOST://" + k.HostBootstrap, "INTERNAL://" + k.InternalBootstrap}
	protocols := []string{"HOST:PLAINTEXT", "CONTROLLER:PLAINTEXT", "INTERNAL:PLAINTEXT"}
	for j, c := range cfg.clients {
		name, port := listenerName(c), proxyPort(j)
		k.clients[c] = fmt.Sprintf("%s:%d", cfg.proxy.Alias, port)
		listeners = append(listeners, fmt.Sprintf("%s://:%d", name, port))
		advertised = append(advertised, fmt.Sprintf("%s://%s", name, k.clients[c]))
		protocols = append(protocols, name+":PLAINTEXT")
	}
	env := map[string]string{}
	for name, v := range props {
		env[brokerconf.EnvName(name)] = v
	}
	env["KAFKA_LISTENERS"] = strings.Join(listeners, ",")
	env["KAFKA_ADVERTISED_LISTENERS"] = strings.Join(advertised, ",")
	env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] = strings.Join(protocols, ",")
	env["KAFKA_INTER_BROKER_LISTENER_NAME"] = "INTERNAL"
	for _, over := range []map[string]string{node, cfg.env} {
		for name, v := range over {
			env[name] = v
		}
	}
	return env
}

// ClientBootstrap is the bootstrap address for a client named in ViaProxy: its proxy's address,
// which is also what the broker advertises to it.
func (k *Kafka) ClientBootstrap(client string) string {
	addr, ok := k.clients[client]
	if !ok {
		panic(fmt.Sprintf("infra: kafka has no proxied client %q (see ViaProxy)", client))
	}
	return addr
}

// Link is the Toxiproxy link between the named client and the broker.
func (k *Kafka) Link(client string) *Link {
	l, ok := k.links[client]
	if !ok {
		panic(fmt.Sprintf("infra: kafka has no proxied client %q (see ViaProxy)", client))
	}
	return l
}

// Kill sends SIGKILL to the broker (docker kill -s KILL) and waits until the container stopped.
func (k *Kafka) Kill(t testing.TB) {
	t.Helper()
	killContainer(t, k.Container, "kafka "+k.Alias)
}

// Start starts the stopped broker again on the same volume and waits until it serves. It returns
// how long that took.
func (k *Kafka) Start(t testing.TB) time.Duration {
	t.Helper()
	return startAgain(t, k.Container, "kafka "+k.Alias, func() { k.waitReady(t, 90*time.Second) })
}

// Restart is Kill followed by Start.
func (k *Kafka) Restart(t testing.TB) time.Duration {
	t.Helper()
	k.Kill(t)
	return k.Start(t)
}

// waitReady polls the broker from the host until it answers metadata requests and every
// partition of every topic has a leader (after a restart, leaders come back one by one).
func (k *Kafka) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	waitProbe(t, k.Container, "kafka "+k.Alias, timeout, 200*time.Millisecond, k.probe)
}

func (k *Kafka) probe() error {
	cfg := k.Config()
	cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = time.Second, 2*time.Second, 2*time.Second
	cfg.Metadata.Retry.Max = 0
	c, err := sarama.NewClient([]string{k.HostBootstrap}, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Controller(); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	return partitionsReady(c, false)
}

// partitionsReady checks that every partition of every topic has a leader and, with inSync, all
// of its replicas in sync.
func partitionsReady(c sarama.Client, inSync bool) error {
	topics, err := c.Topics()
	if err != nil {
		return err
	}
	for _, topic := range topics {
		parts, err := c.Partitions(topic)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if _, err := c.Leader(topic, p); err != nil {
				return fmt.Errorf("%s/%d: %w", topic, p, err)
			}
			if !inSync {
				continue
			}
			replicas, err := c.Replicas(topic, p)
			if err != nil {
				return err
			}
			isr, err := c.InSyncReplicas(topic, p)
			if err != nil {
				return err
			}
			if len(isr) < len(replicas) {
				return fmt.Errorf("%s/%d: in sync %v of %v", topic, p, isr, replicas)
			}
		}
	}
	return nil
}

// Config is a sarama configuration for this broker: the services' idempotent producer
// (libs/kafka: acks=all, one request in flight, retries), reading from the oldest offset.
func (k *Kafka) Config() *sarama.Config {
	cfg := kafka.ProducerConfig("distsum-e2e")
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	return cfg
}

// CreateTopic creates a topic (replication factor 1) from the host; an existing one is fine.
func (k *Kafka) CreateTopic(t testing.TB, topic string, partitions int32) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin([]string{k.HostBootstrap}, k.Config())
	if err != nil {
		t.Fatalf("infra: kafka admin: %v", err)
	}
	defer admin.Close()
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		var te *sarama.TopicError
		if !errors.As(err, &te) || te.Err != sarama.ErrTopicAlreadyExists {
			t.Fatalf("infra: create topic %s: %v", topic, err)
		}
	}
	k.waitReady(t, 30*time.Second)
}
