package sumevent

import (
	"testing"
	"time"
)

var benchEvent = Event{ProducerID: "calc-8d2a57ac86a5", Sequence: 123456789, RequestID: "order-42",
	Num1: 5, Num2: 10, Sum: 15, AcceptedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()}

// BenchmarkEncode is the relay's per-event cost of building a record value.
func BenchmarkEncode(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Encode(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is the totals consumer's per-record cost before Apply
// (strict JSON: unknown fields rejected, then validation).
func BenchmarkDecode(b *testing.B) {
	raw, err := Encode(benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for i := 0; i < b.N; i++ {
		if _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessage builds the Kafka record (value, key, headers) for one event.
func BenchmarkMessage(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Message("calculator-sum-topic", benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}
