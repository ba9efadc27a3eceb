package testkit

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
)

// TestKafkaIdempotentProduceConsumeAcrossKill proves the services' client settings
// (libs/kafka) against a real broker: an idempotent producer writes N events of one key, a
// read_committed consumer group reads them back in order, the broker is killed with SIGKILL and
// restarted, and the same producer and group go on without loss, duplicates or reordering.
func TestKafkaIdempotentProduceConsumeAcrossKill(t *testing.T) {
	const (
		topic = "calculator-sum-topic"
		group = "sum-group"
		key   = "calculator-1"
		n     = 2000
	)
	k := StartKafka(t, WithKafkaTopic(topic, 3))
	cold := k.LastStartDuration()

	pcfg := kafka.ProducerConfig("relay-test")
	if !pcfg.Producer.Idempotent || pcfg.Producer.RequiredAcks != sarama.WaitForAll ||
		pcfg.Net.MaxOpenRequests != 1 || pcfg.Producer.Retry.Max < 1 {
		t.Fatalf("producer config is not idempotent: %+v", pcfg.Producer)
	}
	t.Logf("sarama protocol version: %s", pcfg.Version)
	producer, err := sarama.NewAsyncProducer(k.Brokers(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = producer.Close() }()

	consumed := make(chan *sarama.ConsumerMessage, 4*n)
	startGroup := func() (stop func()) {
		cg, err := sarama.NewConsumerGroup(k.Brokers(), group, kafka.ConsumerConfig("totals-test"))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := cg.Consume(ctx, []string{topic}, &collectHandler{out: consumed}); err != nil && ctx.Err() == nil {
					t.Logf("consume: %v (retrying)", err)
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for err := range cg.Errors() {
				if ctx.Err() == nil {
					t.Logf("consumer group error: %v", err)
				}
			}
		}()
		return func() { cancel(); _ = cg.Close(); wg.Wait() }
	}

	// Round 1.
	p1, dur := produceKeyed(t, producer, topic, key, 0, n)
	t.Logf("round 1: produced %d idempotent messages in %v (%.0f msg/s, async, one key)", n, dur, float64(n)/dur.Seconds())
	stop := startGroup()
	began := time.Now()
	expectInOrder(t, consumed, 0, n, p1)
	t.Logf("round 1: consumed %d with the group (read_committed) in %v (includes the group join)", n, time.Since(began))
	stop()

	// kill -9, restart on the same ports and data.
	k.Kill()
	if k.Running() {
		t.Fatal("broker still running after Kill")
	}
	k.Restart(t)
	restart := k.LastStartDuration()

	// Round 2: the same producer instance (as the relay keeps one for its lifetime) and the same
	// group; the group resumes from its committed offsets.
	p2, dur := produceKeyed(t, producer, topic, key, n, n)
	if p2 != p1 {
		t.Fatalf("key %q moved from partition %d to %d", key, p1, p2)
	}
	t.Logf("round 2 (after kill -9 + restart): produced %d in %v", n, dur)
	stop = startGroup()
	expectInOrder(t, consumed, n, n, p2)
	stop()
	select {
	case m := <-consumed:
		t.Fatalf("unexpected extra message %s at offset %d", m.Value, m.Offset)
	case <-time.After(300 * time.Millisecond):
	}

	// Every offset of the partition holds exactly one event: nothing was written twice.
	client, err := sarama.NewClient(k.Brokers(), kafka.ConsumerConfig("check"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	newest, err := client.GetOffset(topic, p1, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	if newest != 2*n {
		t.Fatalf("partition %d has %d records, want %d (duplicates or loss)", p1, newest, 2*n)
	}
	t.Logf("MEASURED broker cold start (exec -> first metadata answer, storage pre-formatted): %v; restart after kill -9: %v",
		cold.Round(time.Millisecond), restart.Round(time.Millisecond))
}

// TestKafkaSaramaVersions checks which sarama protocol versions work with this broker for the
// operations the services use: idempotent produce, a consumer group with read_committed and
// an offset commit, and topic creation.
func TestKafkaSaramaVersions(t *testing.T) {
	k := StartKafka(t)
	for _, v := range []sarama.KafkaVersion{
		sarama.V2_1_0_0, sarama.V2_8_0_0, sarama.V3_9_0_0, sarama.V4_0_0_0, sarama.V4_1_0_0, sarama.MaxVersion,
	} {
		t.Run(v.String(), func(t *testing.T) {
			topic := "versions-" + v.String()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if err := ensureTopicVersion(ctx, k.Brokers(), topic, v); err != nil {
				t.Fatalf("create topic: %v", err)
			}
			pcfg := kafka.ProducerConfig("versions")
			pcfg.Version = v
			producer, err := sarama.NewAsyncProducer(k.Brokers(), pcfg)
			if err != nil {
				t.Fatal(err)
			}
			part, _ := produceKeyed(t, producer, topic, "k", 0, 50)
			_ = producer.Close()

			ccfg := kafka.ConsumerConfig("versions")
			ccfg.Version = v
			cg, err := sarama.NewConsumerGroup(k.Brokers(), "g-"+v.String(), ccfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cg.Close() }()
			out := make(chan *sarama.ConsumerMessage, 100)
			cctx, ccancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() { errc <- cg.Consume(cctx, []string{topic}, &collectHandler{out: out}) }()
			expectInOrder(t, out, 0, 50, part)
			ccancel()
			if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("consume: %v", err)
			}
		})
	}

	// Graceful stop and restart keep the topics.
	k.Stop()
	if k.Running() {
		t.Fatal("broker still running after Stop")
	}
	k.Restart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kafka.EnsureTopic(ctx, slog.Default(), k.Brokers(), kafka.TopicSpec{Name: "versions-" + kafka.Version.String(), Partitions: 1}); err != nil {
		t.Fatalf("after graceful restart: %v", err)
	}
	t.Logf("MEASURED restart after graceful stop: %v", k.LastStartDuration().Round(time.Millisecond))
}

func ensureTopicVersion(ctx context.Context, brokers []string, topic string, v sarama.KafkaVersion) error {
	cfg := sarama.NewConfig()
	cfg.Version = v
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		return err
	}
	// Leaders, via the shared helper (which uses the default version).
	_, err = kafka.EnsureTopic(ctx, slog.Default(), brokers, kafka.TopicSpec{Name: topic, Partitions: 1})
	return err
}

// produceKeyed sends count messages "from..from+count-1" with one key and waits for every ack.
// It returns the partition they went to.
func produceKeyed(t *testing.T, p sarama.AsyncProducer, topic, key string, from, count int) (int32, time.Duration) {
	t.Helper()
	began := time.Now()
	go func() {
		for i := from; i < from+count; i++ {
			p.Input() <- &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(strconv.Itoa(i))}
		}
	}()
	partition := int32(-1)
	lastOffset := int64(-1)
	timeout := time.After(60 * time.Second)
	for got := 0; got < count; got++ {
		select {
		case m := <-p.Successes():
			if partition == -1 {
				partition = m.Partition
			}
			if m.Partition != partition {
				t.Fatalf("message %v went to partition %d, earlier ones to %d", m.Value, m.Partition, partition)
			}
			if m.Offset <= lastOffset {
				t.Fatalf("ack offsets not increasing: %d after %d", m.Offset, lastOffset)
			}
			lastOffset = m.Offset
		case err := <-p.Errors():
			t.Fatalf("produce failed after retries: %v", err)
		case <-timeout:
			t.Fatalf("only %d of %d acks within 60s", got, count)
		}
	}
	return partition, time.Since(began)
}

// expectInOrder reads count messages with values from..from+count-1, in order, on partition.
func expectInOrder(t *testing.T, in <-chan *sarama.ConsumerMessage, from, count int, partition int32) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for want := from; want < from+count; want++ {
		select {
		case m := <-in:
			if m.Partition != partition || string(m.Value) != strconv.Itoa(want) {
				t.Fatalf("got %q on partition %d at offset %d, want %d on partition %d", m.Value, m.Partition, m.Offset, want, partition)
			}
		case <-timeout:
			t.Fatalf("consumed only up to %d of %d..%d within 60s", want, from, from+count-1)
		}
	}
}

// collectHandler forwards every message and commits its offset synchronously (the totals
// service commits after its durable flush; here after each batch).
type collectHandler struct {
	out chan<- *sarama.ConsumerMessage
}

func (collectHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (collectHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *collectHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-c.Messages():
			if !ok {
				return nil
			}
			h.out <- m
			s.MarkMessage(m, "")
			if len(c.Messages()) == 0 {
				s.Commit()
			}
		case <-s.Context().Done():
			s.Commit()
			return nil
		}
	}
}
