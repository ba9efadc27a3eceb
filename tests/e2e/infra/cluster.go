package infra

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	brokerconf "github.com/distsum/distsum/deploy/kafka"
	"github.com/distsum/distsum/tests/testkit"
)

// clusterID is the one KRaft cluster id every node of a KafkaCluster is formatted with.
const clusterID = "ZGlzdHN1bS1lMmUtY2x1c3Rl"

// KafkaCluster is n KRaft nodes, each broker and controller (the controller quorum is all n),
// each in its own container with its own named volume. Every proxied client has one Toxiproxy
// link per broker: the broker advertises that link's address on the client's own listener, so
// Links(client) cuts the client from the whole cluster and Broker(i).Link(client) from one broker.
type KafkaCluster struct {
	Brokers []*Kafka // node id i+1 is Brokers[i]
	// HostBootstrap is every broker's HOST address, comma-separated (tests, admin).
	HostBootstrap string

	nw      *testcontainers.DockerNetwork
	clients []string
}

// StartKafkaCluster runs n nodes (aliases kafka-1..kafka-n) on nw and waits until every one
// serves. Options are those of StartKafka (ViaProxy, WithKafkaEnv); the project's broker settings
// (deploy/kafka) apply, with the internal topics replicated for a cluster.
func StartKafkaCluster(t testing.TB, nw *testcontainers.DockerNetwork, n int, opts ...KafkaOption) *KafkaCluster {
	t.Helper()
	EnsureEngine(t)
	if n < 1 {
		t.Fatalf("infra: a cluster of %d nodes", n)
	}
	cfg := &kafkaConfig{env: map[string]string{}}
	for _, o := range opts {
		o(cfg)
	}
	if len(cfg.clients) > 0 && cfg.proxy == nil {
		t.Fatal("infra: ViaProxy needs a Toxiproxy")
	}
	img := EnsureInfraImages(t).Kafka
	kc := &KafkaCluster{nw: nw, clients: cfg.clients}
	voters := make([]string, n)
	for i := range n {
		voters[i] = fmt.Sprintf("%d@kafka-%d:%d", i+1, i+1, kafkaControllerPort)
	}
	// Internal topics survive one lost node and refuse writes with only one copy left.
	rf, minISR := strconv.Itoa(min(n, 3)), strconv.Itoa(min(n, 2))
	replication := map[string]string{
		"default.replication.factor":                       rf,
		"min.insync.replicas":                              minISR,
		"offsets.topic.replication.factor":                 rf,
		"transaction.state.log.replication.factor":         rf,
		"transaction.state.log.min.isr":                    minISR,
		"share.coordinator.state.topic.replication.factor": rf,
		"share.coordinator.state.topic.min.isr":            minISR,
		"unclean.leader.election.enable":                   "false",
	}

	start := time.Now()
	proxyPorts := map[string]int{}
	var hosts []string
	for i := range n {
		id, alias := i+1, fmt.Sprintf("kafka-%d", i+1)
		hostPort := testkit.FreePort(t)
		k := &Kafka{
			Image: img, Alias: alias, NodeID: id,
			Volume:            "distsum-kafka-" + testkit.RandomHex(6),
			HostBootstrap:     fmt.Sprintf("127.0.0.1:%d", hostPort),
			InternalBootstrap: fmt.Sprintf("%s:%d", alias, kafkaInternalPort),
			clients:           map[string]string{},
			links:             map[string]*Link{},
		}
		// One proxy port per (broker, client): the Toxiproxy container listens on all of them.
		proxyPort := func(j int) int { return kafkaProxyPortBase + 100*i + j }
		for j, c := range cfg.clients {
			proxyPorts[fmt.Sprintf("%d/%s", id, c)] = proxyPort(j)
		}
		props := brokerconf.Properties(brokerconf.Params{
			NodeID: id, Host: alias, Port: kafkaHostPort, ControllerPort: kafkaControllerPort, DataDir: kafkaDataDir,
		})
		for name, v := range replication {
			props[name] = v
		}
		env := k.brokerEnv(cfg, props, proxyPort, map[string]string{
			"CLUSTER_ID":                     clusterID,
			"KAFKA_CONTROLLER_QUORUM_VOTERS": strings.Join(voters, ","),
			// Three JVMs share 2 cores and the other suites' memory.
			"KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m",
		})
		// No wait strategy: a node serves only once a quorum of controllers runs, so every node
		// is started before any is waited for.
		k.Container = startNode(t, nw, nodeSpec{
			Name: "kafka " + alias, Image: img, Alias: alias, Env: env,
			Port: kafkaHostPort, HostPort: hostPort, Volume: k.Volume, DataDir: kafkaDataDir,
		})
		kc.Brokers = append(kc.Brokers, k)
		hosts = append(hosts, k.HostBootstrap)
	}
	kc.HostBootstrap = strings.Join(hosts, ",")
	for _, k := range kc.Brokers {
		k.waitReady(t, 120*time.Second)
	}
	t.Logf("infra: kafka cluster of %d nodes (%s) up in %v; host %s", n, img,
		time.Since(start).Round(time.Millisecond), kc.HostBootstrap)
	for _, k := range kc.Brokers {
		for _, c := range cfg.clients {
			port := proxyPorts[fmt.Sprintf("%d/%s", k.NodeID, c)]
			k.links[c] = cfg.proxy.Link(t, fmt.Sprintf("%s-%s", k.Alias, c), port, fmt.Sprintf("%s:%d", k.Alias, port))
		}
	}
	return kc
}

