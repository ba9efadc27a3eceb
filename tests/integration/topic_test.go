package integration

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
)

// TestRecreatedTopicIsReadAgain: the sum topic is deleted and created again
// under the running system. Totals must notice (another topic id) and read
// the new topic from its first record instead of skipping it as covered by
// the old offsets; the events published before stay counted (they are in the
// state), so the total is the sum over every acknowledged Add.
func TestRecreatedTopicIsReadAgain(t *testing.T) {
	k, calc, totals := startSystem(t)
	client := calc.Client(t)
	first, want := addN(t, client, 40, 0)
	totals.WaitCounted(t, first[len(first)-1], 60*time.Second)

	admin, err := sarama.NewClusterAdmin(k.Brokers(), kafka.ConsumerConfig("test-admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.DeleteTopic(topic); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the topic is created again", 60*time.Second, func() string {
		err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			return err.Error()
		}
		if err != nil {
			return "the old topic is still being deleted"
		}
		return ""
	})

	second, sum := addN(t, client, 40, 1000)
	want.Add(want, sum)
	totals.WaitCounted(t, second[len(second)-1], 90*time.Second)
	if got := totals.Total(t); got.Cmp(want) != 0 {
		t.Fatalf("total %s after the topic was recreated, want %s", got, want)
	}
	eventually(t, "ready again", 60*time.Second, func() string {
		if code, body := get(t, totals.URL+"/readyz"); code != http.StatusOK {
			return fmt.Sprintf("readyz %d %s", code, body)
		}
		if v := metric(t, totals.OpsURL, "totals_topic_rereading"); v != 0 {
			return fmt.Sprintf("totals_topic_rereading %v", v)
		}
		return ""
	})
	logText, _ := os.ReadFile(totals.LogPath())
	if !strings.Contains(string(logText), "reading it again from the oldest record") {
		t.Fatal("the re-read of the changed topic was not logged")
	}
	// Give a double count every chance to show.
	time.Sleep(time.Second)
	if got := totals.Total(t); got.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s", got, want)
	}
}
