package report

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Plot file names, relative to the report's directory.
const (
	PlotAddPerS       = "add_per_s.png"
	PlotLatencyByRate = "latency_by_rate.png"
	PlotE2ECDF        = "e2e_cdf.png"
)

// Plots draws Add/s against in-flight (durable and ceiling), Add latency
// percentiles against arrival rate, and the end-to-end latency CDF per rate.
func Plots(dir string, r *Results) error {
	var errs []error
	if len(r.Closed) > 0 || len(r.Ceiling) > 0 {
		errs = append(errs, plotThroughput(filepath.Join(dir, PlotAddPerS), r))
	}
	if len(r.Open) > 0 {
		errs = append(errs, plotLatencyByRate(filepath.Join(dir, PlotLatencyByRate), r))
		errs = append(errs, plotE2ECDF(filepath.Join(dir, PlotE2ECDF), r))
	}
	return errors.Join(errs...)
}

func plotThroughput(path string, r *Results) error {
	p := plot.New()
	p.Title.Text = "Add/s against Adds in flight (closed loop)"
	p.X.Label.Text = "Adds in flight"
	p.Y.Label.Text = "Adds/s"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	p.Legend.Left = true
	var args []any
	for _, s := range []struct {
		name string
		runs []Closed
	}{{"durable (calculator)", r.Closed}, {"ceiling (no storage)", r.Ceiling}} {
		var xy plotter.XYs
		for _, c := range s.runs {
			if c.PerS > 0 {
				xy = append(xy, plotter.XY{X: float64(c.InFlight), Y: c.PerS})
			}
		}
		if len(xy) > 0 {
			args = append(args, s.name, xy)
		}
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

func plotLatencyByRate(path string, r *Results) error {
	p := plot.New()
	p.Title.Text = "Add latency seen by the client against arrival rate (open loop)"
	p.X.Label.Text = "arrival rate (Adds/s)"
	p.Y.Label.Text = "latency (ms, log)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = tickets125{}
	p.Legend.Top = true
	p.Legend.Left = true
	pick := []struct {
		name string
		f    func(Latency) float64
	}{{"p50", func(l Latency) float64 { return l.P50 }}, {"p90", func(l Latency) float64 { return l.P90 }},
		{"p99", func(l Latency) float64 { return l.P99 }}, {"max", func(l Latency) float64 { return l.Max }}}
	var args []any
	for _, q := range pick {
		var xy plotter.XYs
		for _, o := range r.Open {
			if v := q.f(o.Latency); v > 0 {
				xy = append(xy, plotter.XY{X: o.Rate, Y: v})
			}
		}
		if len(xy) > 0 {
			args = append(args, q.name, xy)
		}
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

func plotE2ECDF(path string, r *Results) error {
	p := plot.New()
	p.Title.Text = "Add accepted → counted in GET /total: CDF per arrival rate"
	p.X.Label.Text = "latency (ms, log)"
	p.Y.Label.Text = "fraction of Adds"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = tickets125{}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = false
	p.Legend.Left = false
	var args []any
	for _, o := range r.Open {
		s := o.E2ESamples
		if len(s) == 0 {
			continue
		}
		var xy plotter.XYs
		step := max(1, len(s)/400) // enough points for a smooth line
		for i := 0; i < len(s); i += step {
			xy = append(xy, plotter.XY{X: max(s[i], 0.01), Y: float64(i+1) / float64(len(s))})
		}
		xy = append(xy, plotter.XY{X: max(s[len(s)-1], 0.01), Y: 1})
		args = append(args, fmt.Sprintf("%.0f Adds/s", o.Rate), xy)
	}
	if len(args) == 0 {
		return nil
	}
	if err := plotutil.AddLines(p, args...); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// tickets125 labels a log axis at 1, 2 and 5 times each power of ten, so a
// range within one decade still gets labels.
type tickets125 struct{}

func (tickets125) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for dec := math.Pow(10, math.Floor(math.Log10(lo))); dec <= hi; dec *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * dec; v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ticks
}