// ClientBootstrap is every broker's address for a proxied client, comma-separated.
func (kc *KafkaCluster) ClientBootstrap(client string) string {
	addrs := make([]string, len(kc.Brokers))
	for i, k := range kc.Brokers {
		addrs[i] = k.ClientBootstrap(client)
	}
	return strings.Join(addrs, ",")
}

// Links are the client's links to every broker: cutting them all partitions it from the cluster.
func (kc *KafkaCluster) Links(client string) []*Link {
	ls := make([]*Link, len(kc.Brokers))
	for i, k := range kc.Brokers {
		ls[i] = k.Link(client)
	}
	return ls
}

// Broker is the node with the given id (1..n).
func (kc *KafkaCluster) Broker(id int) *Kafka {
	if id < 1 || id > len(kc.Brokers) {
		panic(fmt.Sprintf("infra: no broker %d in a cluster of %d", id, len(kc.Brokers)))
	}
	return kc.Brokers[id-1]
}

// Config is the sarama configuration of Kafka.Config.
func (kc *KafkaCluster) Config() *sarama.Config { return kc.Brokers[0].Config() }

// client is a sarama client of the whole cluster from the host, failing fast on a dead node.
func (kc *KafkaCluster) client() (sarama.Client, error) {
	cfg := kc.Config()
	cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = 2*time.Second, 5*time.Second, 5*time.Second
	cfg.Metadata.Retry.Max, cfg.Metadata.Retry.Backoff = 2, 200*time.Millisecond
	return sarama.NewClient(strings.Split(kc.HostBootstrap, ","), cfg)
}

// TopicSpec is what CreateTopic makes.
type TopicSpec struct {
	Partitions        int32
	ReplicationFactor int16
	Config            map[string]string // topic configuration (min.insync.replicas, retention.ms, ...)
}

// CreateTopic creates a topic from the host (an existing one is fine) and waits until every
// partition has a leader and its whole replica set in sync.
func (kc *KafkaCluster) CreateTopic(t testing.TB, topic string, spec TopicSpec) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(strings.Split(kc.HostBootstrap, ","), kc.Config())
	if err != nil {
		t.Fatalf("infra: kafka admin: %v", err)
	}
	defer admin.Close()
	entries := map[string]*string{}
	for k, v := range spec.Config {
		entries[k] = &v
	}
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: spec.Partitions,
		ReplicationFactor: spec.ReplicationFactor, ConfigEntries: entries}, false)
	var te *sarama.TopicError
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) && !(errors.As(err, &te) && te.Err == sarama.ErrTopicAlreadyExists) {
		t.Fatalf("infra: create topic %s: %v", topic, err)
	}
	kc.WaitInSync(t, 60*time.Second)
}

