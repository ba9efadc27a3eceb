// Package kafka holds the Kafka client settings shared by the services: one place that decides
// how the calculator's relay produces (idempotent, acks=all, ordered) and how the totals service
// consumes (read_committed, manual offsets), the Kafka settings both take (one flag group), plus
// topic creation and a readiness probe.
//
// The settings are tested against a real single-node KRaft Apache Kafka 4.1.1 broker in
// tests/testkit (kafka_test.go) and with sarama's in-process mock broker here.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/config"
	"github.com/distsum/distsum/libs/health"
	"github.com/distsum/distsum/libs/retry"
)

// Version is the Kafka protocol version the clients are configured for: the release line of
// the broker we run (4.1.1). Verified against it in tests/testkit (idempotent produce, consumer
// group with read_committed and commits, CreateTopics); the constants from 0.11 to 4.3.1 all
// passed too. Pin it rather than rely on that: Kafka 4 dropped old protocol versions (KIP-896)
// and sarama only lowers a request's version to the broker's maximum, never raises it.
var Version = sarama.V4_1_0_0

// DefaultBrokers is the broker list for a local `make up`.
const DefaultBrokers = "127.0.0.1:9092"

// DefaultTopic is the topic of the sum events.
const DefaultTopic = "calculator-sum-topic"

// Settings are the Kafka settings both services take.
type Settings struct {
	Brokers []string
	Topic   string
	// How the topic is created when a service has to, and what is accepted
	// of an existing one (see TopicSpec).
	Partitions        int
	ReplicationFactor int
	MinInsyncReplicas int
	Retention         time.Duration
	AllowUnsafeTopic  bool
	// Security is the transport security of every client of the process (security.go).
	Security Security
}

// Flags defines the settings on s (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_TOPIC_*, KAFKA_TLS*,
// KAFKA_SASL_*).
func (k *Settings) Flags(s *config.Set) {
	s.ListVar(&k.Brokers, "kafka-brokers", "KAFKA_BROKERS", DefaultBrokers, "comma-separated Kafka bootstrap brokers")
	s.StringVar(&k.Topic, "kafka-topic", "KAFKA_TOPIC", DefaultTopic, "topic of the sum events")
	s.IntVar(&k.Partitions, "kafka-partitions", "KAFKA_TOPIC_PARTITIONS", 3, "partitions when the topic has to be created")
	s.IntVar(&k.ReplicationFactor, "kafka-replication-factor", "KAFKA_TOPIC_REPLICATION_FACTOR", 0, "replication factor when the topic has to be created (0: min(3, brokers))")
	s.IntVar(&k.MinInsyncReplicas, "kafka-min-insync-replicas", "KAFKA_TOPIC_MIN_ISR", 0, "min.insync.replicas when the topic has to be created (0: min(2, replication factor))")
	s.DurationVar(&k.Retention, "kafka-retention", "KAFKA_TOPIC_RETENTION", 0, "retention when the topic has to be created (0: keep records forever)")
	s.BoolVar(&k.AllowUnsafeTopic, "kafka-allow-unsafe-topic", "KAFKA_TOPIC_ALLOW_UNSAFE", false, "accept an existing topic that cannot keep an acknowledged event through the loss of one broker (warns)")
	k.Security.flags(s)
}

// Validate reports a setting that cannot work. It also loads the security settings (reads the
// CA, certificate and password files) and makes them the transport of every Kafka client of the
// process: the services call it once at start, before any client is made.
func (k Settings) Validate() error {
	t, err := k.Security.load()
	if err != nil {
		return fmt.Errorf("kafka security: %w", err)
	}
	setTransport(t)
	switch {
	case len(k.Brokers) == 0:
		return errors.New("no Kafka brokers given")
	case k.Topic == "":
		return errors.New("no Kafka topic given")
	case k.Partitions < 1:
		return errors.New("topic partitions must be positive")
	case k.ReplicationFactor < 0 || k.ReplicationFactor > 32767:
		return errors.New("topic replication factor must be 0 (automatic) or positive")
	case k.MinInsyncReplicas < 0:
		return errors.New("topic min.insync.replicas must be 0 (automatic) or positive")
	case k.ReplicationFactor > 0 && k.MinInsyncReplicas > k.ReplicationFactor:
		return fmt.Errorf("topic min.insync.replicas %d is above its replication factor %d: no write could succeed", k.MinInsyncReplicas, k.ReplicationFactor)
	case k.Retention < 0:
		return errors.New("topic retention must be 0 (forever) or positive")
	}
	return nil
}

