package e2e

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/distsum/distsum/tests/e2e/infra"
)

// The replicated scenarios run the promise on the production shape: a 3-node KRaft cluster
// (the topic RF 3, min ISR 2, unclean election off) and two totals replicas, each of which
// must count every acknowledged Add exactly once.

// calcPartition is the partition the calculator writes to: it keys every event by its producer
// id, so it is the one partition with records.
func (s *system) calcPartition(t *testing.T) int32 {
	t.Helper()
	var best int32
	var most int64 = -1
	for p, off := range s.cluster.NewestOffsets(t, topic) {
		if off > most {
			best, most = p, off
		}
	}
	if most <= 0 {
		t.Fatalf("no partition of %s has records yet", topic)
	}
	return best
}

// calcLeader is the broker leading the calculator's partition.
func (s *system) calcLeader(t *testing.T) *infra.Kafka {
	t.Helper()
	return s.cluster.Broker(s.cluster.Leader(t, topic, s.calcPartition(t)))
}

// nextPublish polls the calculator's relay_published_events_total until it moves past base
// (the value once the leader was dead) and returns the time since killed; limit if it never does.
func (s *system) nextPublish(base string, killed time.Time, limit time.Duration) time.Duration {
	for time.Since(killed) < limit {
		if v, ok := metric(s.calc, "relay_published_events_total"); ok && v != base {
			return time.Since(killed)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return limit
}

var (
	killLeader = fault{"kill -9 the leader of the calculator's partition", func(t *testing.T, s *system, rng *rand.Rand) {
		k := s.calcLeader(t)
		k.Kill(t)
		killed := time.Now()
		base, _ := metric(s.calc, "relay_published_events_total")
		gap := make(chan time.Duration, 1)
		go func() { gap <- s.nextPublish(base, killed, 2*time.Minute) }()
		time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
		k.Start(t)
		// The node catches up before the next fault may take another one.
		s.cluster.WaitInSync(t, 2*time.Minute)
		g := <-gap
		t.Logf("killed %s (leader); next acknowledged publish after %v", k.Alias, g.Round(time.Millisecond))
		s.mu.Lock()
		s.publishGaps = append(s.publishGaps, g)
		s.mu.Unlock()
	}}
	isolateLeader = fault{"isolate the leader of the calculator's partition from brokers and clients for 10s", func(t *testing.T, s *system, rng *rand.Rand) {
		k := s.calcLeader(t)
		t.Logf("isolating %s (leader) for 10s", k.Alias)
		s.cluster.Isolate(t, k, 10*time.Second)
		s.cluster.WaitInSync(t, 2*time.Minute)
	}}
)

func replicatedOptions() options { return options{topo: replicated, dedupe: true} }

func TestClusterKillLeader(t *testing.T) {
	r := run(t, "kill-leader", replicatedOptions(), 11, repeat(killLeader, 3))
	check(t, r)
	if r.publishGapMax <= 0 || r.publishGapMax >= 2*time.Minute {
		t.Errorf("publish gap after a leader kill %v: publishing did not resume", r.publishGapMax)
	}
}

func TestClusterIsolateBroker(t *testing.T) {
	check(t, run(t, "isolate-broker", replicatedOptions(), 12, repeat(isolateLeader, 3)))
}

func TestClusterMixedFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("E2E_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (replay with E2E_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	all := []fault{killCalculator, killTotals, pauseTotals, partition, killLeader, isolateLeader}
	schedule := make([]fault, 5)
	for i := range schedule {
		schedule[i] = all[rng.IntN(len(all))]
	}
	check(t, run(t, "cluster-mixed", replicatedOptions(), seed, schedule))
}

// waitRetentionDeleted waits until every partition of the topic that has records no longer
// starts at offset 0: retention deleted its first segments, so a replica without state can
// only come back exact from a checkpoint.
func (s *system) waitRetentionDeleted(t *testing.T, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		newest, oldest := s.cluster.NewestOffsets(t, topic), s.cluster.OldestOffsets(t, topic)
		deleted := true
		for p, end := range newest {
			if end > 0 && oldest[p] == 0 {
				deleted = false
			}
		}
		if deleted {
			t.Logf("%s starts at offsets %v (ends %v): early segments deleted", topic, oldest, newest)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention deleted nothing of %s in %v: starts %v, ends %v", topic, limit, oldest, newest)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var rebuildReplica = fault{"kill -9 a totals replica and start it again with no state, early segments deleted", func(t *testing.T, s *system, rng *rand.Rand) {
	s.waitRetentionDeleted(t, time.Minute)
	i := rng.IntN(len(s.totals))
	old := s.totals[i]
	old.Kill(t)
	// A new container of the same spec on a fresh volume: an empty data directory.
	fresh := infra.StartService(t, s.net, old.Spec)
	s.mu.Lock()
	s.totals[i], s.views[i] = fresh, totalsView(fresh)
	s.mu.Unlock()
	// It refuses to serve a total (503) until it restored one.
	started := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		total, err := s.views[i].API().Total(ctx)
		cancel()
		if err == nil {
			t.Logf("%s rebuilt without state: serving %s after %v", old.Spec.Alias, total, time.Since(started).Round(time.Millisecond))
			// The log's start is gone: an empty ledger's 0 can only be a partial total.
			if total.Sign() == 0 {
				t.Errorf("%s started without state served total 0 before restoring a checkpoint: a partial total", old.Spec.Alias)
			}
			return
		}
		if time.Since(started) > 2*time.Minute {
			t.Fatalf("%s rebuilt without state serves no total after 2m: %v", old.Spec.Alias, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}}

// TestClusterRebuildReplica kills a totals replica and gives it an empty data directory after
// retention deleted the topic's first segments: only the newest checkpoint (the compacted
// <topic>-checkpoints topic) can bring it back, and it must come back exact.
func TestClusterRebuildReplica(t *testing.T) {
	o := replicatedOptions()
	// Segments roll every 2 s and are deleted 8 s later; the broker checks every second.
	o.brokerEnv = map[string]string{"KAFKA_LOG_RETENTION_CHECK_INTERVAL_MS": "1000"}
	spec := clusterTopic
	spec.Config = map[string]string{"retention.ms": "8000", "segment.ms": "2000", "segment.bytes": "1048576"}
	for k, v := range clusterTopic.Config {
		spec.Config[k] = v
	}
	o.topic = &spec
	o.totalsEnv = map[string]string{"TOTALS_CHECKPOINT_INTERVAL": "1s"}
	check(t, run(t, "rebuild-replica", o, 14, repeat(rebuildReplica, 3)))
}

// TestClusterNegativeControlRF1 runs the topic with one copy of each partition and kills the
// broker leading the calculator's partition for good: the events on it and those still to be
// published there are gone, and the same check must say so. A check that could not see lost
// acknowledged events would pass here.
func TestClusterNegativeControlRF1(t *testing.T) {
	o := replicatedOptions()
	o.topic = &infra.TopicSpec{Partitions: 3, ReplicationFactor: 1, Config: map[string]string{
		"min.insync.replicas": "1", "unclean.leader.election.enable": "false",
	}}
	o.serviceEnv = map[string]string{"KAFKA_TOPIC_ALLOW_UNSAFE": "true"} // test only
	o.expectLoss = true
	killForGood := fault{"kill -9 the leader of the calculator's partition for good", func(t *testing.T, s *system, rng *rand.Rand) {
		k := s.calcLeader(t)
		t.Logf("killing %s (the only copy of the calculator's partition) for good", k.Alias)
		k.Kill(t)
	}}
	r := run(t, "negative-control-rf1", o, 13, []fault{killForGood})
	for _, rr := range r.replicas {
		if rr.observed == r.expected {
			t.Errorf("%s: total %s equals the oracle after the only copy was lost: the check cannot see lost events", rr.name, rr.observed)
		}
		if rr.uncounted == 0 {
			t.Errorf("%s: no acknowledged token uncounted after the only copy was lost", rr.name)
		}
	}
	if !t.Failed() {
		t.Logf("negative control: expected %s, replicas %+v: loss detected", r.expected, r.replicas)
	}
}
