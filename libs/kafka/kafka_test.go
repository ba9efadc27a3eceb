package kafka

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestProducerConfig(t *testing.T) {
	c := ProducerConfig("calc-1")
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	switch {
	case c.ClientID != "calc-1":
		t.Errorf("ClientID = %q", c.ClientID)
	case !c.Producer.Idempotent:
		t.Error("not idempotent")
	case c.Producer.RequiredAcks != sarama.WaitForAll:
		t.Errorf("RequiredAcks = %v", c.Producer.RequiredAcks)
	case c.Net.MaxOpenRequests != 1:
		t.Errorf("MaxOpenRequests = %d", c.Net.MaxOpenRequests)
	case c.Producer.Retry.Max < 1:
		t.Errorf("Retry.Max = %d", c.Producer.Retry.Max)
	case !c.Producer.Return.Successes || !c.Producer.Return.Errors:
		t.Error("successes and errors must be returned")
	case c.Version != Version || !c.Version.IsAtLeast(sarama.V2_1_0_0):
		t.Errorf("Version = %v", c.Version)
	case c.Producer.Compression != sarama.CompressionNone:
		t.Errorf("Compression = %v", c.Producer.Compression)
	case c.Metadata.AllowAutoTopicCreation:
		t.Error("clients must not auto-create topics")
	}
	// The hash partitioner keeps one key on one partition.
	p := c.Producer.Partitioner("t")
	a, _ := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder("producer-7")}, 3)
	for range 10 {
		if b, _ := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder("producer-7")}, 3); b != a {
			t.Fatalf("partition moved from %d to %d", a, b)
		}
	}
	// Backoff grows and is capped.
	var prev time.Duration
	for i := range c.Producer.Retry.Max {
		d := c.Producer.Retry.BackoffFunc(i, c.Producer.Retry.Max)
		if d < prev || d > time.Second || d <= 0 {
			t.Fatalf("backoff(%d) = %v after %v", i, d, prev)
		}
		prev = d
	}
}

func TestConsumerConfig(t *testing.T) {
	c := ConsumerConfig("totals-1")
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	switch {
	case c.Consumer.IsolationLevel != sarama.ReadCommitted:
		t.Error("not read_committed")
	case c.Consumer.Offsets.AutoCommit.Enable:
		t.Error("auto-commit on")
	case c.Consumer.Offsets.Initial != sarama.OffsetOldest:
		t.Error("initial offset not oldest")
	case c.Consumer.Group.Session.Timeout != 10*time.Second || c.Consumer.Group.Heartbeat.Interval != 3*time.Second:
		t.Errorf("session %v heartbeat %v", c.Consumer.Group.Session.Timeout, c.Consumer.Group.Heartbeat.Interval)
	case len(c.Consumer.Group.Rebalance.GroupStrategies) != 1 ||
		c.Consumer.Group.Rebalance.GroupStrategies[0].Name() != sarama.StickyBalanceStrategyName:
		t.Errorf("strategies %v", c.Consumer.Group.Rebalance.GroupStrategies)
	case c.Version != Version:
		t.Errorf("Version = %v", c.Version)
	}
}

// mockCluster is a one-broker sarama mock that knows topic with n partitions led by itself.
func mockCluster(t *testing.T, addr, topic string, n int32, create sarama.MockResponse) *sarama.MockBroker {
	t.Helper()
	return mockBrokers(t, addr, 1, topic, n, create, topicConfigs(topic, "1", "false"))[0]
}

