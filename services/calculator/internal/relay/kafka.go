package relay

import (
	"context"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/sumevent"
)

// KafkaPublisher publishes with sarama's idempotent producer (acks=all).
// Records are keyed by producer id, so one calculator's events land on one
// partition, in sequence order.
type KafkaPublisher struct {
	producer sarama.SyncProducer
	topic    string
}

// KafkaPublisherFactory returns a NewPublisher for the relay.
func KafkaPublisherFactory(brokers []string, topic, clientID string) NewPublisher {
	return func() (Publisher, error) {
		p, err := sarama.NewSyncProducer(brokers, kafka.ProducerConfig(clientID))
		if err != nil {
			return nil, fmt.Errorf("kafka producer: %w", err)
		}
		return &KafkaPublisher{producer: p, topic: topic}, nil
	}
}

// Message builds the Kafka record of an event.
func Message(topic string, e sumevent.Event) (*sarama.ProducerMessage, error) {
	value, err := sumevent.Encode(e)
	if err != nil {
		return nil, err
	}
	return &sarama.ProducerMessage{
		Topic:     topic,
		Key:       sarama.StringEncoder(e.ProducerID),
		Value:     sarama.ByteEncoder(value),
		Timestamp: e.Accepted(),
		Headers: []sarama.RecordHeader{
			{Key: []byte("producer"), Value: []byte(e.ProducerID)},
			{Key: []byte("sequence"), Value: []byte(strconv.FormatUint(e.Sequence, 10))},
		},
	}, nil
}

// Publish sends the batch and waits for every acknowledgement.
func (p *KafkaPublisher) Publish(_ context.Context, events []sumevent.Event) error {
	msgs := make([]*sarama.ProducerMessage, len(events))
	for i, e := range events {
		m, err := Message(p.topic, e)
		if err != nil {
			return err
		}
		msgs[i] = m
	}
	return p.producer.SendMessages(msgs)
}

// Close releases the producer.
func (p *KafkaPublisher) Close() error { return p.producer.Close() }
