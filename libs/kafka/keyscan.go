package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// scanChunk is how many offsets LastOfKey reads per step backwards from the end.
var scanChunk int64 = 2000

// KeyPartition is the partition the relay's producer writes key to: the partitioner of
// ProducerConfig (sarama's hash partitioner) over the topic's partition count.
func KeyPartition(topic, key string, partitions int32) (int32, error) {
	p := ProducerConfig("distsum-partitioner").Producer.Partitioner(topic)
	return p.Partition(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key)}, partitions)
}

// LastOfKey reads the partition that key's records go to backwards from its end, a chunk at a
// time, until it has seen the newest `want` records whose key is key (or the partition's start),
// and returns the largest value that value gives among them (ok false when the partition holds
// no record of key). A record value cannot read is an error: the caller decides what the log
// holds, so an unreadable answer must not pass for "nothing". Reading more than the newest
// record matters when records of one key may be written out of order (a re-published batch of
// the idempotent producer lands after later records of the same key).
func LastOfKey(ctx context.Context, brokers []string, topic, key string, want int,
	value func(*sarama.ConsumerMessage) (uint64, error)) (top uint64, ok bool, err error) {
	client, err := sarama.NewClient(brokers, ConsumerConfig("distsum-keyscan"))
	if err != nil {
		return 0, false, err
	}
	defer client.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		return 0, false, fmt.Errorf("partitions of %q: %w", topic, err)
	}
	p, err := KeyPartition(topic, key, int32(len(parts)))
	if err != nil {
		return 0, false, err
	}
	oldest, err := client.GetOffset(topic, p, sarama.OffsetOldest)
	if err != nil {
		return 0, false, err
	}
	end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		return 0, false, err
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return 0, false, err
	}
	defer consumer.Close()
	seen := 0
	for end > oldest && seen < max(want, 1) {
		start := max(oldest, end-scanChunk)
		err := readRange(ctx, consumer, topic, p, start, end, func(m *sarama.ConsumerMessage) error {
			if string(m.Key) != key {
				return nil
			}
			v, err := value(m)
			if err != nil {
				return fmt.Errorf("%s/%d offset %d: %w", topic, p, m.Offset, err)
			}
			top, ok = max(top, v), true
			return nil
		}, &seen, key)
		if err != nil {
			return 0, false, err
		}
		end = start
	}
	return top, ok, nil
}

// readRange calls f for every record in [start, end) of the partition, counting in seen the
// records of key.
func readRange(ctx context.Context, c sarama.Consumer, topic string, p int32, start, end int64,
	f func(*sarama.ConsumerMessage) error, seen *int, key string) error {
	pc, err := c.ConsumePartition(topic, p, start)
	if err != nil {
		return err
	}
	defer pc.Close()
	// Every offset below the end read at the start exists (the topic has no transactions), so
	// the read ends on offset end-1; the timer only keeps a broken broker from hanging a start.
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	for {
		select {
		case m := <-pc.Messages():
			if m.Offset >= end {
				return nil
			}
			if string(m.Key) == key {
				*seen++
			}
			if err := f(m); err != nil {
				return err
			}
			if m.Offset == end-1 {
				return nil
			}
		case e := <-pc.Errors():
			return e
		case <-timer.C:
			return errors.New("kafka: reading the partition timed out")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
