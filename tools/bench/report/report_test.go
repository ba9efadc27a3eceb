package report

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func synthetic() *Results {
	r := &Results{Commit: "abc1234", Cores: 2, CPUModel: "Test CPU", Mode: "quick", Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Settings: map[string]string{"sqlite": "synchronous=FULL"}}
	for i, n := range []int{1, 16, 64, 256, 1000} {
		r.Closed = append(r.Closed, Closed{InFlight: n, Conns: min(n, 8), PerS: float64(500 * (i + 1)), Latency: Latency{N: 100, P50: 1, P90: 2, P99: float64(3 + i), Max: 9}})
		r.Ceiling = append(r.Ceiling, Closed{InFlight: n, Conns: min(n, 8), PerS: float64(10000 * (i + 1)), Latency: Latency{N: 100, P50: 0.1, P99: 0.5}})
	}
	for _, rate := range []float64{500, 2000, 5000} {
		o := Open{Rate: rate, Achieved: rate * 0.99, AddsKeepUp: true, PipelineKeepsUp: rate < 5000, Sustainable: rate < 5000, Latency: Latency{N: 10, P50: 1, P90: 2, P99: 4, Max: 8}}
		for i := 1; i <= 200; i++ {
			o.E2ESamples = append(o.E2ESamples, float64(i)/10*(rate/500))
		}
		o.E2E = Latency{N: 200, P50: 10, P99: rate / 100}
		r.Open = append(r.Open, o)
	}
	r.Drain = &Drain{Events: 200000, DrainS: 4, EventsPerS: 50000}
	r.TotalGet = &TotalGet{Alone: Throughput{Conns: 64, PerS: 32000, Latency: Latency{P99: 7.5}}, ServerUSPerReq: 20, ClientUSPerReq: 30}
	r.Footprint = &Footprint{CalculatorBefore: 40, CalculatorAfter: 44, TotalsBefore: 30, TotalsAfter: 31, Flat: true}
	r.Group = &GroupCommit{BatchedPerS: 9000, SinglePerS: 1000, Ratio: 9, Source: "BenchmarkAppendMaxBatch"}
	r.CPU = &CPUSplit{InFlight: 64, Seconds: 10, Adds: 100000, PerS: 10000, BusyCores: 2, Processes: []ProcessCPU{
		{Name: "calculator", Cores: 1, USPerAdd: 100}, {Name: "rest of the machine", Cores: 1, USPerAdd: 100}}}
	r.Profiles = []Profile{{Name: "calculator CPU", File: "profiles/calculator.cpu.pb.gz", Top: []string{"flat flat% sum% cum cum%", "1s 50% 50% 1s 50% syscall.Syscall"}}}
	return r
}

func TestWriteGivesTheSummaryKeysTheMarkdownAndThePlots(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, synthetic()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"commit", "cores", "add_per_s", "add_p99_ms", "ceiling_per_s", "e2e_p99_ms", "drain_events_per_s", "total_get_per_s", "total_get_p99_ms", "rss_mb"} {
		if _, ok := got[k]; !ok {
			t.Errorf("report.json has no %q", k)
		}
	}
	if v := got["add_per_s"].(map[string]any)["64"]; v != 1500.0 {
		t.Errorf("add_per_s[64] = %v, want 1500", v)
	}
	if v := got["add_p99_ms"].(map[string]any)["1000"]; v != 7.0 {
		t.Errorf("add_p99_ms[1000] = %v, want 7", v)
	}
	if v := got["ceiling_per_s"]; v != 30000.0 {
		t.Errorf("ceiling_per_s = %v, want the 64-in-flight figure 30000", v)
	}
	if v := got["durable_to_ceiling_ratio"]; v != 0.05 {
		t.Errorf("ratio = %v, want 0.05", v)
	}
	if v := got["e2e_p99_ms"].(map[string]any)["2000"]; v != 20.0 {
		t.Errorf("e2e_p99_ms[2000] = %v, want 20", v)
	}
	if v := got["highest_sustainable_per_s"]; v != 2000.0 {
		t.Errorf("highest sustainable = %v, want 2000 (5000 was not)", v)
	}
	if v := got["rss_mb"].(map[string]any)["calculator_after"]; v != 44.0 {
		t.Errorf("rss_mb.calculator_after = %v", v)
	}
	if got["commit"] != "abc1234" || got["cores"] != 2.0 || got["total_get_p99_ms"] != 7.5 || got["drain_events_per_s"] != 50000.0 {
		t.Errorf("summary: %v", got)
	}

	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`abc1234`", "Test CPU", "| 64 | 8 | 1500 |", "ratio **0.050**", "**9.0×**", "**2000 Adds/s** (Adds alone kept up to 5000/s", "**50000 events/s**", "syscall.Syscall",
		"| calculator | 1.00 | 100 |", "| **all** | 2.00 | 200 |", "at most 10000 Adds/s", "totals service 20 µs of CPU and the client (this harness, same cores) 30 µs", "= 2.00 ms", PlotAddPerS, PlotE2ECDF} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, name := range []string{PlotAddPerS, PlotLatencyByRate, PlotE2ECDF} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
			t.Errorf("%s is %v", name, b)
		}
	}
}

func TestAStepThatFailedIsNamedAndItsFiguresLeftOut(t *testing.T) {
	r := synthetic()
	r.Drain, r.Open = nil, nil
	r.Errors = []string{"drain: broker did not start"}
	dir := t.TempDir()
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "drain: broker did not start") || strings.Contains(string(md), "## Drain") {
		t.Errorf("report.md:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(dir, PlotE2ECDF)); !os.IsNotExist(err) {
		t.Errorf("an end-to-end plot without an open-loop run: %v", err)
	}
}

func TestFlatRSS(t *testing.T) {
	for _, c := range []struct {
		before, after float64
		flat          bool
	}{{40, 49, true}, {40, 56, true}, {100, 124, true}, {100, 140, false}, {40, 80, false}} {
		if got := FlatRSS(c.before, c.after); got != c.flat {
			t.Errorf("FlatRSS(%v, %v) = %v", c.before, c.after, got)
		}
	}
}

func TestQuantileIsNearestRank(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[99-i] = time.Duration(i+1) * time.Millisecond
	}
	l := Summarize(d)
	if l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 || l.N != 100 {
		t.Fatalf("%+v", l)
	}
}

func TestLogTicksLabelEachDecadeAt125(t *testing.T) {
	var got []string
	for _, tk := range (tickets125{}).Ticks(3, 600) {
		got = append(got, tk.Label)
	}
	if want := "5 10 20 50 100 200 500"; strings.Join(got, " ") != want {
		t.Fatalf("ticks %v, want %s", got, want)
	}
}