// mockBrokers is a cluster of size sarama mocks (the first at addr, if given) that all answer
// alike: topic has n partitions led by the first broker, replicated on every broker, and the
// topic configuration describe returns.
func mockBrokers(t *testing.T, addr string, size int, topic string, n int32, create, describe sarama.MockResponse) []*sarama.MockBroker {
	t.Helper()
	bs := make([]*sarama.MockBroker, size)
	for i := range bs {
		if i == 0 && addr != "" {
			bs[i] = sarama.NewMockBrokerAddr(t, 1, addr)
		} else {
			bs[i] = sarama.NewMockBroker(t, int32(i+1))
		}
	}
	md := sarama.NewMockMetadataResponse(t).SetController(bs[0].BrokerID())
	for _, b := range bs {
		md.SetBroker(b.Addr(), b.BrokerID())
	}
	for p := range n {
		md.SetLeader(topic, p, bs[0].BrokerID())
	}
	for _, b := range bs {
		b.SetHandlerByMap(map[string]sarama.MockResponse{
			"MetadataRequest":        md,
			"CreateTopicsRequest":    create,
			"DescribeConfigsRequest": describe,
			"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t).SetApiKeys([]sarama.ApiVersionsResponseKey{
				{ApiKey: 3, MinVersion: 0, MaxVersion: 12}, // Metadata
				{ApiKey: 18, MinVersion: 0, MaxVersion: 3}, // ApiVersions
				{ApiKey: 19, MinVersion: 0, MaxVersion: 7}, // CreateTopics
				{ApiKey: 32, MinVersion: 0, MaxVersion: 4}, // DescribeConfigs
				{ApiKey: 60, MinVersion: 0, MaxVersion: 1}, // DescribeCluster
			}),
		})
		t.Cleanup(b.Close)
	}
	return bs
}

// topicConfigs answers DescribeConfigs (v4, what sarama sends for Version >= 2.8) for topic.
func topicConfigs(topic, minISR, unclean string) sarama.MockResponse {
	return sarama.NewMockWrapper(&sarama.DescribeConfigsResponse{
		Version: 4,
		Resources: []*sarama.ResourceResponse{{
			Name: topic, Type: sarama.TopicResource,
			Configs: []*sarama.ConfigEntry{
				{Name: "min.insync.replicas", Value: minISR},
				{Name: "unclean.leader.election.enable", Value: unclean},
			},
		}},
	})
}

// createResponse answers CreateTopics (v7, what sarama sends for Version >= 2.8) with err.
// sarama's own MockCreateTopicsResponse cannot encode versions >= 5.
func createResponse(topic string, err sarama.KError) sarama.MockResponse {
	return sarama.NewMockWrapper(&sarama.CreateTopicsResponse{
		Version:      7,
		TopicErrors:  map[string]*sarama.TopicError{topic: {Err: err}},
		TopicResults: map[string]*sarama.CreatableTopicResult{topic: {NumPartitions: 3, ReplicationFactor: 1}},
	})
}

func requests(b *sarama.MockBroker, kind string) int {
	n := 0
	for _, r := range b.History() {
		if reflect.TypeOf(r.Request).Elem().Name() == kind {
			n++
		}
	}
	return n
}