// Leader is the node id leading topic/partition, from fresh metadata.
func (kc *KafkaCluster) Leader(t testing.TB, topic string, partition int32) int {
	t.Helper()
	var id int
	err := retry(30*time.Second, func() error {
		c, err := kc.client()
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.RefreshMetadata(topic); err != nil {
			return err
		}
		b, err := c.Leader(topic, partition)
		if err != nil {
			return err
		}
		id = int(b.ID())
		return nil
	})
	if err != nil {
		t.Fatalf("infra: leader of %s/%d: %v", topic, partition, err)
	}
	return id
}

// NewestOffsets are the end offsets of every partition of topic (which partitions have records).
func (kc *KafkaCluster) NewestOffsets(t testing.TB, topic string) map[int32]int64 {
	t.Helper()
	return kc.offsets(t, topic, sarama.OffsetNewest)
}

// OldestOffsets are the first offsets still kept by every partition of topic (above 0 once
// retention deleted a segment).
func (kc *KafkaCluster) OldestOffsets(t testing.TB, topic string) map[int32]int64 {
	t.Helper()
	return kc.offsets(t, topic, sarama.OffsetOldest)
}

func (kc *KafkaCluster) offsets(t testing.TB, topic string, at int64) map[int32]int64 {
	t.Helper()
	out := map[int32]int64{}
	err := retry(30*time.Second, func() error {
		c, err := kc.client()
		if err != nil {
			return err
		}
		defer c.Close()
		parts, err := c.Partitions(topic)
		if err != nil {
			return err
		}
		for _, p := range parts {
			o, err := c.GetOffset(topic, p, at)
			if err != nil {
				return fmt.Errorf("%s/%d: %w", topic, p, err)
			}
			out[p] = o
		}
		return nil
	})
	if err != nil {
		t.Fatalf("infra: offsets of %s: %v", topic, err)
	}
	return out
}

// WaitInSync waits until every partition of every topic has a leader and all its replicas in
// sync (after a node restarts it catches up before the next fault may take another one).
func (kc *KafkaCluster) WaitInSync(t testing.TB, timeout time.Duration) {
	t.Helper()
	err := retry(timeout, func() error {
		c, err := kc.client()
		if err != nil {
			return err
		}
		defer c.Close()
		return partitionsReady(c, true)
	})
	if err != nil {
		t.Fatalf("infra: kafka cluster not in sync after %v: %v", timeout, err)
	}
}

// Isolate disconnects the broker's container from the network, so the other nodes, every proxy
// link to it and the host lose it, and after d connects it again under the same alias.
func (kc *KafkaCluster) Isolate(t testing.TB, k *Kafka, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("infra: docker client: %v", err)
	}
	defer cli.Close()
	id := k.Container.GetContainerID()
	if _, err := cli.NetworkDisconnect(ctx, kc.nw.ID, client.NetworkDisconnectOptions{Container: id, Force: true}); err != nil {
		t.Fatalf("infra: disconnect %s: %v", k.Alias, err)
	}
	time.Sleep(d)
	if _, err := cli.NetworkConnect(ctx, kc.nw.ID, client.NetworkConnectOptions{Container: id,
		EndpointConfig: &dnetwork.EndpointSettings{Aliases: []string{k.Alias}}}); err != nil {
		t.Fatalf("infra: reconnect %s: %v", k.Alias, err)
	}
}

// retry calls f every 200 ms until it succeeds or timeout passes, returning the last error.
func retry(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
