package consumer

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/distsum/distsum/services/totals/internal/ledger"
)

// Metrics are the totals_* metrics.
type Metrics struct {
	applied, duplicates, malformed, flushes, flushErrors prometheus.Counter
	unverified                                           prometheus.Counter
	lag                                                  *prometheus.GaugeVec
	collisions                                           *prometheus.CounterVec
	endToEnd, flushDuration                              prometheus.Histogram
	total                                                prometheus.Gauge
	unassigned, rereading                                prometheus.Gauge
}

// newMetrics registers the consumer metrics on reg; the sequence-gap and
// held-event figures are read from the ledger's durable view at scrape time.
func newMetrics(reg prometheus.Registerer, l *ledger.Ledger) *Metrics {
	f := promauto.With(reg)
	f.NewCounterFunc(prometheus.CounterOpts{Name: "totals_sequence_gaps_total", Help: "Events that arrived ahead of a missing one of their producer and were held."},
		func() float64 { return float64(l.View().Stats.Gaps) })
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "totals_held_events", Help: "Events held ahead of a missing one (a value that stays above 0 means events are missing upstream)."},
		func() float64 { return float64(l.View().Held) })
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "totals_missing_events", Help: "Producer sequences known to be missing (events held behind them wait; above 0 for long: records were lost upstream or deleted before they were read)."},
		func() float64 {
			n := uint64(0)
			for _, g := range l.View().Gaps {
				n += g.Missing
			}
			return float64(n)
		})
	f.NewCounterFunc(prometheus.CounterOpts{Name: "totals_records_deleted_unread_total", Help: "Offsets deleted from Kafka (retention, DeleteRecords) before this state read them: records that cannot be counted (kept in the state file)."},
		func() float64 { return float64(l.View().Stats.DeletedUnread) })
	return &Metrics{
		applied:    f.NewCounter(prometheus.CounterOpts{Name: "totals_events_applied_total", Help: "Sum events added to the total."}),
		duplicates: f.NewCounter(prometheus.CounterOpts{Name: "totals_duplicates_skipped_total", Help: "Events skipped because their producer sequence was already applied."}),
		unverified: f.NewCounter(prometheus.CounterOpts{Name: "totals_duplicates_unverified_total",
			Help: "Duplicates (skipped) whose content could not be compared with the counted event: behind the fingerprint window, or counted before the process started."}),
		collisions: f.NewCounterVec(prometheus.CounterOpts{Name: "totals_sequence_collisions_total",
			Help: "Records whose producer sequence was already counted (or held) with other content: two writers under one producer id, or a forged record. Parked in the dead-letter file, not counted."}, []string{"producer"}),
		malformed:   f.NewCounter(prometheus.CounterOpts{Name: "totals_malformed_records_total", Help: "Records that could not be applied and were parked in the dead-letter file."}),
		flushes:     f.NewCounter(prometheus.CounterOpts{Name: "totals_state_flushes_total", Help: "State file saves."}),
		flushErrors: f.NewCounter(prometheus.CounterOpts{Name: "totals_state_flush_errors_total", Help: "Failed state file saves (retried; the last saved total is kept)."}),
		lag:         f.NewGaugeVec(prometheus.GaugeOpts{Name: "totals_consumer_lag", Help: "Records of the partition not yet applied: its end offset (last stable offset, read from the broker every lag interval) minus the next offset the state needs."}, []string{"partition"}),
		endToEnd: f.NewHistogram(prometheus.HistogramOpts{Name: "totals_end_to_end_latency_seconds", Help: "From Add accepted by the calculator to its sum durably in the total.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}),
		flushDuration: f.NewHistogram(prometheus.HistogramOpts{Name: "totals_state_flush_duration_seconds", Help: "Time to write and fsync the state file.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1}}),
		total: f.NewGauge(prometheus.GaugeOpts{Name: "totals_total", Help: "The durable running total (float approximation; GET /total is exact)."}),
		rereading: f.NewGauge(prometheus.GaugeOpts{Name: "totals_topic_rereading",
			Help: "1 while the topic is read again from its oldest record because the state's offsets are not in it (the topic was deleted and created again)."}),
		unassigned: f.NewGauge(prometheus.GaugeOpts{Name: "totals_partitions_unassigned",
			Help: "Partitions of the topic this replica's session does not read (above 0: TOTALS_GROUP_ID is shared with another replica; GET /total answers 503)."}),
	}
}