func TestEnsureTopicCreates(t *testing.T) {
	b := mockCluster(t, "", "sums", 3, createResponse("sums", sarama.ErrNoError))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := EnsureTopic(ctx, quiet, []string{b.Addr()}, TopicSpec{Name: "sums", Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	if n := requests(b, "CreateTopicsRequest"); n != 1 {
		t.Fatalf("%d CreateTopics requests, want 1", n)
	}
	for _, r := range b.History() {
		if req, ok := r.Request.(*sarama.CreateTopicsRequest); ok {
			d := req.TopicDetails["sums"]
			if d == nil || d.NumPartitions != 3 || d.ReplicationFactor != 1 {
				t.Fatalf("CreateTopics detail %+v", d)
			}
		}
	}
}

func TestEnsureTopicAlreadyExists(t *testing.T) {
	b := mockCluster(t, "", "sums", 3, createResponse("sums", sarama.ErrTopicAlreadyExists))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := EnsureTopic(ctx, quiet, []string{b.Addr()}, TopicSpec{Name: "sums", Partitions: 3}); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureTopicFatalError(t *testing.T) {
	b := mockCluster(t, "", "sums", 3, createResponse("sums", sarama.ErrInvalidReplicationFactor))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := EnsureTopic(ctx, quiet, []string{b.Addr()}, TopicSpec{Name: "sums", Partitions: 3, ReplicationFactor: 3})
	if !errors.Is(err, sarama.ErrInvalidReplicationFactor) {
		t.Fatalf("err = %v, want ErrInvalidReplicationFactor", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("a fatal error was retried for %v", time.Since(start))
	}
}

func TestEnsureTopicWaitsForBroker(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := EnsureTopic(ctx, quiet, []string{addr}, TopicSpec{Name: "sums", Partitions: 3})
		done <- err
	}()

	time.Sleep(700 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("EnsureTopic returned before the broker existed: %v", err)
	default:
	}
	mockCluster(t, addr, "sums", 3, createResponse("sums", sarama.ErrNoError))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestEnsureTopicContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := EnsureTopic(ctx, quiet, []string{freeAddr(t)}, TopicSpec{Name: "sums", Partitions: 3})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestPing(t *testing.T) {
	b := mockCluster(t, "", "sums", 1, createResponse("sums", sarama.ErrNoError))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The first address is dead: Ping goes on to the next.
	if err := Ping(ctx, []string{freeAddr(t), b.Addr()}); err != nil {
		t.Fatal(err)
	}
	if n := requests(b, "MetadataRequest"); n != 1 {
		t.Fatalf("%d metadata requests, want 1", n)
	}
}

func TestPingUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := Ping(ctx, []string{freeAddr(t)}); err == nil {
		t.Fatal("Ping of a closed port succeeded")
	}
	if err := Ping(ctx, nil); err == nil {
		t.Fatal("Ping with no brokers succeeded")
	}
}

func TestPingHangingBrokerHonoursContext(t *testing.T) {
	// A listener that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := Ping(ctx, []string{ln.Addr().String()}); err == nil {
		t.Fatal("Ping of a silent broker succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Ping took %v with a 500ms context", d)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// createDetail returns the CreateTopics detail b received for topic.
func createDetail(t *testing.T, b *sarama.MockBroker, topic string) *sarama.TopicDetail {
	t.Helper()
	for _, r := range b.History() {
		if req, ok := r.Request.(*sarama.CreateTopicsRequest); ok {
			return req.TopicDetails[topic]
		}
	}
	t.Fatal("no CreateTopics request")
	return nil
}

// On a 3-broker cluster a new topic gets replication factor 3, min ISR 2,
// unclean leader election off and, by default, no retention limit; on one
// broker, replication factor 1 and min ISR 1.
func TestEnsureTopicReplicatesOnACluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		brokers     int
		spec        TopicSpec
		rf          int16
		minISR, ret string
	}{
		{3, TopicSpec{Name: "sums", Partitions: 3}, 3, "2", "-1"},
		{1, TopicSpec{Name: "sums", Partitions: 3}, 1, "1", "-1"},
		{5, TopicSpec{Name: "sums", Partitions: 3, Retention: 7 * 24 * time.Hour}, 3, "2", "604800000"},
		{3, TopicSpec{Name: "sums", Partitions: 3, ReplicationFactor: 2, MinInsyncReplicas: 2}, 2, "2", "-1"},
	} {
		bs := mockBrokers(t, "", c.brokers, "sums", 3, createResponse("sums", sarama.ErrNoError), topicConfigs("sums", c.minISR, "false"))
		topic, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, c.spec)
		if err != nil {
			t.Fatalf("%d brokers: %v", c.brokers, err)
		}
		d := createDetail(t, bs[0], "sums")
		if d.ReplicationFactor != c.rf || *d.ConfigEntries["min.insync.replicas"] != c.minISR ||
			*d.ConfigEntries["unclean.leader.election.enable"] != "false" || *d.ConfigEntries["retention.ms"] != c.ret {
			t.Fatalf("%d brokers, %+v: created with RF %d and %v", c.brokers, c.spec, d.ReplicationFactor, d.ConfigEntries)
		}
		if !topic.Created || topic.Brokers != c.brokers || topic.Unsafe != "" {
			t.Fatalf("%d brokers: topic %+v", c.brokers, topic)
		}
	}
}

// An existing topic that cannot keep an acknowledged event through the loss
// of one broker is refused on a 3-broker cluster, with the topic and the
// setting to fix named; the explicit override accepts it and says so. The
// same settings on a one-broker cluster, where nothing better is possible,
// and a sound topic on the cluster, are accepted.
func TestEnsureTopicRefusesATopicThatCannotSurviveABrokerLoss(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exists := createResponse("sums", sarama.ErrTopicAlreadyExists)
	spec := TopicSpec{Name: "sums", Partitions: 3}

	bs := mockBrokers(t, "", 3, "sums", 3, exists, topicConfigs("sums", "1", "false"))
	_, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, spec)
	if !errors.Is(err, ErrUnsafeTopic) || !strings.Contains(err.Error(), `"sums"`) || !strings.Contains(err.Error(), "min.insync.replicas=1") {
		t.Fatalf("min ISR 1 on 3 brokers: %v", err)
	}
	bs = mockBrokers(t, "", 3, "sums", 3, exists, topicConfigs("sums", "2", "true"))
	if _, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, spec); !errors.Is(err, ErrUnsafeTopic) || !strings.Contains(err.Error(), "unclean.leader.election.enable") {
		t.Fatalf("unclean election on 3 brokers: %v", err)
	}

	allowed := spec
	allowed.AllowUnsafe = true
	bs = mockBrokers(t, "", 3, "sums", 3, exists, topicConfigs("sums", "1", "false"))
	topic, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, allowed)
	if err != nil || topic.Unsafe == "" || topic.MinInsyncReplicas != 1 {
		t.Fatalf("accepted by the override: %+v %v", topic, err)
	}
	reg := prometheus.NewRegistry()
	NewTopicMetrics(reg).Observe(topic)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP kafka_topic_unsafe 1 when the topic cannot keep an acknowledged event through the loss of one broker and was accepted by KAFKA_TOPIC_ALLOW_UNSAFE.
