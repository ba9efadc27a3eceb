package kafka

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/IBM/sarama"
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
	var b *sarama.MockBroker
	if addr == "" {
		b = sarama.NewMockBroker(t, 1)
	} else {
		b = sarama.NewMockBrokerAddr(t, 1, addr)
	}
	md := sarama.NewMockMetadataResponse(t).SetBroker(b.Addr(), b.BrokerID()).SetController(b.BrokerID())
	for p := range n {
		md.SetLeader(topic, p, b.BrokerID())
	}
	b.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest":     md,
		"CreateTopicsRequest": create,
		"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t).SetApiKeys([]sarama.ApiVersionsResponseKey{
			{ApiKey: 3, MinVersion: 0, MaxVersion: 12}, // Metadata
			{ApiKey: 18, MinVersion: 0, MaxVersion: 3}, // ApiVersions
			{ApiKey: 19, MinVersion: 0, MaxVersion: 7}, // CreateTopics
			{ApiKey: 60, MinVersion: 0, MaxVersion: 1}, // DescribeCluster
		}),
	})
	t.Cleanup(b.Close)
	return b
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
	if err := EnsureTopic(ctx, quiet, []string{b.Addr()}, "sums", 3, 1); err != nil {
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
	if err := EnsureTopic(ctx, quiet, []string{b.Addr()}, "sums", 3, 1); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureTopicFatalError(t *testing.T) {
	b := mockCluster(t, "", "sums", 3, createResponse("sums", sarama.ErrInvalidReplicationFactor))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := EnsureTopic(ctx, quiet, []string{b.Addr()}, "sums", 3, 3)
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
	go func() { done <- EnsureTopic(ctx, quiet, []string{addr}, "sums", 3, 1) }()

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
	err := EnsureTopic(ctx, quiet, []string{freeAddr(t)}, "sums", 3, 1)
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
