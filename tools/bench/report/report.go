// Package report holds make bench's results and writes them as report.md,
// report.json and the plots (PNG, gonum.org/v1/plot).
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Latency is a distribution's summary in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Summarize sorts d in place and summarizes it.
func Summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	return Latency{N: len(d), P50: ms(Quantile(d, 0.50)), P90: ms(Quantile(d, 0.90)), P99: ms(Quantile(d, 0.99)), Max: ms(d[len(d)-1])}
}

// Quantile of sorted d (nearest rank).
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Closed is a closed-loop run: InFlight callers, each sending its next Add
// when the last is answered, over Conns shared connections.
type Closed struct {
	InFlight int     `json:"in_flight"`
	Conns    int     `json:"conns"`
	Seconds  float64 `json:"seconds"`
	PerS     float64 `json:"per_s"`
	Errors   int64   `json:"errors"`
	Latency
}

// Open is an open-loop run at a fixed arrival rate. Latency is measured from
// each Add's scheduled send time, so it includes queueing in the client
// when the system falls behind. E2E is accepted (answered) → counted in GET
// /total, for a sample of the Adds.
type Open struct {
	Rate     float64 `json:"rate"`
	Seconds  float64 `json:"seconds"`
	Achieved float64 `json:"achieved_per_s"`
	Errors   int64   `json:"errors"`
	Dropped  int64   `json:"dropped"`
	// AddsKeepUp: at least 97% of the rate answered, nothing dropped, no
	// error, p99 under 1 s. PipelineKeepsUp: the end-to-end p99 under 1 s.
	AddsKeepUp      bool      `json:"adds_keep_up"`
	PipelineKeepsUp bool      `json:"pipeline_keeps_up"`
	Sustainable     bool      `json:"sustainable"`
	Latency         Latency   `json:"latency"`
	E2E             Latency   `json:"e2e"`
	E2ESamples      []float64 `json:"-"` // ms, sorted; for the CDF plot
}

// Drain is the backlog run: Events accepted with the broker stopped, then
// the broker started and the time until GET /total counts them all.
type Drain struct {
	Events        int64   `json:"events"`
	AccumulateS   float64 `json:"accumulate_s"`
	BrokerStartS  float64 `json:"broker_start_s"`
	FirstCountedS float64 `json:"first_counted_s"` // broker ready → totals' applied count first moves
	DrainS        float64 `json:"drain_s"`         // first move → last event counted
	EventsPerS    float64 `json:"events_per_s"`    // Events / DrainS
	FromReadyS    float64 `json:"from_ready_s"`    // broker ready → last event counted
}

// Throughput is a request rate with its latency.
type Throughput struct {
	Conns   int     `json:"conns"`
	Seconds float64 `json:"seconds"`
	PerS    float64 `json:"per_s"`
	Errors  int64   `json:"errors"`
	Latency Latency `json:"latency"`
}

// TotalGet is GET /total at Conns connections, alone and while Adds run.
type TotalGet struct {
	Alone Throughput `json:"alone"`
	// CPU microseconds per request, alone: the totals service's and the
	// harness's (the client) on the same cores.
	ServerUSPerReq float64    `json:"server_us_per_request"`
	ClientUSPerReq float64    `json:"client_us_per_request"`
	UnderAdds      Throughput `json:"under_adds"`
	AddsPerS       float64    `json:"adds_per_s"` // the Add rate meanwhile
	AddsInFlight   int        `json:"adds_in_flight"`
}

// Footprint is the services' resident memory and the state file's size
// before and after Events went through the whole chain.
type Footprint struct {
	Events            int64   `json:"events"`
	CalculatorBefore  float64 `json:"calculator_before_mb"`
	CalculatorAfter   float64 `json:"calculator_after_mb"`
	CalculatorPeak    float64 `json:"calculator_peak_mb"`
	TotalsBefore      float64 `json:"totals_before_mb"`
	TotalsAfter       float64 `json:"totals_after_mb"`
	TotalsPeak        float64 `json:"totals_peak_mb"`
	StateBytesBefore  int64   `json:"state_bytes_before"`
	StateBytesAfter   int64   `json:"state_bytes_after"`
	OutboxBytesBefore int64   `json:"outbox_bytes_before"`
	OutboxBytesAfter  int64   `json:"outbox_bytes_after"`
	Flat              bool    `json:"flat"`
}

// FlatRSS is the judgement "stays flat": after is within 25% or 16 MB of before.
func FlatRSS(before, after float64) bool { return after <= before*1.25 || after-before <= 16 }

// GroupCommit compares the outbox's group commit with one commit per Add
// at the same durability (synchronous=FULL), 64 concurrent callers.
type GroupCommit struct {
	BatchedPerS float64 `json:"batched_per_s"`
	SinglePerS  float64 `json:"single_per_s"`
	Ratio       float64 `json:"ratio"`
	Source      string  `json:"source"`
}

