package sumevent

import (
	"strconv"

	"github.com/IBM/sarama"
)

// The Kafka record of an event: keyed by producer id, so one calculator's
// events land on one partition in sequence order; the value is Encode(e);
// the headers repeat the identity for tools that read records without
// decoding them, and carry the Add's W3C trace context when it was traced;
// the timestamp is when the Add was accepted.
const (
	HeaderProducer    = "producer"
	HeaderSequence    = "sequence"
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// Message builds the Kafka record of an event for topic.
func Message(topic string, e Event) (*sarama.ProducerMessage, error) {
	value, err := Encode(e)
	if err != nil {
		return nil, err
	}
	headers := []sarama.RecordHeader{
		{Key: []byte(HeaderProducer), Value: []byte(e.ProducerID)},
		{Key: []byte(HeaderSequence), Value: []byte(strconv.FormatUint(e.Sequence, 10))},
	}
	if e.TraceParent != "" {
		headers = append(headers, sarama.RecordHeader{Key: []byte(HeaderTraceParent), Value: []byte(e.TraceParent)})
		if e.TraceState != "" {
			headers = append(headers, sarama.RecordHeader{Key: []byte(HeaderTraceState), Value: []byte(e.TraceState)})
		}
	}
	return &sarama.ProducerMessage{
		Topic:     topic,
		Key:       sarama.StringEncoder(e.ProducerID),
		Value:     sarama.ByteEncoder(value),
		Timestamp: e.Accepted(),
		Headers:   headers,
	}, nil
}

// TraceHeaders returns a record's W3C trace context headers (empty when the
// record has none: its Add was not traced, or an older calculator sent it).
func TraceHeaders(headers []*sarama.RecordHeader) (traceparent, tracestate string) {
	for _, h := range headers {
		if h == nil {
			continue
		}
		switch string(h.Key) {
		case HeaderTraceParent:
			traceparent = string(h.Value)
		case HeaderTraceState:
			tracestate = string(h.Value)
		}
	}
	return traceparent, tracestate
}
