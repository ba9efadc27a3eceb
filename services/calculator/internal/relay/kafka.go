package relay

import (
	"context"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/sumevent"
)

// KafkaPublisher publishes with sarama's idempotent producer (acks=all);
// the record's shape (key, headers) is sumevent.Message's.
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

// Publish sends the batch and waits for every acknowledgement.
func (p *KafkaPublisher) Publish(_ context.Context, events []sumevent.Event) error {
	msgs := make([]*sarama.ProducerMessage, len(events))
	for i, e := range events {
		m, err := sumevent.Message(p.topic, e)
		if err != nil {
			return err
		}
		msgs[i] = m
	}
	return p.producer.SendMessages(msgs)
}

// Close releases the producer.
func (p *KafkaPublisher) Close() error { return p.producer.Close() }
