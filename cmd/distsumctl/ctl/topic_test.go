package ctl

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// The reader against sarama's mock broker: the bounds of a partition, then its records from a
// start offset up to the end, and an early stop when the rest are never delivered.
func TestTopicReaderReadsUpToTheEnd(t *testing.T) {
	b := sarama.NewMockBroker(t, 1)
	defer b.Close()
	fetch := sarama.NewMockFetchResponse(t, 10)
	for off := int64(3); off < 7; off++ {
		fetch.SetMessage("sums", 0, off, sarama.ByteEncoder(ev(t, "a", uint64(off-2))))
	}
	fetch.SetHighWaterMark("sums", 0, 9)
	b.SetHandlerByMap(map[string]sarama.MockResponse{
		"MetadataRequest": sarama.NewMockMetadataResponse(t).SetBroker(b.Addr(), b.BrokerID()).SetLeader("sums", 0, b.BrokerID()),
		"OffsetRequest": sarama.NewMockOffsetResponse(t).
			SetOffset("sums", 0, sarama.OffsetOldest, 3).SetOffset("sums", 0, sarama.OffsetNewest, 9),
		"FetchRequest": fetch,
		"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t).SetApiKeys([]sarama.ApiVersionsResponseKey{
			{ApiKey: 1, MinVersion: 0, MaxVersion: 17},   // Fetch
			{ApiKey: 2, MinVersion: 0, MaxVersion: 10},   // ListOffsets
			{ApiKey: 3, MinVersion: 0, MaxVersion: 13},   // Metadata
			{ApiKey: 18, MinVersion: 0, MaxVersion: 4}}), // ApiVersions
	})
	tr, err := openTopic([]string{b.Addr()}, "sums")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.idle = 500 * time.Millisecond
	if ps, err := tr.partitions(); err != nil || len(ps) != 1 {
		t.Fatalf("partitions %v %v", ps, err)
	}
	oldest, end, err := tr.bounds(0)
	if err != nil || oldest != 3 || end != 9 {
		t.Fatalf("bounds %d %d %v", oldest, end, err)
	}
	l := NewLog()
	l.Begin(0, oldest, true)
	// Offsets 7 and 8 are never delivered (as transaction markers are not): the read stops early.
	early, err := tr.read(context.Background(), 0, oldest, end, func(o int64, v []byte) { l.Add(0, o, v) })
	if err != nil || !early || l.Next(0) != 7 {
		t.Fatalf("read: early %v next %d err %v", early, l.Next(0), err)
	}
	res := l.Recompute(nil, Base{})
	if res.Records != 4 || res.Producer("a").HWM != 4 || res.Total.Cmp(sumOf(1, 2, 3, 4)) != 0 {
		t.Fatalf("result %+v", res)
	}
	// Up to an offset below the end: no early stop.
	l = NewLog()
	l.Begin(0, 4, false)
	if early, err := tr.read(context.Background(), 0, 4, 6, func(o int64, v []byte) { l.Add(0, o, v) }); err != nil || early || l.Next(0) != 6 {
		t.Fatalf("bounded read: early %v next %d err %v", early, l.Next(0), err)
	}
}