// TopicSpec is the topic the settings describe.
func (k Settings) TopicSpec() TopicSpec {
	return TopicSpec{
		Name: k.Topic, Partitions: int32(k.Partitions), ReplicationFactor: int16(k.ReplicationFactor),
		MinInsyncReplicas: k.MinInsyncReplicas, Retention: k.Retention, AllowUnsafe: k.AllowUnsafeTopic,
	}
}

// EnsureTopic creates the settings' topic if it does not exist and checks it if it does; see the
// function EnsureTopic.
func (k Settings) EnsureTopic(ctx context.Context, log *slog.Logger) (Topic, error) {
	return EnsureTopic(ctx, log, k.Brokers, k.TopicSpec())
}

// SetUpTopic creates or checks the topic (EnsureTopic) and records what it found in m. EnsureTopic
// retries while Kafka is away, so an error it returns before ctx ends is one that retrying cannot
// fix (a refused topic, an invalid replication factor, no authorization): it is returned, for the
// service to stop on with that error.
func (k Settings) SetUpTopic(ctx context.Context, log *slog.Logger, m *TopicMetrics) error {
	t, err := k.EnsureTopic(ctx, log)
	m.Observe(t)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// ReadyCheck is a readiness check that the brokers answer, polled in the background every 2 s
// until ctx ends, so that probes read the last result instead of each opening connections.
func (k Settings) ReadyCheck(ctx context.Context) health.Check {
	return health.Poll(ctx, 2*time.Second, func(ctx context.Context) error { return Ping(ctx, k.Brokers) }).Check
}

func baseConfig(clientID string) *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = clientID
	c.Version = Version
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 15 * time.Second
	c.Net.WriteTimeout = 10 * time.Second
	c.Net.KeepAlive = 30 * time.Second
	// Topics are created explicitly (EnsureTopic); the broker has auto.create.topics.enable=false
	// and the clients must not ask for it either.
	c.Metadata.AllowAutoTopicCreation = false
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 250 * time.Millisecond
	c.Metadata.RefreshFrequency = time.Minute
	applyTransport(c)
	return c
}

// ProducerConfig is the configuration of the outbox relay's producer.
//
//   - Idempotent with acks=all and one request in flight: a retried batch is written once and
//     the order of one producer key's events is kept (Kafka's idempotence needs exactly this).
//   - Hash partitioner: all events of one calculator (keyed by its producer id) land on one
//     partition, in outbox order.
//   - Successes and errors are returned: the relay marks a row sent only after the ack.
//   - No compression: events are ~100 bytes, Kafka is on loopback, and the machine has 2 cores;
//     lz4 would spend CPU on the client and on the broker (which decompresses to validate every
//     batch) to save bytes nobody is short of.
//   - Retries: 10 with a backoff growing from 100 ms to 1 s (about 5 s in all) cover a leader
//     move or a broker restart; beyond that the send fails and the relay retries the rows later
//     (they stay pending in the outbox, so nothing is lost).
func ProducerConfig(clientID string) *sarama.Config {
	c := baseConfig(clientID)
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Net.MaxOpenRequests = 1
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Producer.Compression = sarama.CompressionNone
	c.Producer.Timeout = 10 * time.Second
	c.Producer.Retry.Max = 10
	c.Producer.Retry.BackoffFunc = func(retries, _ int) time.Duration {
		d := 100 * time.Millisecond << min(retries, 4)
		return min(d, time.Second)
	}
	return c
}

