package observability

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distsum/distsum/tests/testkit"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	gfdashboard "github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// The panel and query kinds the dashboards use: registered so that their options, field config
// and targets are checked against their own schemas, not accepted as opaque JSON.
func init() {
	rt := cog.NewRuntime()
	rt.RegisterPanelcfgVariant(timeseries.VariantConfig())
	rt.RegisterPanelcfgVariant(stat.VariantConfig())
	rt.RegisterDataqueryVariant(prometheus.VariantConfig())
}

// knownPanelTypes are the panel types whose schema is registered above (a row has its own type
// in the dashboard schema).
var knownPanelTypes = map[string]bool{"timeseries": true, "stat": true, "row": true}

// validateDashboard decodes a dashboard with the Grafana Foundation SDK's strict decoder (an
// unknown field, a missing required one or a wrong type is an error) and checks the schema's
// constraints.
func validateDashboard(raw []byte) error {
	var d gfdashboard.Dashboard
	if err := schemaErr(d.UnmarshalJSONStrict(raw)); err != nil {
		return err
	}
	return schemaErr(d.Validate())
}

// schemaErr turns the SDK's empty error list into nil: its decoders return their (possibly
// empty) cog.BuildErrors as an error, which is never nil.
func schemaErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testkit.Root(t), "observability", "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateDashboard(raw); err != nil {
			t.Errorf("%s does not match Grafana's dashboard schema: %v", filepath.Base(f), err)
		}
	}
	for file, d := range loadDashboards(t) {
		for _, p := range flatPanels(d.Panels) {
			if !knownPanelTypes[p.Type] {
				t.Errorf("%s: panel %q has type %q, whose schema this test does not register", file, p.Title, p.Type)
			}
		}
	}
}

// TestSchemaValidationRejectsBrokenDashboards is the negative control: broken copies of the real
// dashboard must fail validation, each for its own reason.
func TestSchemaValidationRejectsBrokenDashboards(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testkit.Root(t), "observability", "grafana", "dashboards", "distsum-overview.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := string(raw)
	if err := validateDashboard(raw); err != nil {
		t.Fatalf("the unbroken dashboard must validate: %v", err)
	}
	breaks := []struct{ name, old, new string }{
		{"unknown dashboard field", `"uid": "distsum-overview",`, `"uid": "distsum-overview", "uidd": "x",`},
		{"wrong type in gridPos", `"w": 24,`, `"w": "24",`},
		{"unknown field in a prometheus target", `"legendFormat": "{{grpc_code}}",`, `"legendFormat": "{{grpc_code}}", "exprr": "up",`},
		{"unknown timeseries option", `"showLegend": true`, `"showLegend": true, "showLegendd": true`},
		{"wrong type in a template variable", `"multi": true,`, `"multi": "yes",`},
		{"panel without a type", `"type": "timeseries",`, ``},
		{"fiscal year month out of range", `"uid": "distsum-overview",`, `"uid": "distsum-overview", "fiscalYearStartMonth": 12,`},
	}
	for _, b := range breaks {
		if !strings.Contains(good, b.old) {
			t.Fatalf("%s: the dashboard no longer contains %q; update the negative control", b.name, b.old)
		}
		broken := strings.Replace(good, b.old, b.new, 1)
		if err := validateDashboard([]byte(broken)); err == nil {
			t.Errorf("%s: a dashboard with this change validated", b.name)
		} else {
			t.Logf("%s: rejected: %.200v", b.name, err)
		}
	}
}
