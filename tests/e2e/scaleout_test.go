package e2e

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/distsum/distsum/tests/e2e/infra"
)

// The scale-out scenarios run three calculators on one shared PostgreSQL outbox
// (CALCULATOR_OUTBOX=postgres, producer ids calc-1..3, adoption every second). The load
// spreads Adds over all three and sends every retry, with the same request_id, to ANOTHER
// instance: the shared idempotency keys must answer it from the first attempt. One broker and
// one totals replica: these scenarios are about the calculator tier; the replicated broker and
// totals are the cluster scenarios' subject, and two cores do not carry both at once.
var scaleOut = topology{brokers: 1, calculators: 3, replicas: 1, outbox: "postgres"}

func scaleOutOptions() options { return options{topo: scaleOut, dedupe: true} }

// unpublished counts the shared outbox's unpublished events of one producer ("": all), read
// from the database itself, so a dead instance's backlog is seen too.
func (s *system) unpublished(t *testing.T, producer string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.pg.HostURL)
	if err != nil {
		return "no answer"
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM outbox_event
		WHERE published_at IS NULL AND ($1 = '' OR producer_id = $1)`, producer).Scan(&n); err != nil {
		return "no answer"
	}
	return strconv.FormatInt(n, 10)
}

// adopted sums outbox_adopted_events_total{producer=...} on one calculator (0 if it has none).
func adopted(c *infra.Service, producer string) int64 {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + c.HostAddr(8081) + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	prefix := fmt.Sprintf(`outbox_adopted_events_total{producer=%q} `, producer)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int64(f)
		}
	}
	return 0
}

func producerOf(c *infra.Service) string { return c.Spec.Env["CALCULATOR_PRODUCER_ID"] }

// calcLink is the Kafka link of a calculator slot.
func (s *system) calcLink(slot int) *infra.Link {
	return s.kafka.Link(fmt.Sprintf("calculator-%d", slot+1))
}

// withBacklog cuts a calculator's link to Kafka long enough that it holds acknowledged events it
// could not publish, then runs kill (the link is healed after it).
func (s *system) withBacklog(t *testing.T, slot int, kill func()) {
	l := s.calcLink(slot)
	l.Cut(t)
	time.Sleep(1500 * time.Millisecond)
	kill()
	l.Heal(t)
}

// maxNote keeps the largest duration under key in the summary.
func (s *system) maxNote(key string, d time.Duration) {
	s.mu.Lock()
	old, _ := time.ParseDuration(s.notes[key])
	s.mu.Unlock()
	s.note(key, max(old, d).Round(time.Millisecond).String())
}

// addNote adds n to the count under key in the summary.
func (s *system) addNote(key string, n int64) {
	s.mu.Lock()
	old, _ := strconv.ParseInt(s.notes[key], 10, 64)
	s.mu.Unlock()
	s.note(key, strconv.FormatInt(old+n, 10))
}

// rounds counts each fault's injections per system, so its variants alternate (every run
// exercises each) instead of depending on the seed's draws.
var rounds sync.Map // "<system> <fault>" -> *atomic.Int64

func (s *system) round(fault string) int {
	v, _ := rounds.LoadOrStore(fmt.Sprintf("%p %s", s, fault), new(atomic.Int64))
	return int(v.(*atomic.Int64).Add(1) - 1)
}

var (
	killRestartCalc = fault{"kill -9 one of the calculators and start it again", func(t *testing.T, s *system, rng *rand.Rand) {
		slot := rng.IntN(len(s.calcs))
		c := s.calcs[slot]
		if s.round("kill")%2 == 1 {
			t.Logf("kill -9 %s", c.Spec.Alias)
			c.Kill(t)
		} else {
			t.Logf("kill -9 %s with events it could not publish (its link to Kafka cut)", c.Spec.Alias)
			s.withBacklog(t, slot, func() { c.Kill(t) })
		}
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		c.Start(t)
	}}

	// killForGood kills an instance holding unpublished events and never starts it again: a
	// survivor must adopt its backlog. Then a new instance (a new producer id) takes its slot, as
	// a replaced pod would, so the next fault finds three again.
	killForGood = fault{"kill -9 a calculator for good with unpublished events; a new one takes its place", func(t *testing.T, s *system, rng *rand.Rand) {
		slot := rng.IntN(len(s.calcs))
		c := s.calcs[slot]
		producer := producerOf(c)
		// Counted just before the kill: a survivor may adopt them within milliseconds after it
		// (the lock goes with the connection), and the dead one's backlog can only be larger.
		var killed time.Time
		var backlog int64
		s.withBacklog(t, slot, func() {
			backlog, _ = strconv.ParseInt(s.unpublished(t, producer), 10, 64)
			c.Kill(t)
			killed = time.Now()
		})
		if backlog <= 0 {
			t.Errorf("%s had no unpublished events when killed: nothing to adopt", producer)
		}
		var firstAdopted, drained time.Duration
		survivors := func() map[string]int64 {
			m := map[string]int64{}
			for i, o := range s.calcs {
				if i != slot {
					m[o.Spec.Alias] = adopted(o, producer)
				}
			}
			return m
		}
		for time.Since(killed) < 2*time.Minute {
			sum := int64(0)
			for _, n := range survivors() {
				sum += n
			}
			if sum > 0 && firstAdopted == 0 {
				firstAdopted = time.Since(killed)
			}
			if s.unpublished(t, producer) == "0" {
				drained = time.Since(killed)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		by := survivors()
		total := int64(0)
		for _, n := range by {
			total += n
		}
		line := fmt.Sprintf("ADOPTION %s killed with at least %d unpublished events: first adopted after %v, backlog 0 after %v, adopted %d (%v)",
			producer, backlog, firstAdopted.Round(time.Millisecond), drained.Round(time.Millisecond), total, by)
		t.Log(line)
		if drained == 0 {
			t.Fatalf("%s's backlog not adopted in 2m: %s unpublished", producer, s.unpublished(t, producer))
		}
		if total < backlog {
			t.Errorf("survivors adopted %d of %s's events, its backlog before the kill was %d", total, producer, backlog)
		}
		s.maxNote("adopt_max", drained)
		s.addNote("adopted", total)

		fresh := infra.StartService(t, s.net, s.calcSpec(slot, fmt.Sprintf("calc-%d", len(s.calcs)+len(s.gone)+1)))
		s.mu.Lock()
		s.gone = append(s.gone, c)
		s.calcs[slot] = fresh
		s.mu.Unlock()
		s.clients[slot].set(dialCalculator(t, fresh))
		t.Logf("%s replaced by %s", producer, producerOf(fresh))
	}}

	rollingRestart = fault{"rolling restart: SIGTERM each calculator in turn, start it again", func(t *testing.T, s *system, rng *rand.Rand) {
		for _, c := range s.calcs {
			start := time.Now()
			c.Stop(t, 15*time.Second)
			st, err := c.Container.State(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.ExitCode != 0 {
				t.Errorf("%s exited %d on SIGTERM, want a clean 0", c.Spec.Alias, st.ExitCode)
			}
			c.Start(t)
			t.Logf("%s stopped (exit %d) and serving again in %v", c.Spec.Alias, st.ExitCode, time.Since(start).Round(time.Millisecond))
		}
	}}

	restartPostgres = fault{"restart PostgreSQL (kill -9 or fast shutdown), down for 1-2 s", func(t *testing.T, s *system, rng *rand.Rand) {
		before := s.unavailable.Load()
		how := "kill -9"
		if s.round("postgres")%2 == 0 {
			s.pg.Kill(t)
		} else {
			how = "fast shutdown"
			s.pg.Stop(t)
		}
		time.Sleep(time.Duration(1000+rng.IntN(1000)) * time.Millisecond)
		d := s.pg.Start(t)
		// The Adds that reached a calculator meanwhile fail until it has its producer lock again.
		time.Sleep(time.Second)
		n := s.unavailable.Load() - before
		t.Logf("postgres %s; serving again after %v; %d Add attempts answered UNAVAILABLE meanwhile", how, d.Round(time.Millisecond), n)
		s.addNote("unavailable_attempts", n)
	}}
)

func TestScaleOutKillCalculator(t *testing.T) {
	check(t, run(t, "scaleout-kill-calculator", scaleOutOptions(), 21, repeat(killRestartCalc, 3)))
}

func TestScaleOutKillCalculatorForGood(t *testing.T) {
	r := run(t, "scaleout-kill-for-good", scaleOutOptions(), 22, repeat(killForGood, 3))
	check(t, r)
	if r.notes["adopted"] == "" || r.notes["adopted"] == "0" {
		t.Errorf("no event adopted from a dead calculator (notes %v)", r.notes)
	}
}

func TestScaleOutRollingRestart(t *testing.T) {
	check(t, run(t, "scaleout-rolling-restart", scaleOutOptions(), 23, repeat(rollingRestart, 3)))
}

func TestScaleOutRestartPostgres(t *testing.T) {
	r := run(t, "scaleout-restart-postgres", scaleOutOptions(), 24, repeat(restartPostgres, 3))
	check(t, r)
	// The fault must have bitten: Adds failed while the database was down, and were made whole
	// by their retries (the oracle counts only acknowledged Adds; check found them all).
	if n, _ := strconv.Atoi(r.notes["unavailable_attempts"]); n == 0 {
		t.Errorf("no Add failed UNAVAILABLE while PostgreSQL was down: the restart did not reach the Adds")
	}
}
