package consumer

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the totals_* metrics.
type Metrics struct {
	applied, duplicates, malformed, flushes, flushErrors prometheus.Counter
	lag                                                  *prometheus.GaugeVec
	endToEnd, flushDuration                              prometheus.Histogram
	total                                                prometheus.Gauge
}

// NewMetrics registers the consumer metrics on reg. gaps and held read the
// ledger's durable view at scrape time.
func NewMetrics(reg prometheus.Registerer, gaps, held func() float64) *Metrics {
	m := &Metrics{
		applied:     prometheus.NewCounter(prometheus.CounterOpts{Name: "totals_events_applied_total", Help: "Sum events added to the total."}),
		duplicates:  prometheus.NewCounter(prometheus.CounterOpts{Name: "totals_duplicates_skipped_total", Help: "Events skipped because their producer sequence was already applied."}),
		malformed:   prometheus.NewCounter(prometheus.CounterOpts{Name: "totals_malformed_records_total", Help: "Records that could not be applied and were parked in the dead-letter file."}),
		flushes:     prometheus.NewCounter(prometheus.CounterOpts{Name: "totals_state_flushes_total", Help: "State file saves."}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "totals_state_flush_errors_total", Help: "Failed state file saves (retried; the last saved total is kept)."}),
		lag:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "totals_consumer_lag", Help: "Records behind the partition's high-water mark."}, []string{"partition"}),
		endToEnd: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "totals_end_to_end_latency_seconds", Help: "From Add accepted by the calculator to its sum durably in the total.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "totals_state_flush_duration_seconds", Help: "Time to write and fsync the state file.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1}}),
		total: prometheus.NewGauge(prometheus.GaugeOpts{Name: "totals_total", Help: "The durable running total (float approximation; GET /total is exact)."}),
	}
	gapsF := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "totals_sequence_gaps_total", Help: "Events that arrived ahead of a missing one of their producer and were held."}, gaps)
	heldF := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "totals_held_events", Help: "Events held ahead of a missing one (a value that stays above 0 means events are missing upstream)."}, held)
	reg.MustRegister(m.applied, m.duplicates, m.malformed, m.flushes, m.flushErrors, m.lag, m.endToEnd, m.flushDuration, m.total, gapsF, heldF)
	return m
}