// ConsumerConfig is the configuration of the totals service's consumer group.
//
//   - read_committed: records of aborted transactions are never applied.
//   - No auto-commit: the service's own state file records the offsets it covers; Kafka's
//     committed offsets are advisory and committed explicitly after a durable flush.
//   - Start from the oldest record when the group has no offset: a new totals replica must see
//     every event.
//   - Sticky assignment: a rebalance moves as few partitions as possible.
//   - Session 10 s, heartbeat 3 s: a killed consumer's partitions move within ~10 s.
func ConsumerConfig(clientID string) *sarama.Config {
	c := baseConfig(clientID)
	c.Consumer.IsolationLevel = sarama.ReadCommitted
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Return.Errors = true
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 3 * time.Second
	c.Consumer.Group.Rebalance.Timeout = 30 * time.Second
	c.Consumer.Group.Rebalance.Retry.Max = 10
	c.Consumer.Group.Rebalance.Retry.Backoff = 500 * time.Millisecond
	c.Consumer.Fetch.Min = 1
	c.Consumer.MaxWaitTime = 250 * time.Millisecond
	return c
}

func adminConfig() *sarama.Config {
	c := baseConfig("distsum-admin")
	c.Admin.Timeout = 10 * time.Second
	c.Admin.Retry.Max = 3
	c.Admin.Retry.Backoff = 250 * time.Millisecond
	c.Metadata.Retry.Max = 1
	return c
}

// retryDelay is the first pause between attempts of EnsureTopic (doubling up to 5 s); the wait
// for leaders polls at a fifth of it.
var retryDelay = 250 * time.Millisecond

// EnsureTopic creates the topic if it does not exist, with the spec's partitions, replication
// factor (default min(3, brokers)), min.insync.replicas (default min(2, RF)), retention and
// unclean leader election off; an existing topic is checked instead (TopicSpec says what is
// refused). It waits until every partition has a leader, so that the first produce does not
// fail with LEADER_NOT_AVAILABLE, and retries while the brokers are unreachable or not ready,
// until ctx ends. A refused topic or an invalid request is an error at once.
func EnsureTopic(ctx context.Context, log *slog.Logger, brokers []string, spec TopicSpec) (Topic, error) {
	if len(brokers) == 0 {
		return Topic{}, errors.New("kafka: no brokers")
	}
	if spec.Name == "" {
		return Topic{}, errors.New("kafka: empty topic name")
	}
	var lastErr error
	t, err := retry.Until(ctx, retry.Policy(retryDelay, 5*time.Second), func() (Topic, error) {
		t, err := ensureTopicOnce(ctx, log, brokers, spec)
		lastErr = err
		var fatal fatalError
		if errors.As(err, &fatal) {
			return t, retry.Permanent(fatal.err)
		}
		return t, err
	}, nil)
	switch {
	case err == nil:
		return t, nil
	case ctx.Err() != nil:
		return t, fmt.Errorf("kafka: ensure topic %q: %w (last error: %v)", spec.Name, ctx.Err(), lastErr)
	default:
		return t, fmt.Errorf("kafka: ensure topic %q: %w", spec.Name, err)
	}
}

// fatalError marks errors that retrying cannot fix.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }

