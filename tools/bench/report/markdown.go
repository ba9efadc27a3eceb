package report

import (
	"fmt"
	"slices"
	"strings"
)

// Markdown renders the report.
func Markdown(r *Results) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# make bench — %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	w("Commit `%s`, %d cores (%s), mode %s, %.0f s.\n\n", r.Commit, r.Cores, r.CPUModel, r.Mode, r.Seconds)
	if len(r.Settings) > 0 {
		w("Settings:\n\n")
		keys := make([]string, 0, len(r.Settings))
		for k := range r.Settings {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			w("- %s: %s\n", k, r.Settings[k])
		}
		w("\n")
	}
	if len(r.Errors) > 0 {
		w("**Steps that failed:**\n\n")
		for _, e := range r.Errors {
			w("- %s\n", e)
		}
		w("\n")
	}

	if len(r.Closed) > 0 || len(r.Ceiling) > 0 {
		w("## Durable Add, closed loop\n\n")
		w("Each caller sends its next Add when the last is answered (unique `request_id`s); connections are reused. ")
		w("The ceiling is a gRPC server with the same contract that stores nothing, driven the same way.\n\n")
		w("| in flight | conns | Adds/s | p50 ms | p90 ms | p99 ms | max ms | errors | ceiling Adds/s | durable / ceiling |\n")
		w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		ceil := map[int]Closed{}
		for _, c := range r.Ceiling {
			ceil[c.InFlight] = c
		}
		for _, c := range r.Closed {
			cs, ratio := "", ""
			if x, ok := ceil[c.InFlight]; ok && x.PerS > 0 {
				cs, ratio = fmt.Sprintf("%.0f", x.PerS), fmt.Sprintf("%.3f", c.PerS/x.PerS)
			}
			w("| %d | %d | %.0f | %s | %s | %s | %s | %d | %s | %s |\n", c.InFlight, c.Conns, c.PerS, f2(c.P50), f2(c.P90), f2(c.P99), f2(c.Max), c.Errors, cs, ratio)
		}
		w("\n![Add/s against in flight](%s)\n\n", PlotAddPerS)
		if r.CeilingPerS > 0 {
			w("At 64 in flight: durable %.0f Adds/s, ceiling %.0f Adds/s, ratio **%.3f**.\n\n", r.AddPerS["64"], r.CeilingPerS, r.DurableRatio)
		}
	}
	if c := r.CPU; c != nil && c.Adds > 0 {
		w("## Where the CPU goes (%d in flight)\n\n", c.InFlight)
		w("%d Adds in %.1f s (%.0f/s), closed loop; CPU time (user + system) of each process over the Adds answered. ", c.Adds, c.Seconds, c.PerS)
		w("The machine was %.2f of %d cores busy.\n\n", c.BusyCores, r.Cores)
		w("| process | cores busy | CPU µs per Add |\n|---|---:|---:|\n")
		total := 0.0
		for _, p := range c.Processes {
			w("| %s | %.2f | %.0f |\n", p.Name, p.Cores, p.USPerAdd)
			total += p.USPerAdd
		}
		w("| **all** | %.2f | %.0f |\n\n", c.BusyCores, total)
		if total > 0 {
			w("At %.0f µs of CPU per Add, %d cores answer at most %.0f Adds/s with everything on one machine.\n\n", total, r.Cores, float64(r.Cores)*1e6/total)
		}
	}
	if g := r.Group; g != nil {
		w("## Group commit\n\n")
		w("%s: group commit %.0f appends/s, one commit per Add %.0f appends/s: **%.1f×**.\n\n", g.Source, g.BatchedPerS, g.SinglePerS, g.Ratio)
	}
	if len(r.Open) > 0 {
		w("## Open loop: fixed arrival rates\n\n")
		w("Adds are sent on a fixed schedule whatever the answers; latency counts from the scheduled send time, so it includes queueing. ")
		w("End-to-end is Add answered → counted in `GET /total?after=TOKEN`, on a sample of the Adds. ")
		w("Adds keep up: at least 97%% of the rate answered, none dropped, no error, p99 under 1 s. ")
		w("The pipeline keeps up: end-to-end p99 under 1 s (a pipeline slower than the arrival rate falls further behind every second). ")
		w("Sustainable: both.\n\n")
		w("| rate /s | achieved /s | p50 ms | p90 ms | p99 ms | max ms | errors | dropped | Adds keep up | e2e n | e2e p50 ms | e2e p99 ms | pipeline keeps up |\n")
		w("|---:|---:|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|:---:|\n")
		for _, o := range r.Open {
			w("| %.0f | %.0f | %s | %s | %s | %s | %d | %d | %s | %d | %s | %s | %s |\n", o.Rate, o.Achieved, f2(o.Latency.P50), f2(o.Latency.P90),
				f2(o.Latency.P99), f2(o.Latency.Max), o.Errors, o.Dropped, yes(o.AddsKeepUp), o.E2E.N, f2(o.E2E.P50), f2(o.E2E.P99), yes(o.PipelineKeepsUp))
		}
		w("\nHighest sustainable rate found: **%.0f Adds/s**", r.Sustainable)
		if r.AddsOnly > r.Sustainable {
			w(" (Adds alone kept up to %.0f/s, the pipeline behind them did not)", r.AddsOnly)
		}
		w(".\n\n")
		w("![latency against arrival rate](%s)\n\n![end-to-end CDF](%s)\n\n", PlotLatencyByRate, PlotE2ECDF)
	}
	if d := r.Drain; d != nil {
		w("## Drain\n\n")
		w("%d Adds accepted with the broker stopped (%.1f s), then the broker started (%.1f s to ready). ", d.Events, d.AccumulateS, d.BrokerStartS)
		w("Totals' count first moved %.1f s after the broker was ready (the relay's retry backoff, reconnects, the consumer group's rejoin); ", d.FirstCountedS)
		w("from there every event was counted in %.2f s: **%.0f events/s** (%.1f s from broker ready).", d.DrainS, d.EventsPerS, d.FromReadyS)
		if d.DrainS < 1 {
			w(" A drain under a second is too short to measure well (progress is polled every 20 ms): use the default or long mode.")
		}
		w("\n\n")
	}
	if t := r.TotalGet; t != nil {
		w("## GET /total\n\n")
		w("| | conns | requests/s | p50 ms | p99 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|---:|\n")
		w("| alone | %d | %.0f | %s | %s | %s | %d |\n", t.Alone.Conns, t.Alone.PerS, f2(t.Alone.Latency.P50), f2(t.Alone.Latency.P99), f2(t.Alone.Latency.Max), t.Alone.Errors)
		w("| while Adds run (%d in flight, %.0f Adds/s) | %d | %.0f | %s | %s | %s | %d |\n\n", t.AddsInFlight, t.AddsPerS, t.UnderAdds.Conns, t.UnderAdds.PerS,
			f2(t.UnderAdds.Latency.P50), f2(t.UnderAdds.Latency.P99), f2(t.UnderAdds.Latency.Max), t.UnderAdds.Errors)
		if t.ServerUSPerReq > 0 {
			w("Alone, each request cost the totals service %.0f µs of CPU and the client (this harness, same cores) %.0f µs; ", t.ServerUSPerReq, t.ClientUSPerReq)
			w("with %d requests always in flight, each waits its turn behind the others: the mean latency is %d / (requests/s) = %.2f ms.\n\n",
				t.Alone.Conns, t.Alone.Conns, float64(t.Alone.Conns)*1000/t.Alone.PerS)
		}
	}
	if f := r.Footprint; f != nil {
		w("## Memory and state size\n\n")
		w("Across %d events through the whole chain (RSS from /proc/PID/status VmRSS):\n\n", f.Events)
		w("| | before | after | peak |\n|---|---:|---:|---:|\n")
		w("| calculator RSS MB | %.1f | %.1f | %.1f |\n", f.CalculatorBefore, f.CalculatorAfter, f.CalculatorPeak)
		w("| totals RSS MB | %.1f | %.1f | %.1f |\n", f.TotalsBefore, f.TotalsAfter, f.TotalsPeak)
		w("| totals state file bytes | %d | %d | |\n", f.StateBytesBefore, f.StateBytesAfter)
		w("| calculator outbox bytes (db + wal) | %d | %d | |\n\n", f.OutboxBytesBefore, f.OutboxBytesAfter)
		w("Flat (each RSS within 25%% or 16 MB of its start, state file within 1 KiB): **%s**. ", yes(f.Flat))
		w("The outbox is outside that check: published events are kept for `CALCULATOR_OUTBOX_RETENTION` (1 h) before pruning, so it grows during a run.\n\n")
	}
	if len(r.Profiles) > 0 {
		w("## Profiles (64 in flight)\n\n")
		for _, p := range r.Profiles {
			w("### %s (`%s`)\n\n```\n%s\n```\n\n", p.Name, p.File, strings.Join(p.Top, "\n"))
		}
	}
	return b.String()
}

func f2(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
