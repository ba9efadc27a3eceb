// Package metricstest reads metric values for tests: from a registry a unit test holds, or from a
// running service's /metrics endpoint. Only tests import it.
package metricstest

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Find is the value of the counter or gauge name among families: its first series or, given
// label pairs (name, value, ...), the first series carrying all of them. ok is false when there is
// no such series.
func Find(families []*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	if len(labels)%2 != 0 {
		panic("metricstest: labels come in name, value pairs")
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				if c := m.GetCounter(); c != nil {
					return c.GetValue(), true
				}
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Gathered is Find over what g gathers now; a missing series fails the test.
func Gathered(t testing.TB, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	v, ok := Find(families, name, labels...)
	if !ok {
		t.Fatalf("no metric %s %v", name, labels)
	}
	return v
}

// Scrape is Find over what GET url (a /metrics endpoint, in the text format) answers. A failed
// request, a status other than 200 and a missing series are errors.
func Scrape(ctx context.Context, url, name string, labels ...string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", url, err)
	}
	families := make([]*dto.MetricFamily, 0, len(parsed))
	for _, f := range parsed {
		families = append(families, f)
	}
	v, ok := Find(families, name, labels...)
	if !ok {
		return 0, fmt.Errorf("no metric %s %v at %s", name, labels, url)
	}
	return v, nil
}
