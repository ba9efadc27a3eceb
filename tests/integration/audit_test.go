package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/cmd/distsumctl/ctl"
	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

// distsumctl runs the command-line client in-process (the code of the binary) and returns its
// exit status and output.
func distsumctl(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := ctl.Main(ctx, args, &out, &errOut)
	t.Logf("distsumctl %s -> exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String()
}

// TestAuditOfAHealthyAndADoubleCountingReplica drives Adds through the real services, re-publishes
// records of existing events straight to the topic, and checks that `distsumctl audit` passes
// two healthy replicas, fails one started with deduplication off (naming the producer), and
// goes on from its own checkpoint.
func TestAuditOfAHealthyAndADoubleCountingReplica(t *testing.T) {
	k := startKafka(t)
	brokers := k.Bootstrap()
	calc := testkit.StartCalculator(t, brokers)
	r1 := testkit.StartTotals(t, brokers)
	r2 := testkit.StartTotals(t, brokers, "TOTALS_GROUP_ID=replica-2")
	global := []string{"--kafka-brokers", brokers, "--kafka-topic", topic, "--calculator", calc.GRPCAddr, "--totals", r1.URL, "--totals-ops", r1.OpsURL}

	// The client's own commands against the real services.
	code, out := distsumctl(t, append(global, "add", "40", "2", "--request-id", "audit-first", "--json")...)
	var added struct {
		Sum      int64
		Token    string
		Replayed bool
	}
	if err := json.Unmarshal([]byte(out), &added); code != 0 || err != nil || added.Sum != 42 || added.Replayed {
		t.Fatalf("add: exit %d, %v, %+v", code, err, added)
	}
	if code, out = distsumctl(t, append(global, "add", "40", "2", "--request-id", "audit-first")...); code != 0 || !strings.Contains(out, "replayed  true") || !strings.Contains(out, added.Token) {
		t.Fatalf("retried add: exit %d\n%s", code, out)
	}
	if code, out = distsumctl(t, append(global, "total", "--after", added.Token, "--wait", "30s")...); code != 0 || strings.TrimSpace(out) != "42" {
		t.Fatalf("total --after: exit %d %q", code, out)
	}

	o := addload.NewOracle()
	w := &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "audit", Workers: 8, Seed: 9}
	if err := w.Run(context.Background(), 400); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*testkit.Totals{r1, r2} {
		for _, tok := range o.Tokens() {
			r.WaitCounted(t, tok, 60*time.Second)
		}
	}

	// Re-publish two events (twice each) with their exact records: what a relay crash between
	// publishing and marking does. Their sums are not 0, so double counting moves the total.
	tok, err := sumevent.ParseToken(added.Token)
	if err != nil {
		t.Fatal(err)
	}
	republish(t, k, tok.ProducerID, 1, 2)
	republish(t, k, tok.ProducerID, 5, 1)

	replicas := []string{"--replicas", r1.URL + "," + r2.URL, "--replicas-ops", r1.OpsURL + "," + r2.OpsURL}
	code, out = distsumctl(t, append(append(global, "audit", "--wait", "60s", "--json"), replicas...)...)
	var rep ctl.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.OK {
		t.Fatalf("audit of healthy replicas: exit %d, %v", code, err)
	}
	p := rep.Log.Producer(tok.ProducerID)
	if p == nil || p.Copies < 3 || len(rep.Replicas) != 2 || !rep.Replicas[0].OK || !rep.Replicas[1].OK || rep.Checkpoint == nil {
		t.Fatalf("audit report: producer %+v, replicas %+v, checkpoint %+v", p, rep.Replicas, rep.Checkpoint)
	}
	want := o.Expected()
	want.Add(want, big.NewInt(42))
	if rep.Log.Total.Cmp(want) != 0 {
		t.Fatalf("audit recomputed %s, the acknowledged Adds add up to %s", rep.Log.Total, want)
	}

	// Negative control: a replica that counts duplicates (a test build: the service has no such
	// setting), started after they are in the log.
	unsafe := testkit.StartTotalsBinary(t, testkit.UnsafeTotalsBinary(t), brokers,
		"TOTALS_UNSAFE_DISABLE_DEDUPE=true", "TOTALS_GROUP_ID=unsafe")
	code, out = distsumctl(t, append(global, "audit", "--replicas", r1.URL+","+unsafe.URL, "--replicas-ops", r1.OpsURL+","+unsafe.OpsURL, "--wait", "60s")...)
	if code != 1 {
		t.Fatalf("audit with a double-counting replica: exit %d, want 1", code)
	}
	if !strings.Contains(out, "replica "+r1.URL+": OK") || !strings.Contains(out, "replica "+unsafe.URL+": MISMATCH") ||
		!strings.Contains(out, "producer "+tok.ProducerID+"'s events") || !strings.Contains(out, "counted twice") {
		t.Fatalf("audit output does not single out the double-counting replica and its producer:\n%s", out)
	}

	// From the checkpoint: only what came after is read, and the result is the same check.
	w = &addload.Workload{Client: calc.Client(t), Oracle: o, Prefix: "audit-after", Workers: 4, Seed: 10}
	if err := w.Run(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	cp := rep.Checkpoint
	code, out = distsumctl(t, append(append(global, "audit", "--from-offsets", cp.FromOffsets,
		"--base-total", cp.BaseTotal, "--base-hwm", cp.BaseHWM), replicas...)...)
	if code != 0 || !strings.Contains(out, "records read") || !strings.Contains(out, "audit OK") {
		t.Fatalf("audit from the checkpoint: exit %d", code)
	}
	// A checkpoint whose total is off by one is caught.
	wrong, _ := new(big.Int).SetString(cp.BaseTotal, 10)
	wrong.Add(wrong, big.NewInt(1))
	code, out = distsumctl(t, append(global, "audit", "--from-offsets", cp.FromOffsets, "--base-total", wrong.String(), "--base-hwm", cp.BaseHWM)...)
	if code != 1 || !strings.Contains(out, "total differs by -1") {
		t.Fatalf("audit from a wrong checkpoint: exit %d", code)
	}
}

// recordOf reads the topic from the start and returns the record of (producer, seq).
func recordOf(t *testing.T, k *testkit.Kafka, producer string, seq uint64) *sarama.ConsumerMessage {
	t.Helper()
	conf := kafka.ConsumerConfig("test-find")
	client, err := sarama.NewClient(k.Brokers(), conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	var found *sarama.ConsumerMessage
	for _, p := range parts {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for found == nil {
			m := <-pc.Messages()
			if e, err := sumevent.Decode(m.Value); err == nil && e.ProducerID == producer && e.Sequence == seq {
				found = m
			}
			if m.Offset >= end-1 {
				break
			}
		}
		pc.Close()
		if found != nil {
			break
		}
	}
	if found == nil {
		t.Fatalf("no record of %s:%d in the topic", producer, seq)
	}
	return found
}

// republish finds the record of (producer, seq) in the topic and writes it again, copies times,
// with the same key (so to the same partition) and value.
func republish(t *testing.T, k *testkit.Kafka, producer string, seq uint64, copies int) {
	t.Helper()
	found := recordOf(t, k, producer, seq)
	producerClient, err := sarama.NewSyncProducer(k.Brokers(), kafka.ProducerConfig("test-republish"))
	if err != nil {
		t.Fatal(err)
	}
	defer producerClient.Close()
	for i := 0; i < copies; i++ {
		if _, _, err := producerClient.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(found.Key), Value: sarama.ByteEncoder(found.Value)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("re-published %s:%d %d times (%s)", producer, seq, copies, fmt.Sprintf("partition %d", found.Partition))
}
