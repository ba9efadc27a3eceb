package integration

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/distsum/distsum/libs/kafka"
	"github.com/distsum/distsum/libs/sumevent"
	"github.com/distsum/distsum/tests/testkit"
)

// uncheckedCalculator builds the calculator with its producer-id check off
// (build tag distsum_no_identity_check; no setting of the service turns it
// off): the negative control.
func uncheckedCalculator(t *testing.T) string {
	t.Helper()
	root, err := testkit.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "calculator-unchecked")
	cmd := exec.Command("go", "build", "-tags", "distsum_no_identity_check", "-o", bin, "./services/calculator")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func sequences(t *testing.T, tokens []string) []uint64 {
	t.Helper()
	out := make([]uint64, len(tokens))
	for i, s := range tokens {
		tok, err := sumevent.ParseToken(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = tok.Sequence
	}
	return out
}

// TestLostOutboxContinuesAfterTheLog: a calculator with a configured
// producer id counts N Adds, stops, loses its data directory and starts again
// under the same id: its new events continue after sequence N and every one
// of the N+M Adds is counted. The same run with the check built out numbers
// from 1 again, and totals drops the M new Adds as duplicates.
func TestLostOutboxContinuesAfterTheLog(t *testing.T) {
	const n, m = 30, 20
	k := startKafka(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	expected := new(big.Int)

	t.Run("checked", func(t *testing.T) {
		calc := testkit.StartCalculator(t, k.Bootstrap(), "CALCULATOR_PRODUCER_ID=calc-lost")
		first, sum1 := addN(t, calc.Client(t), n, 1)
		totals.WaitCounted(t, first[n-1], 60*time.Second)
		calc.Stop()
		if err := os.RemoveAll(calc.DataDir); err != nil {
			t.Fatal(err)
		}
		calc.Restart(t)
		second, sum2 := addN(t, calc.Client(t), m, 1000)
		for i, seq := range sequences(t, second) {
			if seq != uint64(n+1+i) {
				t.Fatalf("Add %d after the lost outbox has sequence %d, want %d", i, seq, n+1+i)
			}
		}
		got := totals.WaitCounted(t, second[m-1], 60*time.Second)
		expected.Add(sum1, sum2)
		if got.Cmp(expected) != 0 {
			t.Fatalf("total %s, want %s (all %d Adds)", got, expected, n+m)
		}
		if !strings.Contains(readFile(t, calc.LogPath()), "continuing after the log's last sequence") {
			t.Fatal("the calculator did not warn that it continues after the log")
		}
		t.Logf("after the lost outbox: sequences %v..%v, total %s", n+1, n+m, got)
	})

	t.Run("unchecked", func(t *testing.T) {
		before := totals.Total(t)
		calc := testkit.StartCalculatorBinary(t, uncheckedCalculator(t), k.Bootstrap(), "CALCULATOR_PRODUCER_ID=calc-lost-unchecked")
		first, sum1 := addN(t, calc.Client(t), n, 1)
		totals.WaitCounted(t, first[n-1], 60*time.Second)
		calc.Stop()
		if err := os.RemoveAll(calc.DataDir); err != nil {
			t.Fatal(err)
		}
		calc.Restart(t)
		collided := metric(t, totals.OpsURL, "totals_sequence_collisions_total")
		second, sum2 := addN(t, calc.Client(t), m, 1000)
		if seqs := sequences(t, second); seqs[0] != 1 {
			t.Fatalf("unchecked calculator: first sequence after the lost outbox %d, want 1 (it numbers from 1 again)", seqs[0])
		}
		// Reused sequences with other content: totals parks them as
		// collisions (not counted), it does not count them.
		eventually(t, "totals sees the new events", 60*time.Second, func() string {
			if c := metric(t, totals.OpsURL, "totals_sequence_collisions_total"); c < collided+m {
				return fmt.Sprintf("%v sequence collisions, want %v", c, collided+m)
			}
			return ""
		})
		got := totals.Total(t)
		lost := new(big.Int).Add(before, sum1)
		if got.Cmp(lost) != 0 {
			t.Fatalf("unchecked: total %s, want %s (the %d new Adds not counted)", got, lost, m)
		}
		t.Logf("unchecked: %d acknowledged Adds (sum %s) not counted (parked as sequence collisions)", m, sum2)
	})
}

// TestSecondLiveCalculatorUnderTheSameIDIsRefused: while a calculator
// publishes under calc-dup, a second one with its own (fresh) outbox and the
// same id is refused and exits 1 naming the id; the first goes on and every
// Add it acknowledged is counted.
func TestSecondLiveCalculatorUnderTheSameIDIsRefused(t *testing.T) {
	k := startKafka(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	first := testkit.StartCalculator(t, k.Bootstrap(), "CALCULATOR_PRODUCER_ID=calc-dup")
	client := first.Client(t)
	tokens, want := addN(t, client, 20, 1)
	totals.WaitCounted(t, tokens[19], 60*time.Second)

	out, code := runCalculator(t, k, t.TempDir(), "calc-dup")
	if code != 1 || !strings.Contains(out, "producer id calc-dup") || !strings.Contains(out, "CALCULATOR_PRODUCER_ID") {
		t.Fatalf("second calculator exited %d, want 1 with an error naming calc-dup; output:\n%s", code, out)
	}
	t.Logf("second calculator refused: %s", lastLine(out))

	more, sum := addN(t, client, 20, 100)
	want.Add(want, sum)
	if got := totals.WaitCounted(t, more[19], 60*time.Second); got.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s (every Add of the first calculator)", got, want)
	}
}

// TestOldOutboxCopyBehindTheLogIsRefused: an outbox restored from an old
// copy (its last sequence 10 while the log holds 20 under its id) must not
// number 11.. again: the start is refused, naming the id and both sequences.
// On the way, a kill -9 and restart on the intact outbox is not held up.
func TestOldOutboxCopyBehindTheLogIsRefused(t *testing.T) {
	k := startKafka(t)
	calc := testkit.StartCalculator(t, k.Bootstrap(), "CALCULATOR_PRODUCER_ID=calc-copy")
	addN(t, calc.Client(t), 10, 1)
	calc.Stop()
	old := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", calc.DataDir, old).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	calc.Restart(t)
	tokens, _ := addN(t, calc.Client(t), 10, 100)
	// Published before it stops (the relay marks after the ack).
	eventually(t, "the relay publishes sequence 20", 30*time.Second, func() string {
		n, _, err := lastSequence(k, "calc-copy")
		if err != nil || n != 20 {
			return fmt.Sprintf("log's last %d (%v)", n, err)
		}
		return ""
	})
	_ = tokens
	// A kill -9 leaves the process's lease in the group until its session
	// expires (10 s); the restart on the same outbox recognises its own and
	// does not wait for it.
	calc.Kill()
	start := time.Now()
	calc.Restart(t)
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("restart after kill -9 on its own outbox took %s: it waited for its own lease", took)
	} else {
		t.Logf("restart after kill -9 on its own outbox: healthy in %s", took.Round(time.Millisecond))
	}
	calc.Stop()

	out, code := runCalculator(t, k, old, "calc-copy")
	wantMsg := "producer id calc-copy: the log holds sequence 20 but this outbox's last is 10"
	if code != 1 || !strings.Contains(out, wantMsg) {
		t.Fatalf("calculator on an old outbox copy exited %d, want 1 with %q; output:\n%s", code, wantMsg, out)
	}
	t.Logf("old copy refused: %s", lastLine(out))
}

// TestLastOfKeyReadsBackwardsAcrossChunks: the log reader finds a key's
// highest value behind thousands of other records, among records written
// out of order, and reports a key the partition does not hold as absent.
func TestLastOfKeyReadsBackwardsAcrossChunks(t *testing.T) {
	k := testkit.StartKafka(t, testkit.WithKafkaTopic("keyscan", 1))
	p, err := sarama.NewSyncProducer(k.Brokers(), kafka.ProducerConfig("keyscan-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	send := func(key string, v uint64) {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: "keyscan", Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(strconv.FormatUint(v, 10))})
	}
	for _, v := range []uint64{1, 2, 3, 5, 4} { // 5 before 4: a re-published batch
		send("mine", v)
	}
	for i := range 5000 {
		send("other", uint64(i))
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
	value := func(m *sarama.ConsumerMessage) (uint64, error) { return strconv.ParseUint(string(m.Value), 10, 64) }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct {
		key  string
		want uint64
		ok   bool
	}{{"mine", 5, true}, {"other", 4999, true}, {"absent", 0, false}} {
		got, ok, err := kafka.LastOfKey(ctx, k.Brokers(), "keyscan", c.key, 2, value)
		if err != nil || got != c.want || ok != c.ok {
			t.Fatalf("LastOfKey(%s) = %d, %v, %v; want %d, %v", c.key, got, ok, err, c.want, c.ok)
		}
	}
}

func lastSequence(k *testkit.Kafka, id string) (uint64, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return kafka.LastOfKey(ctx, k.Brokers(), topic, id, 1, func(m *sarama.ConsumerMessage) (uint64, error) {
		e, err := sumevent.Decode(m.Value)
		return e.Sequence, err
	})
}

// runCalculator runs a calculator on dataDir under id until it exits (90 s
// at most) and returns its output and exit status.
func runCalculator(t *testing.T, k *testkit.Kafka, dataDir, id string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testkit.ServiceBinaries(t).Calculator)
	cmd.Env = append(os.Environ(), "CALCULATOR_DATA_DIR="+dataDir, "CALCULATOR_PRODUCER_ID="+id,
		"CALCULATOR_GRPC_ADDR=127.0.0.1:0", "CALCULATOR_HTTP_ADDR=127.0.0.1:0", "KAFKA_BROKERS="+k.Bootstrap())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit) && ctx.Err() == nil:
		return string(out), exit.ExitCode()
	default:
		t.Fatalf("calculator under %s: %v (still running after 90 s?); output:\n%s", id, err, out)
		return "", 0
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestIntactOutboxStartsWhileKafkaIsDown: the check must not keep an intact
// outbox from starting: with Kafka down the calculator starts after the
// bounded check, with a warning, takes Adds, and takes its lease on the id
// once Kafka is back; every Add is counted.
func TestIntactOutboxStartsWhileKafkaIsDown(t *testing.T) {
	k := startKafka(t)
	totals := testkit.StartTotals(t, k.Bootstrap())
	calc := testkit.StartCalculator(t, k.Bootstrap(), "CALCULATOR_PRODUCER_ID=calc-intact")
	first, sum1 := addN(t, calc.Client(t), 5, 1)
	totals.WaitCounted(t, first[4], 60*time.Second)
	calc.Stop()
	k.Kill()
	start := time.Now()
	calc.Restart(t)
	t.Logf("started with Kafka down in %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(readFile(t, calc.LogPath()), "Kafka did not answer") {
		t.Fatal("no warning that the producer id was not checked")
	}
	second, sum2 := addN(t, calc.Client(t), 5, 100)
	k.Restart(t)
	got := totals.WaitCounted(t, second[4], 90*time.Second)
	if want := new(big.Int).Add(sum1, sum2); got.Cmp(want) != 0 {
		t.Fatalf("total %s, want %s", got, want)
	}
	admin, err := sarama.NewClusterAdmin(k.Brokers(), kafka.ConsumerConfig("test-groups"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	eventually(t, "the calculator takes its lease when Kafka is back", 60*time.Second, func() string {
		ds, err := admin.DescribeConsumerGroups([]string{"calculator-producer-calc-intact"})
		if err != nil || len(ds) != 1 || len(ds[0].Members) != 1 {
			return fmt.Sprintf("group %+v (%v)", ds, err)
		}
		return ""
	})
}
