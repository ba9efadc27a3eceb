package outbox

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// CommitMetrics records group-commit statistics (outbox_* metrics).
type CommitMetrics struct {
	appends, commits, replays, errors prometheus.Counter
	size, duration                    prometheus.Histogram
}

// NewCommitMetrics registers the commit metrics on reg.
func NewCommitMetrics(reg prometheus.Registerer) *CommitMetrics {
	f := promauto.With(reg)
	return &CommitMetrics{
		appends: f.NewCounter(prometheus.CounterOpts{Name: "outbox_appends_total", Help: "Appends committed to the outbox (including idempotent replays)."}),
		commits: f.NewCounter(prometheus.CounterOpts{Name: "outbox_group_commits_total", Help: "Outbox transactions committed (each one fsync)."}),
		replays: f.NewCounter(prometheus.CounterOpts{Name: "outbox_idempotent_replays_total", Help: "Appends answered from an earlier append with the same request_id."}),
		errors:  f.NewCounter(prometheus.CounterOpts{Name: "outbox_commit_errors_total", Help: "Outbox transactions that failed (their appends were not acknowledged)."}),
		size: f.NewHistogram(prometheus.HistogramOpts{Name: "outbox_group_commit_size", Help: "Appends per outbox commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		duration: f.NewHistogram(prometheus.HistogramOpts{Name: "outbox_commit_duration_seconds", Help: "Time to write and fsync one outbox commit.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1}}),
	}
}

// ObserveCommit implements Observer.
func (m *CommitMetrics) ObserveCommit(batch, replays int, d time.Duration, err error) {
	if err != nil {
		m.errors.Inc()
		return
	}
	m.appends.Add(float64(batch))
	m.replays.Add(float64(replays))
	m.commits.Inc()
	m.size.Observe(float64(batch))
	m.duration.Observe(d.Seconds())
}

// backlogCollector reads the backlog from the database at scrape time.
type backlogCollector struct {
	store      Backlogger
	count, age *prometheus.Desc
}

// RegisterBacklogMetrics exposes outbox_backlog_events and
// outbox_oldest_pending_age_seconds, read from the store on each scrape.
func RegisterBacklogMetrics(reg prometheus.Registerer, s Backlogger) {
	reg.MustRegister(&backlogCollector{
		store: s,
		count: prometheus.NewDesc("outbox_backlog_events", "Events accepted but not yet acknowledged by Kafka.", nil, nil),
		age:   prometheus.NewDesc("outbox_oldest_pending_age_seconds", "Age of the oldest unpublished event (0 when none).", nil, nil),
	})
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.count; ch <- c.age }

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, oldest, err := c.store.Backlog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.count, err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = time.Since(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
}
