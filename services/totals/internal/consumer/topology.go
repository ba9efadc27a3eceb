package consumer

import (
	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
)

// Topology answers what the consumer checks about the topic as a whole: how
// many partitions it has (does this replica read all of them?), its id (is
// it still the topic the state covers?) and where its partitions begin and
// end (were records deleted before they were read, or is a saved offset past
// the end of a newer topic?).
type Topology interface {
	Partitions(topic string) (int, error)
	TopicID(topic string) (string, error)
	// Bounds returns, per partition, the oldest offset and the high watermark.
	Bounds(topic string, partitions []int32) (oldest, newest map[int32]int64, err error)
}

// Partitions implements Topology from freshly refreshed metadata.
func (b *BrokerOffsets) Partitions(topic string) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.connect(); err != nil {
		return 0, err
	}
	if err := b.client.RefreshMetadata(topic); err != nil {
		return 0, err
	}
	ps, err := b.client.Partitions(topic)
	return len(ps), err
}

// TopicID implements Topology.
func (b *BrokerOffsets) TopicID(topic string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.connect(); err != nil {
		return "", err
	}
	return kafka.TopicID(b.client, topic)
}

// Bounds implements Topology.
func (b *BrokerOffsets) Bounds(topic string, partitions []int32) (oldest, newest map[int32]int64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err = b.connect(); err != nil {
		return nil, nil, err
	}
	oldest, newest = map[int32]int64{}, map[int32]int64{}
	for _, p := range partitions {
		if oldest[p], err = b.client.GetOffset(topic, p, sarama.OffsetOldest); err != nil {
			break
		}
		if newest[p], err = b.client.GetOffset(topic, p, sarama.OffsetNewest); err != nil {
			break
		}
	}
	if err != nil {
		_ = b.client.RefreshMetadata(topic)
		return nil, nil, err
	}
	return oldest, newest, nil
}
