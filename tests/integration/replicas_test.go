package integration

// Replicas of the totals service: each reads every partition and serves the
// whole total, or refuses to serve one.

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/distsum/distsum/libs/metrics/metricstest"
	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/tests/testkit"
)

// addN sends n Adds one by one and returns their tokens and the sum over them.
func addN(t *testing.T, client calculatorpb.CalculatorServiceClient, n int, from int64) ([]string, *big.Int) {
	t.Helper()
	var tokens []string
	sum := new(big.Int)
	for i := range int64(n) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := client.Add(ctx, &calculatorpb.AddRequest{Num1: from + i, Num2: 1})
		cancel()
		if err != nil {
			t.Fatalf("Add %d: %v", i, err)
		}
		tokens = append(tokens, resp.GetToken())
		sum.Add(sum, big.NewInt(resp.GetSum()))
	}
	return tokens, sum
}

// get returns the status and body of GET url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric reads an unlabelled gauge or counter from /metrics (-1 if it cannot).
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := metricstest.Scrape(ctx, base+"/metrics", name)
	if err != nil {
		return -1
	}
	return v
}

// eventually polls cond every 200 ms until it returns "" (60 s at most) and
// fails with its last answer.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after %s", what, why, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReplicasOnDefaultSettingsServeTheWholeTotal: two replicas started the
// same way (each with its own data directory) each read every partition, so
// both serve the exact total and count every token.
func TestReplicasOnDefaultSettingsServeTheWholeTotal(t *testing.T) {
	k := startKafka(t)
	a := testkit.StartTotals(t, k.Bootstrap())
	b := testkit.StartTotals(t, k.Bootstrap())
	calc := testkit.StartCalculator(t, k.Bootstrap())
	tokens, want := addN(t, calc.Client(t), 300, 0)
	for _, r := range []*testkit.Totals{a, b} {
		for _, tok := range tokens {
			r.WaitCounted(t, tok, 60*time.Second)
		}
		if got := r.Total(t); got.Cmp(want) != 0 {
			t.Fatalf("%s: total %s, want %s", r.URL, got, want)
		}
		if code, body := get(t, r.URL+"/readyz"); code != http.StatusOK {
			t.Fatalf("%s: readyz %d %s", r.URL, code, body)
		}
		if v := metric(t, r.OpsURL, "totals_partitions_unassigned"); v != 0 {
			t.Fatalf("%s: totals_partitions_unassigned = %v", r.URL, v)
		}
	}
	t.Logf("both replicas serve %s over %d Adds", want, len(tokens))
}

// TestReplicasSharingAGroupServeNoPartialTotal: two replicas given the same
// TOTALS_GROUP_ID split the partitions; neither may serve its partial total.
func TestReplicasSharingAGroupServeNoPartialTotal(t *testing.T) {
	k := startKafka(t)
	env := "TOTALS_GROUP_ID=shared-group"
	a := testkit.StartTotals(t, k.Bootstrap(), env, "TOTALS_LAG_INTERVAL=500ms")
	b := testkit.StartTotals(t, k.Bootstrap(), env, "TOTALS_LAG_INTERVAL=500ms")
	calc := testkit.StartCalculator(t, k.Bootstrap())
	tokens, want := addN(t, calc.Client(t), 20, 0)
	for _, r := range []*testkit.Totals{a, b} {
		eventually(t, r.URL+" refuses to serve", 90*time.Second, func() string {
			code, body := get(t, r.URL+"/total")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "TOTALS_GROUP_ID shared with another replica?") {
				return fmt.Sprintf("GET /total %d %s", code, body)
			}
			code, body = get(t, r.URL+"/total?after="+tokens[len(tokens)-1])
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "TOTALS_GROUP_ID shared") {
				return fmt.Sprintf("GET /total?after %d %s", code, body)
			}
			code, body = get(t, r.URL+"/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, `"partitions"`) || !strings.Contains(body, "of 3: TOTALS_GROUP_ID shared") {
				return fmt.Sprintf("readyz %d %s", code, body)
			}
			if v := metric(t, r.OpsURL, "totals_partitions_unassigned"); v <= 0 {
				return fmt.Sprintf("totals_partitions_unassigned %v", v)
			}
			return ""
		})
		_, body := get(t, r.URL+"/readyz")
		t.Logf("%s: %s", r.URL, strings.TrimSpace(body))
	}
	// With the other replica gone, the group gives one replica every
	// partition: it serves again, the whole total.
	b.Stop()
	eventually(t, "the remaining replica serves again", 90*time.Second, func() string {
		if code, body := get(t, a.URL+"/readyz"); code != http.StatusOK {
			return fmt.Sprintf("readyz %d %s", code, body)
		}
		return ""
	})
	if got := a.WaitCounted(t, tokens[len(tokens)-1], 30*time.Second); got.Cmp(want) != 0 {
		t.Fatalf("total %s once it reads every partition, want %s", got, want)
	}
}