# TYPE kafka_topic_unsafe gauge
kafka_topic_unsafe{topic="sums"} 1
`), "kafka_topic_unsafe"); err != nil {
		t.Fatal(err)
	}

	bs = mockBrokers(t, "", 1, "sums", 3, exists, topicConfigs("sums", "1", "false"))
	if topic, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, spec); err != nil || topic.Unsafe != "" {
		t.Fatalf("one broker: %+v %v", topic, err)
	}
	bs = mockBrokers(t, "", 3, "sums", 3, exists, topicConfigs("sums", "2", "false"))
	if topic, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, spec); err != nil || topic.ReplicationFactor != 3 || topic.Created {
		t.Fatalf("RF 3, min ISR 2 on 3 brokers: %+v %v", topic, err)
	}
}

// A replication factor below 2 is named as the reason on a cluster.
func TestJudgeNamesTheReplicationFactor(t *testing.T) {
	top := Topic{Name: "sums", Brokers: 3, ReplicationFactor: 1, MinInsyncReplicas: 1}
	top.judge()
	if !strings.Contains(top.Unsafe, "replication factor 1") {
		t.Fatalf("unsafe = %q", top.Unsafe)
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := Settings{Brokers: []string{"a:1"}, Topic: "t", Partitions: 3}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := ok
	bad.ReplicationFactor, bad.MinInsyncReplicas = 2, 3
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "above its replication factor") {
		t.Fatalf("min ISR above RF: %v", err)
	}
}

// Settings that would create a topic the check refuses are refused before
// the topic is made, and nothing is created.
func TestEnsureTopicRefusesToCreateAnUnsafeTopic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bs := mockBrokers(t, "", 3, "sums", 0, createResponse("sums", sarama.ErrNoError), topicConfigs("sums", "1", "false"))
	_, err := EnsureTopic(ctx, quiet, []string{bs[0].Addr()}, TopicSpec{Name: "sums", Partitions: 3, MinInsyncReplicas: 1})
	if !errors.Is(err, ErrUnsafeTopic) || !strings.Contains(err.Error(), "creating") {
		t.Fatalf("min ISR 1 asked for on 3 brokers: %v", err)
	}
	for _, b := range bs {
		if n := requests(b, "CreateTopicsRequest"); n != 0 {
			t.Fatalf("%d CreateTopics requests, want none", n)
		}
	}
}

// SetUpTopic returns what retrying cannot fix, for the service to stop on,
// and records the topic it found.
func TestSetUpTopicStopsOnAnErrorRetryingCannotFix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := mockCluster(t, "", "sums", 3, createResponse("sums", sarama.ErrInvalidReplicationFactor))
	k := Settings{Brokers: []string{b.Addr()}, Topic: "sums", Partitions: 3, ReplicationFactor: 3}
	if err := k.SetUpTopic(ctx, quiet, NewTopicMetrics(prometheus.NewRegistry())); !errors.Is(err, sarama.ErrInvalidReplicationFactor) {
		t.Fatalf("invalid replication factor: %v", err)
	}
	b = mockCluster(t, "", "sums", 3, createResponse("sums", sarama.ErrNoError))
	k.Brokers, k.ReplicationFactor = []string{b.Addr()}, 0
	if err := k.SetUpTopic(ctx, quiet, NewTopicMetrics(prometheus.NewRegistry())); err != nil {
		t.Fatalf("a sound topic: %v", err)
	}
}
