package ctl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
)

// topicReader reads partitions of the topic with plain partition consumers (read_committed), not
// a consumer group: an audit never joins, rebalances or commits for the services' groups.
type topicReader struct {
	client   sarama.Client
	consumer sarama.Consumer
	topic    string
	// idle ends a read that gets no record for this long before its end offset: the offsets
	// left are transaction markers or aborted records, which read_committed never delivers.
	idle time.Duration
}

func openTopic(brokers []string, topic string) (*topicReader, error) {
	conf := kafka.ConsumerConfig("distsumctl-audit")
	conf.Metadata.Retry.Max = 2
	client, err := sarama.NewClient(brokers, conf)
	if err != nil {
		return nil, fmt.Errorf("kafka %v: %w", brokers, err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &topicReader{client: client, consumer: consumer, topic: topic, idle: 5 * time.Second}, nil
}

func (r *topicReader) Close() {
	_ = r.consumer.Close()
	_ = r.client.Close()
}

func (r *topicReader) partitions() ([]int32, error) {
	ps, err := r.client.Partitions(r.topic)
	if err != nil {
		return nil, fmt.Errorf("topic %q: %w", r.topic, err)
	}
	return ps, nil
}

// bounds returns the oldest offset of p and its end: the offset after the last record a
// read_committed consumer may read (the last stable offset).
func (r *topicReader) bounds(p int32) (oldest, end int64, err error) {
	if oldest, err = r.client.GetOffset(r.topic, p, sarama.OffsetOldest); err != nil {
		return 0, 0, fmt.Errorf("partition %d: oldest offset: %w", p, err)
	}
	broker, err := r.client.Leader(r.topic, p)
	if err != nil {
		return 0, 0, fmt.Errorf("partition %d: leader: %w", p, err)
	}
	req := sarama.NewOffsetRequest(kafka.Version)
	req.IsolationLevel = sarama.ReadCommitted
	req.AddBlock(r.topic, p, sarama.OffsetNewest, 1)
	resp, err := broker.GetAvailableOffsets(req)
	if err != nil {
		return 0, 0, fmt.Errorf("partition %d: end offset: %w", p, err)
	}
	b := resp.GetBlock(r.topic, p)
	switch {
	case b == nil:
		return 0, 0, fmt.Errorf("partition %d: end offset: %w", p, sarama.ErrIncompleteResponse)
	case !errors.Is(b.Err, sarama.ErrNoError):
		return 0, 0, fmt.Errorf("partition %d: end offset: %w", p, b.Err)
	case req.Version == 0 && len(b.Offsets) > 0:
		end = b.Offsets[0]
	default:
		end = b.Offset
	}
	return oldest, end, nil
}

// read feeds each record of p from offset from to offset to (exclusive) to add, in order. It
// reports whether it stopped early (nothing more delivered before to within r.idle).
func (r *topicReader) read(ctx context.Context, p int32, from, to int64, add func(offset int64, value []byte)) (early bool, err error) {
	if from >= to {
		return false, nil
	}
	pc, err := r.consumer.ConsumePartition(r.topic, p, from)
	if err != nil {
		return false, fmt.Errorf("partition %d from offset %d: %w", p, from, err)
	}
	defer pc.AsyncClose()
	idle := time.NewTimer(r.idle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("partition %d: %w", p, ctx.Err())
		case err := <-pc.Errors():
			return false, fmt.Errorf("partition %d: %w", p, err)
		case <-idle.C:
			return true, nil
		case m, ok := <-pc.Messages():
			if !ok {
				return false, fmt.Errorf("partition %d: consumer closed", p)
			}
			if m.Offset >= to {
				return false, nil
			}
			add(m.Offset, m.Value)
			if m.Offset >= to-1 {
				return false, nil
			}
			idle.Reset(r.idle)
		}
	}
}