// CPUSplit is where the machine's CPU went while Adds ran closed loop at
// InFlight: each process's CPU time (user + system) over the Adds answered.
// The last entry is the rest of the machine (the kernel's network and disk
// work on no process's account, other programs).
type CPUSplit struct {
	InFlight  int          `json:"in_flight"`
	Seconds   float64      `json:"seconds"`
	Adds      int64        `json:"adds"`
	PerS      float64      `json:"per_s"`
	Processes []ProcessCPU `json:"processes"`
	BusyCores float64      `json:"busy_cores"` // the whole machine
}

// ProcessCPU is one process's share of a CPUSplit.
type ProcessCPU struct {
	Name     string  `json:"name"`
	Cores    float64 `json:"cores"`      // CPU seconds per second
	USPerAdd float64 `json:"us_per_add"` // CPU microseconds per Add answered
}

// Profile is one pprof profile taken during the run and its top entries.
type Profile struct {
	Name string   `json:"name"`
	File string   `json:"file"`
	Top  []string `json:"top"`
}

// Results is everything one make bench run measured. The flat fields at the
// top are the stable summary other tools read; Finish fills them.
type Results struct {
	Commit        string             `json:"commit"`
	Cores         int                `json:"cores"`
	CPUModel      string             `json:"cpu_model"`
	Mode          string             `json:"mode"`
	Started       time.Time          `json:"started"`
	Seconds       float64            `json:"seconds"`
	AddPerS       map[string]float64 `json:"add_per_s"`
	AddP99Ms      map[string]float64 `json:"add_p99_ms"`
	CeilingPerS   float64            `json:"ceiling_per_s"`
	DurableRatio  float64            `json:"durable_to_ceiling_ratio"`
	GroupRatio    float64            `json:"group_commit_ratio"`
	E2EP99Ms      map[string]float64 `json:"e2e_p99_ms"`
	Sustainable   float64            `json:"highest_sustainable_per_s"`
	AddsOnly      float64            `json:"highest_rate_adds_keep_up"`
	DrainPerS     float64            `json:"drain_events_per_s"`
	TotalGetPerS  float64            `json:"total_get_per_s"`
	TotalGetP99Ms float64            `json:"total_get_p99_ms"`
	RSSMB         map[string]float64 `json:"rss_mb"`
	Settings      map[string]string  `json:"settings"`
	Closed        []Closed           `json:"closed_loop"`
	Ceiling       []Closed           `json:"ceiling"`
	Open          []Open             `json:"open_loop"`
	Drain         *Drain             `json:"drain,omitempty"`
	TotalGet      *TotalGet          `json:"total_get,omitempty"`
	Footprint     *Footprint         `json:"footprint,omitempty"`
	Group         *GroupCommit       `json:"group_commit,omitempty"`
	CPU           *CPUSplit          `json:"cpu_split,omitempty"`
	Profiles      []Profile          `json:"profiles,omitempty"`
	Errors        []string           `json:"errors,omitempty"`
}

// Finish computes the summary fields from the detailed results.
func (r *Results) Finish() {
	r.AddPerS, r.AddP99Ms, r.E2EP99Ms = map[string]float64{}, map[string]float64{}, map[string]float64{}
	var durable64 float64
	for _, c := range r.Closed {
		k := strconv.Itoa(c.InFlight)
		r.AddPerS[k], r.AddP99Ms[k] = round1(c.PerS), c.P99
		if c.InFlight == 64 {
			durable64 = c.PerS
		}
	}
	for _, c := range r.Ceiling {
		if c.InFlight == 64 {
			r.CeilingPerS = round1(c.PerS)
		}
	}
	if r.CeilingPerS > 0 {
		r.DurableRatio = math.Round(durable64/r.CeilingPerS*1000) / 1000
	}
	r.Sustainable, r.AddsOnly = 0, 0
	for _, o := range r.Open {
		if o.E2E.N > 0 {
			r.E2EP99Ms[rateKey(o.Rate)] = o.E2E.P99
		}
		if o.Sustainable {
			r.Sustainable = max(r.Sustainable, o.Rate)
		}
		if o.AddsKeepUp {
			r.AddsOnly = max(r.AddsOnly, o.Rate)
		}
	}
	if r.Drain != nil {
		r.DrainPerS = round1(r.Drain.EventsPerS)
	}
	if r.TotalGet != nil {
		r.TotalGetPerS, r.TotalGetP99Ms = round1(r.TotalGet.Alone.PerS), r.TotalGet.Alone.Latency.P99
	}
	if f := r.Footprint; f != nil {
		r.RSSMB = map[string]float64{"calculator_before": f.CalculatorBefore, "calculator_after": f.CalculatorAfter,
			"totals_before": f.TotalsBefore, "totals_after": f.TotalsAfter}
	}
	if r.Group != nil {
		r.GroupRatio = r.Group.Ratio
	}
}

func rateKey(r float64) string { return strconv.FormatFloat(math.Round(r), 'f', -1, 64) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Write writes report.json, report.md and the plots into dir. A plot that
// cannot be drawn is reported in the returned error; the other files are
// still written.
func Write(dir string, r *Results) error {
	r.Finish()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	plotErr := Plots(dir, r)
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(Markdown(r)), 0o644); err != nil {
		return err
	}
	if plotErr != nil {
		return fmt.Errorf("plots: %w", plotErr)
	}
	return nil
}
