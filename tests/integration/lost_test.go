package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
)

// TestRecordsDeletedBeforeTheyWereReadAreReported: while totals is stopped,
// records it has not read are deleted (DeleteRecords, as retention would).
// They cannot be counted, but the replica must say so: not ready, naming the
// producer and the missing sequences, with the metrics above 0.
func TestRecordsDeletedBeforeTheyWereReadAreReported(t *testing.T) {
	k, calc, totals := startSystem(t)
	client := calc.Client(t)
	first, want := addN(t, client, 30, 0)
	totals.WaitCounted(t, first[len(first)-1], 60*time.Second)
	producer, _, _ := strings.Cut(first[0], ":")
	totals.Stop()

	second, _ := addN(t, client, 30, 100)
	kc, err := sarama.NewClient(k.Brokers(), kafka.ConsumerConfig("test-offsets"))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	// One calculator: all its events are on one partition, 60 records.
	var partition int32 = -1
	eventually(t, "the relay publishes the second batch", 30*time.Second, func() string {
		for p := range int32(3) {
			if n, err := kc.GetOffset(topic, p, sarama.OffsetNewest); err == nil && n == 60 {
				partition = p
				return ""
			}
		}
		return "not 60 records on one partition"
	})
	admin, err := sarama.NewClusterAdminFromClient(kc)
	if err != nil {
		t.Fatal(err)
	}
	// Offsets 30..39 (sequences 31..40) go before totals reads them.
	if err := admin.DeleteRecords(topic, map[int32]int64{partition: 40}); err != nil {
		t.Fatal(err)
	}

	totals.Restart(t)
	eventually(t, "the replica reports the lost events", 60*time.Second, func() string {
		code, body := get(t, totals.URL+"/readyz")
		wantDetail := fmt.Sprintf("producer %s: sequences 31..40 missing", producer)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"log"`) || !strings.Contains(body, wantDetail) {
			return fmt.Sprintf("readyz %d %s", code, body)
		}
		if v := metric(t, totals.OpsURL, "totals_missing_events"); v != 10 {
			return fmt.Sprintf("totals_missing_events %v", v)
		}
		if v := metric(t, totals.OpsURL, "totals_records_deleted_unread_total"); v != 10 {
			return fmt.Sprintf("totals_records_deleted_unread_total %v", v)
		}
		return ""
	})
	_, body := get(t, totals.URL+"/readyz")
	t.Logf("readyz: %s", strings.TrimSpace(body))
	// Nothing behind the gap was counted: the total is the first batch's.
	if got := totals.Total(t); got.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s (the first batch; the second waits behind the gap)", got, want)
	}
	_ = second
}
