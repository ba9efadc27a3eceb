package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// TopicSpec is how a service creates the sum topic, and what it accepts of
// one that exists.
//
// An acknowledged event (acks=all) is on every in-sync replica, and a write
// needs at least min.insync.replicas of them. So with min ISR 2 and unclean
// leader election off, an acknowledged event survives the loss of any one
// broker; with min ISR 1 (or RF 1) the loss of the one broker holding it
// loses it for good. On a cluster of 3 or more brokers a topic that cannot
// keep an acknowledged event through the loss of one broker is refused,
// unless AllowUnsafe says the operator chose it.
type TopicSpec struct {
	Name       string
	Partitions int32
	// ReplicationFactor for a new topic; 0 is min(3, brokers in the cluster).
	ReplicationFactor int16
	// MinInsyncReplicas for a new topic; 0 is min(2, replication factor).
	MinInsyncReplicas int
	// Retention of a new topic's records; 0 keeps them forever (a replica
	// without state rebuilds the total from the whole log).
	Retention time.Duration
	// AllowUnsafe accepts an existing topic that cannot keep an acknowledged
	// event through the loss of one broker, with a warning.
	AllowUnsafe bool
	// Compact creates the topic with cleanup.policy=compact (the last record
	// of each key is kept, whatever its age).
	Compact bool
}

// Topic is what EnsureTopic found or made.
type Topic struct {
	Name              string
	Partitions        int
	ReplicationFactor int // the smallest over the partitions
	MinInsyncReplicas int
	UncleanElection   bool
	Brokers           int // in the cluster
	Created           bool
	// Checked: its configuration was read (min ISR, unclean election); false
	// when the principal may not describe it.
	Checked bool
	// Unsafe names why the topic cannot keep an acknowledged event through
	// the loss of one broker (empty when it can, or when the cluster has
	// fewer than 3 brokers and nothing better is possible).
	Unsafe string
}

// ErrUnsafeTopic is returned for an existing topic that cannot keep an
// acknowledged event through the loss of one broker.
var ErrUnsafeTopic = errors.New("topic cannot keep an acknowledged event through the loss of one broker")

// newTopicSettings returns the replication factor, min ISR and configs a
// topic is created with on a cluster of brokers.
func (s TopicSpec) newTopicSettings(brokers int) (rf int16, minISR int, configs map[string]*string) {
	rf = s.ReplicationFactor
	if rf <= 0 {
		rf = int16(min(3, max(brokers, 1)))
	}
	minISR = s.MinInsyncReplicas
	if minISR <= 0 {
		minISR = min(2, int(rf))
	}
	retention := "-1"
	if s.Retention > 0 {
		retention = strconv.FormatInt(s.Retention.Milliseconds(), 10)
	}
	str := func(v string) *string { return &v }
	configs = map[string]*string{
		"min.insync.replicas":            str(strconv.Itoa(minISR)),
		"unclean.leader.election.enable": str("false"),
		"retention.ms":                   str(retention),
	}
	if s.Compact {
		configs["cleanup.policy"] = str("compact")
	}
	return rf, minISR, configs
}

// judge fills t.Unsafe from what the topic is.
func (t *Topic) judge() {
	if t.Brokers < 3 {
		return
	}
	switch {
	case t.ReplicationFactor < 2:
		t.Unsafe = fmt.Sprintf("replication factor %d (raise it to 3 with kafka-reassign-partitions)", t.ReplicationFactor)
	case t.MinInsyncReplicas < 2:
		t.Unsafe = fmt.Sprintf("min.insync.replicas=%d (set it to 2: kafka-configs --alter --entity-type topics --entity-name %s --add-config min.insync.replicas=2)", t.MinInsyncReplicas, t.Name)
	case t.UncleanElection:
		t.Unsafe = fmt.Sprintf("unclean.leader.election.enable=true (set it to false: kafka-configs --alter --entity-type topics --entity-name %s --add-config unclean.leader.election.enable=false)", t.Name)
	}
}

