package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/tests/testkit"
)

// startShortRetention starts a broker that enforces retention every second
// and creates the sum topic keeping records for about 2 s.
func startShortRetention(t *testing.T) *testkit.Kafka {
	t.Helper()
	k := testkit.StartKafka(t, testkit.WithKafkaProperty("log.retention.check.interval.ms", "1000"))
	admin, err := sarama.NewClusterAdmin(k.Brokers(), kafka.ConsumerConfig("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	str := func(s string) *string { return &s }
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1, ConfigEntries: map[string]*string{
		"retention.ms": str("2000"), "segment.ms": str("1000"), "min.insync.replicas": str("1"),
	}}, false); err != nil {
		t.Fatal(err)
	}
	return k
}

// waitDeleted waits until retention has deleted records of every partition
// that had some: its oldest offset is above 0.
func waitDeleted(t *testing.T, k *testkit.Kafka) map[int32]int64 {
	t.Helper()
	client, err := sarama.NewClient(k.Brokers(), kafka.ConsumerConfig("test-offsets"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	oldest := map[int32]int64{}
	eventually(t, "retention deletes the records", 90*time.Second, func() string {
		for p := range int32(3) {
			newest, err1 := client.GetOffset(topic, p, sarama.OffsetNewest)
			o, err2 := client.GetOffset(topic, p, sarama.OffsetOldest)
			if err1 != nil || err2 != nil {
				return fmt.Sprint(err1, err2)
			}
			if newest > 0 && o == 0 {
				return fmt.Sprintf("partition %d: oldest offset 0 of %d", p, newest)
			}
			oldest[p] = o
		}
		return ""
	})
	return oldest
}

// TestNewReplicaRebuildsFromACheckpointAfterRetention: the records the total
// was built from are deleted by retention; a new replica (no state) restores
// the checkpoint another replica published and serves the exact total. With
// checkpoints off, a new replica cannot, and must not look ready.
func TestNewReplicaRebuildsFromACheckpointAfterRetention(t *testing.T) {
	k := startShortRetention(t)
	const every = "TOTALS_CHECKPOINT_INTERVAL=300ms"
	a := testkit.StartTotals(t, k.Bootstrap(), every)
	calc := testkit.StartCalculator(t, k.Bootstrap())
	tokens, want := addN(t, calc.Client(t), 60, 0)
	a.WaitCounted(t, tokens[len(tokens)-1], 60*time.Second)
	counted := time.Now()
	eventually(t, "a checkpoint after the last Add was counted", 30*time.Second, func() string {
		age := metric(t, a.OpsURL, "totals_checkpoint_age_seconds")
		if n := metric(t, a.OpsURL, "totals_checkpoints_published_total"); n < 1 || age <= 0 || age >= time.Since(counted).Seconds() {
			return fmt.Sprintf("published %v, age %v", n, age)
		}
		return ""
	})
	oldest := waitDeleted(t, k)
	t.Logf("retention deleted records: oldest offsets %v", oldest)

	b := testkit.StartTotals(t, k.Bootstrap(), every)
	eventually(t, "the new replica serves the exact total", 60*time.Second, func() string {
		code, body := get(t, b.URL+"/total")
		if code != http.StatusOK || strings.TrimSpace(body) != want.String() {
			return fmt.Sprintf("GET /total %d %s (want %s)", code, body, want)
		}
		if code, body := get(t, b.URL+"/readyz"); code != http.StatusOK {
			return fmt.Sprintf("readyz %d %s", code, body)
		}
		return ""
	})
	logText, _ := os.ReadFile(b.LogPath())
	if !strings.Contains(string(logText), "state restored from a checkpoint") {
		t.Fatalf("the new replica did not log its restore")
	}
	if _, err := os.Stat(filepath.Join(b.DataDir, "state")); err != nil {
		t.Fatalf("the restored state was not saved: %v", err)
	}

	// A corrupt state file stops the service; the operator's explicit
	// restore moves it aside and starts from the newest checkpoint.
	b.Stop()
	if err := os.WriteFile(filepath.Join(b.DataDir, "state"), []byte("distsum-filestore v1 kind=totals-state length=3 sha256=00\nbad"), 0o644); err != nil {
		t.Fatal(err)
	}
	bins := testkit.ServiceBinaries(t)
	cmd := exec.Command(bins.Totals)
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+k.Bootstrap(), "TOTALS_DATA_DIR="+b.DataDir, fmt.Sprintf("TOTALS_HTTP_ADDR=127.0.0.1:%d", testkit.FreePort(t)), "TOTALS_OPS_ADDR=127.0.0.1:0")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "refusing to start") {
		t.Fatalf("a corrupt state file did not stop the service: %v\n%s", err, out)
	}
	r := testkit.StartTotals(t, k.Bootstrap(), "TOTALS_DATA_DIR="+b.DataDir, "TOTALS_RESTORE_FROM_CHECKPOINT=true", every)
	eventually(t, "the explicit restore serves the exact total", 60*time.Second, func() string {
		if code, body := get(t, r.URL+"/total"); code != http.StatusOK || strings.TrimSpace(body) != want.String() {
			return fmt.Sprintf("GET /total %d %s (want %s)", code, body, want)
		}
		return ""
	})
	if aside, _ := filepath.Glob(filepath.Join(b.DataDir, "state.corrupt-*")); len(aside) != 1 {
		t.Fatalf("the corrupt file was not moved aside: %v", aside)
	}
	r.Stop()

	// Negative control: without checkpoints a new replica starts empty and
	// can read only what retention left.
	c := testkit.StartTotals(t, k.Bootstrap(), "TOTALS_CHECKPOINT_INTERVAL=0")
	eventually(t, "the replica without checkpoints reports the loss", 60*time.Second, func() string {
		code, body := get(t, c.URL+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"log"`) || !strings.Contains(body, "deleted before they were read") {
			return fmt.Sprintf("readyz %d %s", code, body)
		}
		if v := metric(t, c.OpsURL, "totals_records_deleted_unread_total"); v <= 0 {
			return fmt.Sprintf("totals_records_deleted_unread_total %v", v)
		}
		return ""
	})
	if got := c.Total(t); got.Cmp(want) == 0 {
		t.Fatalf("without checkpoints the new replica has the exact total %s: the records were not deleted", got)
	}
	_, body := get(t, c.URL+"/readyz")
	t.Logf("without checkpoints: total %s (want %s), readyz %s", c.Total(t), want, strings.TrimSpace(body))
}