func ensureTopicOnce(ctx context.Context, log *slog.Logger, brokers []string, spec TopicSpec) (Topic, error) {
	client, err := sarama.NewClient(brokers, adminConfig())
	if err != nil {
		// A broker that rejects our certificate check or credentials will reject them on
		// every retry: stop with the cause instead of retrying until the deadline.
		return Topic{}, securityError(err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		client.Close()
		return Topic{}, err
	}
	defer func() { _ = admin.Close() }()

	nBrokers := len(client.Brokers())
	rf, minISR, configs := spec.newTopicSettings(nBrokers)
	// Settings that would make a refused topic are refused before it is made (an existing
	// topic is judged as it is, below).
	planned := Topic{Name: spec.Name, Brokers: nBrokers, ReplicationFactor: int(rf), MinInsyncReplicas: minISR}
	planned.judge()
	if planned.Unsafe != "" && !spec.AllowUnsafe {
		md, err := admin.DescribeTopics([]string{spec.Name})
		if err != nil {
			return Topic{}, err
		}
		if len(md) == 1 && errors.Is(md[0].Err, sarama.ErrUnknownTopicOrPartition) {
			return planned, fatalError{fmt.Errorf("%w: creating %q on a cluster of %d brokers with %s; change the setting, or accept the risk with KAFKA_TOPIC_ALLOW_UNSAFE=true",
				ErrUnsafeTopic, spec.Name, nBrokers, planned.Unsafe)}
		}
	}
	err = admin.CreateTopic(spec.Name, &sarama.TopicDetail{NumPartitions: spec.Partitions, ReplicationFactor: rf, ConfigEntries: configs}, false)
	created := err == nil
	switch {
	case created:
		log.Info("kafka topic created", "topic", spec.Name, "partitions", spec.Partitions, "replication", rf,
			"min_insync_replicas", minISR, "retention", *configs["retention.ms"], "brokers", nBrokers)
	case errors.Is(err, sarama.ErrTopicAlreadyExists):
	case errors.Is(err, sarama.ErrInvalidPartitions), errors.Is(err, sarama.ErrInvalidReplicationFactor),
		errors.Is(err, sarama.ErrInvalidTopic), errors.Is(err, sarama.ErrTopicAuthorizationFailed),
		errors.Is(err, sarama.ErrClusterAuthorizationFailed), errors.Is(err, sarama.ErrInvalidConfig):
		return Topic{}, fatalError{err}
	default:
		return Topic{}, err
	}

	// Wait for leaders (a new topic's partitions get theirs a few milliseconds after creation).
	for {
		md, err := admin.DescribeTopics([]string{spec.Name})
		if err != nil {
			return Topic{}, err
		}
		if t := readyTopic(md, spec.Name); t != nil {
			topic, err := describe(admin, nBrokers, spec.Name, t)
			topic.Created = created
			var denied *sarama.DescribeConfigError
			if errors.As(err, &denied) && (errors.Is(denied.Err, sarama.ErrTopicAuthorizationFailed) || errors.Is(denied.Err, sarama.ErrClusterAuthorizationFailed)) {
				// A principal without DescribeConfigs cannot check; say so and go on.
				log.Warn("cannot read the topic's configuration to check its durability", "topic", spec.Name, "err", err)
				return topic, nil
			}
			if err != nil {
				return topic, err
			}
			return topic, spec.check(log, topic)
		}
		if !retry.Sleep(ctx, retryDelay/5) {
			return Topic{}, fmt.Errorf("partitions of %q have no leader yet: %w", spec.Name, ctx.Err())
		}
	}
}

// readyTopic returns the topic's metadata once every partition has a leader.
func readyTopic(md []*sarama.TopicMetadata, topic string) *sarama.TopicMetadata {
	for _, t := range md {
		if t.Name != topic {
			continue
		}
		if !errors.Is(t.Err, sarama.ErrNoError) || len(t.Partitions) == 0 {
			return nil
		}
		for _, p := range t.Partitions {
			if !errors.Is(p.Err, sarama.ErrNoError) || p.Leader < 0 {
				return nil
			}
		}
		return t
	}
	return nil
}

// Ping is a readiness probe: one metadata round-trip to the first broker that answers. It
// succeeds only if the broker answers with at least one live broker in the cluster. The whole
// call is bounded by ctx (and by 5 s when ctx has no deadline).
func Ping(ctx context.Context, brokers []string) error {
	if len(brokers) == 0 {
		return errors.New("kafka: no brokers")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	var errs []error
	for _, addr := range brokers {
		err := pingOne(ctx, addr)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("kafka: ping: %w", errors.Join(errs...))
}

func pingOne(ctx context.Context, addr string) error {
	deadline, _ := ctx.Deadline()
	timeout := time.Until(deadline)
	if timeout <= 0 {
		return ctx.Err()
	}
	conf := sarama.NewConfig()
	conf.ClientID = "distsum-ping"
	conf.Version = Version
	applyTransport(conf)
	conf.Net.DialTimeout = timeout
	conf.Net.ReadTimeout = timeout
	conf.Net.WriteTimeout = timeout

	b := sarama.NewBroker(addr)
	if err := b.Open(conf); err != nil {
		return securityError(err)
	}
	defer func() { _ = b.Close() }()

	type result struct {
		md  *sarama.MetadataResponse
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// sarama encodes an empty topic list as "all topics": cheap on this project's few topics.
		md, err := b.GetMetadata(sarama.NewMetadataRequest(conf.Version, nil))
		ch <- result{md, err}
	}()
	select {
	case <-ctx.Done():
		_ = b.Close()
		return ctx.Err()
	case r := <-ch:
		if r.err != nil {
			return securityError(r.err)
		}
		if len(r.md.Brokers) == 0 {
			return errors.New("metadata lists no brokers")
		}
		return nil
	}
}