// describe reads the topic's replication and durability settings.
func describe(admin sarama.ClusterAdmin, brokers int, name string, md *sarama.TopicMetadata) (Topic, error) {
	t := Topic{Name: name, Partitions: len(md.Partitions), Brokers: brokers, ReplicationFactor: -1}
	for _, p := range md.Partitions {
		if t.ReplicationFactor < 0 || len(p.Replicas) < t.ReplicationFactor {
			t.ReplicationFactor = len(p.Replicas)
		}
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{
		Type: sarama.TopicResource, Name: name,
		ConfigNames: []string{"min.insync.replicas", "unclean.leader.election.enable"},
	})
	if err != nil {
		return t, fmt.Errorf("describe the configuration of %q: %w", name, err)
	}
	t.MinInsyncReplicas = 1 // the broker default
	t.Checked = true
	for _, e := range entries {
		switch e.Name {
		case "min.insync.replicas":
			if n, err := strconv.Atoi(e.Value); err == nil {
				t.MinInsyncReplicas = n
			}
		case "unclean.leader.election.enable":
			t.UncleanElection = e.Value == "true"
		}
	}
	t.judge()
	return t, nil
}

// check decides about an existing topic: refused (a fatal error naming the
// topic and the setting to fix) when unsafe, unless allowed.
func (s TopicSpec) check(log *slog.Logger, t Topic) error {
	if t.Partitions != int(s.Partitions) {
		log.Warn("kafka topic exists with a different partition count", "topic", t.Name, "partitions", t.Partitions, "wanted", s.Partitions)
	}
	if t.Unsafe == "" {
		return nil
	}
	if !s.AllowUnsafe {
		return fatalError{fmt.Errorf("%w: %q on a cluster of %d brokers has %s; fix the topic, or accept the risk with KAFKA_TOPIC_ALLOW_UNSAFE=true",
			ErrUnsafeTopic, t.Name, t.Brokers, t.Unsafe)}
	}
	log.Warn("KAFKA TOPIC CANNOT KEEP AN ACKNOWLEDGED EVENT THROUGH THE LOSS OF ONE BROKER (accepted: KAFKA_TOPIC_ALLOW_UNSAFE)",
		"topic", t.Name, "brokers", t.Brokers, "reason", t.Unsafe)
	return nil
}

// TopicMetrics export what EnsureTopic found, so an operator sees the
// durability of the topic the service runs on.
type TopicMetrics struct {
	rf, minISR, unsafe *prometheus.GaugeVec
}

// NewTopicMetrics registers kafka_topic_replication_factor,
// kafka_topic_min_insync_replicas and kafka_topic_unsafe on reg.
func NewTopicMetrics(reg prometheus.Registerer) *TopicMetrics {
	f := promauto.With(reg)
	return &TopicMetrics{
		rf: f.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka_topic_replication_factor",
			Help: "Replication factor of the sum topic (the smallest over its partitions)."}, []string{"topic"}),
		minISR: f.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka_topic_min_insync_replicas",
			Help: "min.insync.replicas of the sum topic."}, []string{"topic"}),
		unsafe: f.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka_topic_unsafe",
			Help: "1 when the topic cannot keep an acknowledged event through the loss of one broker and was accepted by KAFKA_TOPIC_ALLOW_UNSAFE."}, []string{"topic"}),
	}
}

// Observe records a topic EnsureTopic returned (nothing for an empty one).
func (m *TopicMetrics) Observe(t Topic) {
	if t.Name == "" {
		return
	}
	m.rf.WithLabelValues(t.Name).Set(float64(t.ReplicationFactor))
	if !t.Checked {
		return // what could not be read is not exported as if it were 0 or safe
	}
	m.minISR.WithLabelValues(t.Name).Set(float64(t.MinInsyncReplicas))
	unsafe := 0.0
	if t.Unsafe != "" {
		unsafe = 1
	}
	m.unsafe.WithLabelValues(t.Name).Set(unsafe)
}

// TopicID returns the topic's id, the UUID Kafka gives a topic when it is
// created: a topic deleted and created again under the same name has another
// id. sarama's client keeps no topic ids, so this asks a broker directly with
// a metadata request of version 10 or later (which carries them).
func TopicID(client sarama.Client, topic string) (string, error) {
	b, err := client.Controller() // opened by the client, unlike LeastLoadedBroker's
	if err != nil {
		return "", err
	}
	req := sarama.NewMetadataRequest(Version, []string{topic})
	if req.Version < 10 {
		req.Version = 10
	}
	resp, err := b.GetMetadata(req)
	if err != nil {
		return "", err
	}
	for _, t := range resp.Topics {
		if t.Name != topic {
			continue
		}
		if !errors.Is(t.Err, sarama.ErrNoError) {
			return "", fmt.Errorf("topic %q: %w", topic, t.Err)
		}
		if t.Uuid == (sarama.Uuid{}) {
			return "", fmt.Errorf("topic %q: the broker sent no topic id", topic)
		}
		return t.Uuid.String(), nil
	}
	return "", fmt.Errorf("topic %q: not in the metadata response", topic)
}
