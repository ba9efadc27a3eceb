package sumevent

import (
	"strconv"

	"github.com/IBM/sarama"
)

// The Kafka record of an event: keyed by producer id, so one calculator's
// events land on one partition in sequence order; the value is Encode(e);
// the headers repeat the identity for tools that read records without
// decoding them; the timestamp is when the Add was accepted.
const (
	HeaderProducer = "producer"
	HeaderSequence = "sequence"
)

// Message builds the Kafka record of an event for topic.
func Message(topic string, e Event) (*sarama.ProducerMessage, error) {
	value, err := Encode(e)
	if err != nil {
		return nil, err
	}
	return &sarama.ProducerMessage{
		Topic:     topic,
		Key:       sarama.StringEncoder(e.ProducerID),
		Value:     sarama.ByteEncoder(value),
		Timestamp: e.Accepted(),
		Headers: []sarama.RecordHeader{
			{Key: []byte(HeaderProducer), Value: []byte(e.ProducerID)},
			{Key: []byte(HeaderSequence), Value: []byte(strconv.FormatUint(e.Sequence, 10))},
		},
	}, nil
}
