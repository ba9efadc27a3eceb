package ledger

import (
	"fmt"
	"testing"

	"github.com/distsum/distsum/libs/sumevent"
)

// BenchmarkApply applies events in sequence from 1 or 16 producers (the
// common path), and with every other event arriving before the one it
// follows (each first one held, then released by the next).
func BenchmarkApply(b *testing.B) {
	for _, producers := range []int{1, 16} {
		b.Run(fmt.Sprintf("in-order/producers=%d", producers), func(b *testing.B) {
			l := New("t", true)
			ids := make([]string, producers)
			for i := range ids {
				ids[i] = fmt.Sprintf("calc-%02d", i)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				e := sumevent.Event{ProducerID: ids[i%producers], Sequence: uint64(i/producers) + 1, Sum: 3}
				if o, _ := l.Apply(int32(i%3), int64(i), e); o != Applied {
					b.Fatalf("event %d: outcome %v", i, o)
				}
			}
		})
	}
	b.Run("swapped-pairs", func(b *testing.B) {
		l := New("t", true)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			seq := uint64(i) + 1
			if i%2 == 0 {
				seq++ // 2, 1, 4, 3, ...
			} else {
				seq--
			}
			l.Apply(0, int64(i), sumevent.Event{ProducerID: "calc-1", Sequence: seq, Sum: 3})
		}
	})
}

// BenchmarkDecodeApply is the consumer's per-record work between Kafka and
// the state file: decode the record value and apply it.
func BenchmarkDecodeApply(b *testing.B) {
	l := New("t", true)
	raws := make([][]byte, 1024)
	for i := range raws {
		raw, err := sumevent.Encode(sumevent.Event{ProducerID: "calc-1", Sequence: uint64(i) + 1, Num1: 1, Num2: 2, Sum: 3})
		if err != nil {
			b.Fatal(err)
		}
		raws[i] = raw
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e, err := sumevent.Decode(raws[i%len(raws)])
		if err != nil {
			b.Fatal(err)
		}
		e.Sequence = uint64(i) + 1
		if o, _ := l.Apply(0, int64(i), e); o != Applied {
			b.Fatalf("event %d: outcome %v", i, o)
		}
	}
}
