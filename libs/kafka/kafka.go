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
	Brokers    []string
	Topic      string
	Partitions int // used when a service has to create the topic
}

// Flags defines the settings on s (KAFKA_BROKERS, KAFKA_TOPIC, KAFKA_TOPIC_PARTITIONS).
func (k *Settings) Flags(s *config.Set) {
	s.ListVar(&k.Brokers, "kafka-brokers", "KAFKA_BROKERS", DefaultBrokers, "comma-separated Kafka bootstrap brokers")
	s.StringVar(&k.Topic, "kafka-topic", "KAFKA_TOPIC", DefaultTopic, "topic of the sum events")
	s.IntVar(&k.Partitions, "kafka-partitions", "KAFKA_TOPIC_PARTITIONS", 3, "partitions when the topic has to be created")
}

// Validate reports a setting that cannot work.
func (k Settings) Validate() error {
	switch {
	case len(k.Brokers) == 0:
		return errors.New("no Kafka brokers given")
	case k.Topic == "":
		return errors.New("no Kafka topic given")
	case k.Partitions < 1:
		return errors.New("topic partitions must be positive")
	}
	return nil
}

// EnsureTopic creates the settings' topic (replication factor 1) if it does not exist; see the
// function EnsureTopic.
func (k Settings) EnsureTopic(ctx context.Context, log *slog.Logger) error {
	return EnsureTopic(ctx, log, k.Brokers, k.Topic, int32(k.Partitions), 1)
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

// EnsureTopic creates topic with the given partitions and replication factor if it does not
// exist (an existing topic is fine, whatever its settings; a partition count that differs is
// logged), then waits until every partition has a leader, so that the first produce does not
// fail with LEADER_NOT_AVAILABLE. It retries while the brokers are unreachable or not ready,
// until ctx ends.
func EnsureTopic(ctx context.Context, log *slog.Logger, brokers []string, topic string, partitions int32, replication int16) error {
	if len(brokers) == 0 {
		return errors.New("kafka: no brokers")
	}
	if topic == "" {
		return errors.New("kafka: empty topic name")
	}
	var lastErr error
	_, err := retry.Until(ctx, retry.Policy(retryDelay, 5*time.Second), func() (struct{}, error) {
		lastErr = ensureTopicOnce(ctx, log, brokers, topic, partitions, replication)
		var fatal fatalError
		if errors.As(lastErr, &fatal) {
			return struct{}{}, retry.Permanent(fatal.err)
		}
		return struct{}{}, lastErr
	}, nil)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("kafka: ensure topic %q: %w (last error: %v)", topic, ctx.Err(), lastErr)
	default:
		return fmt.Errorf("kafka: ensure topic %q: %w", topic, err)
	}
}

// fatalError marks errors that retrying cannot fix.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }

func ensureTopicOnce(ctx context.Context, log *slog.Logger, brokers []string, topic string, partitions int32, replication int16) error {
	admin, err := sarama.NewClusterAdmin(brokers, adminConfig())
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()

	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replication}, false)
	switch {
	case err == nil:
		log.Info("kafka topic created", "topic", topic, "partitions", partitions, "replication", replication)
	case errors.Is(err, sarama.ErrTopicAlreadyExists):
	case errors.Is(err, sarama.ErrInvalidPartitions), errors.Is(err, sarama.ErrInvalidReplicationFactor),
		errors.Is(err, sarama.ErrInvalidTopic), errors.Is(err, sarama.ErrTopicAuthorizationFailed),
		errors.Is(err, sarama.ErrClusterAuthorizationFailed), errors.Is(err, sarama.ErrInvalidConfig):
		return fatalError{err}
	default:
		return err
	}

	// Wait for leaders (a new topic's partitions get theirs a few milliseconds after creation).
	for {
		md, err := admin.DescribeTopics([]string{topic})
		if err != nil {
			return err
		}
		if ready, n := topicReady(md, topic); ready {
			if n != int(partitions) {
				log.Warn("kafka topic exists with a different partition count", "topic", topic, "partitions", n, "wanted", partitions)
			}
			return nil
		}
		if !retry.Sleep(ctx, retryDelay/5) {
			return fmt.Errorf("partitions of %q have no leader yet: %w", topic, ctx.Err())
		}
	}
}

func topicReady(md []*sarama.TopicMetadata, topic string) (bool, int) {
	for _, t := range md {
		if t.Name != topic {
			continue
		}
		if !errors.Is(t.Err, sarama.ErrNoError) || len(t.Partitions) == 0 {
			return false, 0
		}
		for _, p := range t.Partitions {
			if !errors.Is(p.Err, sarama.ErrNoError) || p.Leader < 0 {
				return false, 0
			}
		}
		return true, len(t.Partitions)
	}
	return false, 0
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
	conf.Net.DialTimeout = timeout
	conf.Net.ReadTimeout = timeout
	conf.Net.WriteTimeout = timeout

	b := sarama.NewBroker(addr)
	if err := b.Open(conf); err != nil {
		return err
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
			return r.err
		}
		if len(r.md.Brokers) == 0 {
			return errors.New("metadata lists no brokers")
		}
		return nil
	}
}
