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

// chart is what sets one plot apart from another; draw does the rest the same way for all.
type chart struct {
	title, x, y string
	logX, logY  plot.Ticker // a log scale on that axis, with these ticks; nil: linear
	fraction    bool        // y runs from 0 to 1
	legendTL    bool        // legend top left (else bottom right)
	points      bool        // mark each point on the lines
}

// series is one named line.
type series struct {
	name string
	xy   plotter.XYs
}

// draw writes c with one line per series (an empty one is left out) as a PNG at path.
func draw(path string, c chart, lines []series) error {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = c.title, c.x, c.y
	if c.logX != nil {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, c.logX
	}
	if c.logY != nil {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, c.logY
	}
	if c.fraction {
		p.Y.Min, p.Y.Max = 0, 1
	}
	p.Legend.Top, p.Legend.Left = c.legendTL, c.legendTL
	var args []any
	for _, l := range lines {
		if len(l.xy) > 0 {
			args = append(args, l.name, l.xy)
		}
	}
	add := plotutil.AddLines
	if c.points {
		add = plotutil.AddLinePoints
	}
	if err := add(p, args...); err != nil {
		return err
	}
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

func plotThroughput(path string, r *Results) error {
	perS := func(runs []Closed) plotter.XYs {
		var xy plotter.XYs
		for _, c := range runs {
			if c.PerS > 0 {
				xy = append(xy, plotter.XY{X: float64(c.InFlight), Y: c.PerS})
			}
		}
		return xy
	}
	return draw(path, chart{
		title: "Add/s against Adds in flight (closed loop)", x: "Adds in flight", y: "Adds/s",
		logX: plot.LogTicks{Prec: -1}, legendTL: true, points: true,
	}, []series{{"durable (calculator)", perS(r.Closed)}, {"ceiling (no storage)", perS(r.Ceiling)}})
}

func plotLatencyByRate(path string, r *Results) error {
	pick := []struct {
		name string
		f    func(Latency) float64
	}{{"p50", func(l Latency) float64 { return l.P50 }}, {"p90", func(l Latency) float64 { return l.P90 }},
		{"p99", func(l Latency) float64 { return l.P99 }}, {"max", func(l Latency) float64 { return l.Max }}}
	var lines []series
	for _, q := range pick {
		var xy plotter.XYs
		for _, o := range r.Open {
			if v := q.f(o.Latency); v > 0 {
				xy = append(xy, plotter.XY{X: o.Rate, Y: v})
			}
		}
		lines = append(lines, series{q.name, xy})
	}
	return draw(path, chart{
		title: "Add latency seen by the client against arrival rate (open loop)",
		x:     "arrival rate (Adds/s)", y: "latency (ms, log)",
		logY: tickets125{}, legendTL: true, points: true,
	}, lines)
}

func plotE2ECDF(path string, r *Results) error {
	var lines []series
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
		lines = append(lines, series{fmt.Sprintf("%.0f Adds/s", o.Rate), xy})
	}
	if len(lines) == 0 {
		return nil // no open-loop samples: no plot
	}
	return draw(path, chart{
		title: "Add accepted → counted in GET /total: CDF per arrival rate",
		x:     "latency (ms, log)", y: "fraction of Adds",
		logX: tickets125{}, fraction: true,
	}, lines)
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
