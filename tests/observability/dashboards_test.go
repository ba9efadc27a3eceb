package observability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/distsum/distsum/proto/calculatorpb"
	"github.com/distsum/distsum/services/totals/totalsclient"
	"github.com/distsum/distsum/tests/testkit"
	"github.com/distsum/distsum/tests/testkit/addload"
)

// contractMetrics is the metric contract of the services (team contract, "Metric names").
// Histograms are listed by base name; _bucket, _sum and _count are derived.
var contractMetrics = map[string]kind{
	// calculator, job "calculator", :8081/metrics
	"grpc_server_started_total":           counter,
	"grpc_server_handled_total":           counter,
	"grpc_server_handling_seconds":        histogram,
	"outbox_appends_total":                counter,
	"outbox_group_commits_total":          counter,
	"outbox_group_commit_size":            histogram,
	"outbox_commit_duration_seconds":      histogram,
	"outbox_backlog_events":               gauge,
	"outbox_oldest_pending_age_seconds":   gauge,
	"outbox_idempotent_replays_total":     counter,
	"relay_published_events_total":        counter,
	"relay_publish_errors_total":          counter,
	"relay_batch_size":                    histogram,
	"relay_publish_duration_seconds":      histogram,
	"http_requests_total":                 counter, // both services
	"http_request_duration_seconds":       histogram,
	"totals_events_applied_total":         counter, // totals, job "totals", :8083/metrics (ops address)
	"totals_duplicates_skipped_total":     counter,
	"totals_malformed_records_total":      counter,
	"totals_sequence_gaps_total":          counter,
	"totals_held_events":                  gauge,
	"totals_consumer_lag":                 gauge,
	"totals_end_to_end_latency_seconds":   histogram,
	"totals_state_flushes_total":          counter,
	"totals_state_flush_errors_total":     counter,
	"totals_state_flush_duration_seconds": histogram,
	"totals_total":                        gauge,
	// Replicas, checkpoints, lost records and collisions (totals); the shared
	// outbox's adoption, commit errors and panics (calculator); both services'
	// topic and readiness gauges.
	"totals_partitions_unassigned":        gauge,
	"totals_topic_rereading":              gauge,
	"totals_missing_events":               gauge,
	"totals_records_deleted_unread_total": counter,
	"totals_checkpoints_published_total":  counter,
	"totals_checkpoint_age_seconds":       gauge,
	"totals_sequence_collisions_total":    counter,
	"totals_duplicates_unverified_total":  counter,
	"outbox_adopted_events_total":         counter,
	"outbox_commit_errors_total":          counter,
	"grpc_server_panics_recovered_total":  counter,
	"kafka_topic_replication_factor":      gauge,
	"kafka_topic_min_insync_replicas":     gauge,
	"kafka_topic_unsafe":                  gauge,
	"readiness_check_up":                  gauge,
	// Prometheus itself.
	"up": gauge,
}

// Standard collectors of client_golang, registered by both services.
var standardPrefixes = []string{"go_", "process_"}

// requiredMetrics must each appear in at least one query of the overview dashboard: they are the
// operator's questions of DESIGN.md (Observability).
var requiredMetrics = []string{
	"grpc_server_handled_total", "grpc_server_handling_seconds_bucket",
	"http_requests_total", "http_request_duration_seconds_bucket",
	"outbox_backlog_events", "outbox_oldest_pending_age_seconds",
	"outbox_group_commit_size_bucket",
	"relay_published_events_total", "relay_publish_errors_total",
	"totals_consumer_lag", "totals_events_applied_total", "totals_duplicates_skipped_total",
	"totals_malformed_records_total", "totals_end_to_end_latency_seconds_bucket", "totals_total",
}

type kind int

const (
	counter kind = iota
	gauge
	histogram
)

func isContractMetric(name string) bool {
	if _, ok := contractMetrics[name]; ok {
		return true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if k, known := contractMetrics[base]; known && k == histogram {
				return true
			}
		}
	}
	for _, p := range standardPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ---- files ----

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	RefID      string          `json:"refId"`
	Expr       string          `json:"expr"`
	Datasource json.RawMessage `json:"datasource"`
	Hide       bool            `json:"hide"`
}

type gridPos struct {
	H, W, X, Y int
}

type panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	GridPos    *gridPos        `json:"gridPos"`
	Targets    []target        `json:"targets"`
	Panels     []panel         `json:"panels"` // rows (collapsed) keep their panels here
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []templateVar `json:"list"`
	} `json:"templating"`
}

type templateVar struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource json.RawMessage `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// query is one panel target expression, with where it comes from.
type query struct {
	Where string // file: panel title / refId
	Expr  string
}

func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testkit.Root(t), "observability", "grafana", "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no dashboard JSON under observability/grafana/dashboards")
	}
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: invalid JSON: %v", filepath.Base(f), err)
		}
		out[filepath.Base(f)] = d
	}
	return out
}

// flatPanels returns every panel, including those nested in collapsed rows.
func flatPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatPanels(p.Panels)...)
	}
	return out
}

func dashboardQueries(t *testing.T) []query {
	t.Helper()
	var qs []query
	for file, d := range loadDashboards(t) {
		for _, p := range flatPanels(d.Panels) {
			for _, tg := range p.Targets {
				if tg.Hide || strings.TrimSpace(tg.Expr) == "" {
					continue
				}
				qs = append(qs, query{Where: fmt.Sprintf("%s: %q/%s", file, p.Title, tg.RefID), Expr: tg.Expr})
			}
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].Where < qs[j].Where })
	return qs
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func alertQueries(t *testing.T) []query {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.Root(t), "observability", "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	var qs []query
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			qs = append(qs, query{Where: "alerts.yml: " + g.Name + "/" + r.Alert + r.Record, Expr: r.Expr})
		}
	}
	if len(qs) == 0 {
		t.Fatal("alerts.yml has no rules")
	}
	return qs
}

func provisionedDatasourceUID(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testkit.Root(t), "observability", "grafana", "provisioning", "datasources", "prometheus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name string `yaml:"name"`
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("datasource provisioning: %v", err)
	}
	if f.APIVersion != 1 || len(f.Datasources) != 1 {
		t.Fatalf("datasource provisioning: want apiVersion 1 and one datasource, got %d and %d", f.APIVersion, len(f.Datasources))
	}
	ds := f.Datasources[0]
	if ds.Type != "prometheus" || ds.UID == "" {
		t.Fatalf("datasource provisioning: want a prometheus datasource with a fixed uid, got type %q uid %q", ds.Type, ds.UID)
	}
	if ds.URL != "http://127.0.0.1:9095" {
		t.Errorf("datasource url %q, want the project's Prometheus http://127.0.0.1:9095", ds.URL)
	}
	return ds.UID
}

// ---- PromQL helpers ----

// offlineVars are the dashboard variables' values where no Prometheus is asked: every job and
// instance, as Grafana sends "All" (allValue ".*").
var offlineVars = map[string]string{"job": ".*", "instance": ".*"}

// grafanaVars replaces Grafana's built-in interval variables and the dashboard's job and instance
// variables (with offlineVars) so that an expression can be sent to Prometheus directly.
func grafanaVars(expr string) string { return substituteVars(expr, offlineVars) }

// substituteVars replaces the interval variables and each $name / ${name} of vars.
func substituteVars(expr string, vars map[string]string) string {
	rate := os.Getenv("PROM_RATE_INTERVAL")
	if rate == "" {
		rate = "1m"
	}
	pairs := []string{
		"$__rate_interval", rate,
		"${__rate_interval}", rate,
		"$__interval", "15s",
		"${__interval}", "15s",
		"$__range", "5m",
		"${__range}", "5m",
	}
	for name, v := range vars {
		pairs = append(pairs, "${"+name+"}", v, "$"+name, v)
	}
	return strings.NewReplacer(pairs...).Replace(expr)
}

// multiValueRegex is what Grafana puts in place of a multi-value variable inside a Prometheus
// regex matcher: the values regex-escaped, joined with |, in parentheses, and escaped again for
// the double-quoted PromQL string.
func multiValueRegex(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strings.ReplaceAll(regexp.QuoteMeta(v), `\`, `\\`)
	}
	return "(" + strings.Join(quoted, "|") + ")"
}

var (
	reString      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	reBraces      = regexp.MustCompile(`\{[^{}]*\}`)
	reBrackets    = regexp.MustCompile(`\[[^\[\]]*\]`)
	reGrouping    = regexp.MustCompile(`(?i)\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	reIdent       = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promqlKeyword = map[string]bool{
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true,
		"offset": true, "atan2": true, "inf": true, "nan": true,
	}
)

// metricNames returns the metric names an expression selects: identifiers that are not functions
// (followed by "("), keywords, label names in grouping clauses, or inside matchers and ranges.
// Selectors written as {__name__="x"} are read from the matcher.
func metricNames(expr string) []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, m := range regexp.MustCompile(`__name__\s*=\s*"([^"]+)"`).FindAllStringSubmatch(expr, -1) {
		add(m[1])
	}
	s := reString.ReplaceAllString(expr, `""`)
	s = reBraces.ReplaceAllString(s, " ")
	s = reBrackets.ReplaceAllString(s, " ")
	s = reGrouping.ReplaceAllString(s, " ")
	for _, loc := range reIdent.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		if loc[0] > 0 {
			prev := s[loc[0]-1]
			if prev >= '0' && prev <= '9' || prev == '.' || prev == '$' {
				continue // part of a number such as 1e3, or a leftover variable
			}
		}
		if promqlKeyword[strings.ToLower(word)] {
			continue
		}
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") {
			continue // function call
		}
		add(word)
	}
	return names
}

// ---- offline tests ----

func TestMetricNameExtraction(t *testing.T) {
	cases := map[string][]string{
		`sum by (grpc_code) (rate(grpc_server_handled_total{job="calculator",grpc_code!="OK"}[$__rate_interval])) or on() vector(0)`: {"grpc_server_handled_total"},
		`histogram_quantile(0.99, sum by (le) (rate(x_bucket{a="b(c)"}[5m])))`:                                                       {"x_bucket"},
		`a / ignoring(instance) group_left(partition) b > bool 1e3`:                                                                  {"a", "b"},
		`max by (job, instance) (totals_consumer_lag) > 0 and on (job, instance) sum(rate(c_total[2m])) == 0`:                        {"totals_consumer_lag", "c_total"},
		`{__name__="up"}`: {"up"},
	}
	for expr, want := range cases {
		got := metricNames(expr)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("metricNames(%s) = %v, want %v", expr, got, want)
		}
	}
}

// dashboardDatasource is the only datasource reference a panel or query may carry: the dashboard's
// datasource variable, so the dashboard imports into any Grafana.
const dashboardDatasource = "${datasource}"

// originalPanels are the panels of the original project's dashboard, kept by title.
var originalPanels = []string{
	"gRPC requests per method, all methods",
	"gRPC average response time",
	"REST requests per endpoint",
	"REST average response time",
	"Kafka consumer rate",
}

func TestDashboardStructure(t *testing.T) {
	provisionedDatasourceUID(t) // the provisioning file stays valid for `make up`
	uid := dashboardDatasource
	dashboards := loadDashboards(t)
	uids := map[string]string{}
	var overview bool
	for file, d := range dashboards {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid and title are required (got uid %q title %q)", file, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q already used by %s", file, d.UID, other)
		}
		uids[d.UID] = file
		if d.SchemaVersion < 36 {
			t.Errorf("%s: schemaVersion %d, want >= 36 (datasource references by uid)", file, d.SchemaVersion)
		}
		if d.Title == "Distributed Sum — Overview" {
			overview = true
		}
		checkTemplateVars(t, file, d.Templating.List)
		titles := map[string]bool{}
		for _, p := range flatPanels(d.Panels) {
			titles[p.Title] = true
		}
		if d.Title == "Distributed Sum — Overview" {
			for _, title := range originalPanels {
				if !titles[title] {
					t.Errorf("%s: no panel titled %q (a panel of the original dashboard)", file, title)
				}
			}
		}
		ids := map[int]bool{}
		queries := 0
		for _, p := range flatPanels(d.Panels) {
			where := fmt.Sprintf("%s: panel %q", file, p.Title)
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("%s: id %d missing or duplicate", where, p.ID)
			}
			ids[p.ID] = true
			if p.Title == "" {
				t.Errorf("%s: panel id %d has no title", file, p.ID)
			}
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: gridPos %+v outside the 24-column grid", where, p.GridPos)
			}
			if p.Type == "row" {
				if len(p.Targets) != 0 {
					t.Errorf("%s: a row has no queries", where)
				}
				continue
			}
			checkDatasource(t, where, p.Datasource, uid)
			if len(p.Targets) == 0 {
				t.Errorf("%s: no targets", where)
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					t.Errorf("%s: refId %q missing or duplicate", where, tg.RefID)
				}
				refs[tg.RefID] = true
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s/%s: empty expr", where, tg.RefID)
				}
				if !strings.Contains(tg.Expr, `job=~"$job"`) || !strings.Contains(tg.Expr, `instance=~"$instance"`) {
					t.Errorf("%s/%s: every selector filters by the dashboard variables (job=~\"$job\", instance=~\"$instance\"): %s", where, tg.RefID, tg.Expr)
				}
				if regexp.MustCompile(`job\s*(=|!=|=~|!~)\s*"[^$]`).MatchString(tg.Expr) {
					t.Errorf("%s/%s: hard-coded job name; use the $job variable: %s", where, tg.RefID, tg.Expr)
				}
				if len(tg.Datasource) > 0 {
					checkDatasource(t, where+"/"+tg.RefID, tg.Datasource, uid)
				}
				queries++
			}
		}
		if queries == 0 {
			t.Errorf("%s: no queries at all", file)
		}
	}
	if !overview {
		t.Error(`no dashboard titled "Distributed Sum — Overview"`)
	}

	used := map[string]bool{}
	for _, q := range dashboardQueries(t) {
		for _, n := range metricNames(grafanaVars(q.Expr)) {
			used[n] = true
		}
	}
	for _, n := range requiredMetrics {
		if !used[n] {
			t.Errorf("no dashboard query uses %s", n)
		}
	}
}

func checkDatasource(t *testing.T, where string, raw json.RawMessage, uid string) {
	t.Helper()
	var ds datasourceRef
	if err := json.Unmarshal(raw, &ds); err != nil || ds.UID == "" {
		t.Errorf("%s: datasource must be {\"type\":\"prometheus\",\"uid\":%q}, got %s", where, uid, raw)
		return
	}
	if ds.UID != uid || ds.Type != "prometheus" {
		t.Errorf("%s: datasource %+v, want type prometheus uid %q (the dashboard's variable, no fixed uid)", where, ds, uid)
	}
}

// checkTemplateVars requires the datasource, job and instance variables, in that order (instance
// depends on job, both on the datasource), and no others: the live test substitutes exactly these.
func checkTemplateVars(t *testing.T, file string, vars []templateVar) {
	t.Helper()
	want := []string{"datasource", "job", "instance"}
	var names []string
	for _, v := range vars {
		names = append(names, v.Name)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("%s: template variables %v, want %v", file, names, want)
		return
	}
	var q string
	if err := json.Unmarshal(vars[0].Query, &q); vars[0].Type != "datasource" || err != nil || q != "prometheus" {
		t.Errorf("%s: variable datasource must be of type datasource with query \"prometheus\", got %s %s", file, vars[0].Type, vars[0].Query)
	}
	wantQuery := map[string]string{"job": `label_values(up, job)`, "instance": `label_values(up{job=~"$job"}, instance)`}
	for _, v := range vars[1:] {
		var query struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &query); err != nil || v.Type != "query" || query.Query != wantQuery[v.Name] {
			t.Errorf("%s: variable %s: want a query variable %q, got type %q query %s", file, v.Name, wantQuery[v.Name], v.Type, v.Query)
		}
		checkDatasource(t, file+": variable "+v.Name, v.Datasource, dashboardDatasource)
		if !v.Multi || !v.IncludeAll || v.AllValue != offlineVars[v.Name] {
			t.Errorf("%s: variable %s: want multi, includeAll and allValue %q (what the tests substitute), got %v %v %q",
				file, v.Name, offlineVars[v.Name], v.Multi, v.IncludeAll, v.AllValue)
		}
	}
}

// TestNoFixedDatasourceInDashboards: apart from Grafana's own annotation source, no uid or address
// of a datasource appears anywhere in a dashboard.
func TestNoFixedDatasourceInDashboards(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testkit.Root(t), "observability", "grafana", "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				if ds, ok := x["datasource"].(map[string]any); ok {
					if uid, _ := ds["uid"].(string); uid != dashboardDatasource && uid != "-- Grafana --" {
						t.Errorf("%s: %s.datasource has uid %q, want %q", filepath.Base(f), path, uid, dashboardDatasource)
					}
				}
				for k, e := range x {
					walk(path+"."+k, e)
				}
			case []any:
				for i, e := range x {
					walk(fmt.Sprintf("%s[%d]", path, i), e)
				}
			case string:
				if regexp.MustCompile(`(?i)https?://|127\.0\.0\.1|localhost|:9095`).MatchString(x) {
					t.Errorf("%s: %s holds an address: %q", filepath.Base(f), path, x)
				}
			}
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		walk("$", v)
	}
}

func TestMetricNamesInContract(t *testing.T) {
	qs := append(dashboardQueries(t), alertQueries(t)...)
	for _, q := range qs {
		names := metricNames(grafanaVars(q.Expr))
		if len(names) == 0 {
			t.Errorf("%s: no metric name found in %s", q.Where, q.Expr)
		}
		for _, n := range names {
			if !isContractMetric(n) {
				t.Errorf("%s: metric %q is not in the metric contract (expr %s)", q.Where, n, q.Expr)
			}
		}
	}
}

// TestPromQLSyntaxOffline parses every dashboard expression with promtool by wrapping each one in a
// recording rule: no server needed.
func TestPromQLSyntaxOffline(t *testing.T) {
	promtool := lookPromtool(t)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	type group struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	}
	qs := dashboardQueries(t)
	var g group
	g.Name = "dashboard_queries"
	for i, q := range qs {
		g.Rules = append(g.Rules, rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: grafanaVars(q.Expr)})
	}
	b, err := yaml.Marshal(map[string][]group{"groups": {g}})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules on the dashboard queries failed: %v\n%s\nqueries:\n%s", err, out, b)
	}
}

func TestPrometheusConfigWithPromtool(t *testing.T) {
	promtool := lookPromtool(t)
	dir := filepath.Join(testkit.Root(t), "observability", "prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func lookPromtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (scripts/install-tools.sh prometheus): skipping promtool checks")
	}
	return p
}

// ---- live test ----

// TestDashboardQueriesLive runs every dashboard query against a real Prometheus that scrapes the
// running system, after sending it some traffic, and requires each to return at least one series.
func TestDashboardQueriesLive(t *testing.T) {
	promURL := os.Getenv("PROMETHEUS_URL")
	if promURL == "" {
		t.Skip("PROMETHEUS_URL not set: skipping the live dashboard check. Run with the system up, e.g. " +
			"PROMETHEUS_URL=http://127.0.0.1:9095 CALCULATOR_GRPC_ADDR=127.0.0.1:9090 TOTALS_URL=http://127.0.0.1:8080 " +
			"go test ./tests/observability -run Live -v")
	}
	requireLoopbackURL(t, "PROMETHEUS_URL", promURL)
	wait := 30 * time.Second
	if v := os.Getenv("OBS_LIVE_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("OBS_LIVE_WAIT: %v", err)
		}
		wait = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait+90*time.Second)
	defer cancel()

	generateTraffic(ctx, t)

	pc, err := promapi.NewClient(promapi.Config{Address: promURL, Client: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatalf("PROMETHEUS_URL: %v", err)
	}
	prom := promv1.NewAPI(pc)

	if am := os.Getenv("ALERTMANAGER_URL"); am != "" {
		checkAlertmanagerActive(ctx, t, prom, am, wait)
	}

	// The dashboard variables, as Grafana would fill them with "All" selected: their own queries
	// run against this Prometheus.
	vars := liveVars(ctx, t, prom, wait)

	// Alert expressions must at least be accepted by this Prometheus (they return nothing while
	// nothing is wrong).
	for _, q := range alertQueries(t) {
		if _, err := instant(ctx, prom, q.Expr); err != nil {
			t.Errorf("%s: rejected by Prometheus: %v", q.Where, err)
		}
	}

	// Every dashboard query, and every metric a query names, must return at least one series.
	// Scrapes are every 5s and rate() needs two samples: poll until the deadline.
	type check struct {
		where, expr string
		lastErr     error
		series      int
	}
	var pending []*check
	names := map[string]bool{}
	for _, q := range dashboardQueries(t) {
		e := substituteVars(q.Expr, vars)
		pending = append(pending, &check{where: q.Where, expr: e})
		for _, n := range metricNames(e) {
			names[n] = true
		}
	}
	sortedNames := make([]string, 0, len(names))
	for n := range names {
		sortedNames = append(sortedNames, n)
	}
	sort.Strings(sortedNames)
	for _, n := range sortedNames {
		pending = append(pending, &check{where: "metric exists", expr: n})
	}
	total := len(pending)
	all := pending

	deadline := time.Now().Add(wait)
	for {
		var still []*check
		for _, c := range pending {
			c.series, c.lastErr = instant(ctx, prom, c.expr)
			var perr *promv1.Error
			if errors.As(c.lastErr, &perr) && perr.Type == promv1.ErrBadData {
				t.Errorf("%s: invalid expression: %v\n  %s", c.where, c.lastErr, c.expr)
				continue
			}
			if c.lastErr != nil || c.series == 0 {
				still = append(still, c)
			}
		}
		pending = still
		if len(pending) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		t.Logf("%d of %d queries have no data yet; waiting for scrapes", len(pending), total)
		select {
		case <-ctx.Done():
		case <-time.After(2500 * time.Millisecond):
		}
	}
	for _, c := range pending {
		if c.lastErr != nil {
			t.Errorf("%s: %v\n  %s", c.where, c.lastErr, c.expr)
		} else {
			t.Errorf("%s: no series after %s (is the target scraped and has it served traffic?)\n  %s", c.where, wait, c.expr)
		}
	}
	// What each panel query returned, for the record.
	for _, c := range all {
		if c.where != "metric exists" {
			t.Logf("series=%d  %s", c.series, c.where)
		}
	}
	t.Logf("%d dashboard queries and metric names checked against %s; %d without data", total, promURL, len(pending))
}

var reLabelValues = regexp.MustCompile(`^label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

// liveVars runs each dashboard's job and instance variable queries (label_values(selector, label))
// in order, each with the values of the ones before, and returns the values Grafana would
// substitute for "All": every value found, as a regex. Each query must find values, and the jobs
// must include the two services; until they do (a target not scraped yet) it asks again, up to
// wait.
func liveVars(ctx context.Context, t *testing.T, prom promv1.API, wait time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		vars, problem := liveVarsOnce(ctx, t, prom)
		if problem == "" {
			for name, v := range vars {
				t.Logf("$%s = %s", name, v)
			}
			return vars
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("dashboard variables: %s (after %s)", problem, wait)
		}
		t.Logf("dashboard variables: %s; asking again", problem)
		time.Sleep(time.Second)
	}
}

func liveVarsOnce(ctx context.Context, t *testing.T, prom promv1.API) (map[string]string, string) {
	t.Helper()
	vars := map[string]string{}
	for file, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			var q struct {
				Query string `json:"query"`
			}
			if err := json.Unmarshal(v.Query, &q); err != nil {
				t.Fatalf("%s: variable %s: %v", file, v.Name, err)
			}
			m := reLabelValues.FindStringSubmatch(q.Query)
			if m == nil {
				t.Fatalf("%s: variable %s: query %q is not label_values(selector, label)", file, v.Name, q.Query)
			}
			selector := substituteVars(m[1], vars)
			now := time.Now()
			values, _, _, err := prom.LabelValues(ctx, m[2], []string{selector}, now.Add(-5*time.Minute), now)
			if err != nil || len(values) == 0 {
				return nil, fmt.Sprintf("%s: variable %s: label_values(%s, %s) found %v (%v)", file, v.Name, selector, m[2], values, err)
			}
			strs := make([]string, len(values))
			for i, lv := range values {
				strs[i] = string(lv)
			}
			if v.Name == "job" {
				for _, want := range []string{"calculator", "totals"} {
					if !slices.Contains(strs, want) {
						return nil, fmt.Sprintf("%s: variable job offers %v, without %q", file, strs, want)
					}
				}
			}
			vars[v.Name] = multiValueRegex(strs)
		}
	}
	return vars, ""
}

// checkAlertmanagerActive requires Prometheus to list the Alertmanager at amURL among its active
// Alertmanagers (it discovers them from the alerting section of its configuration) and the
// Alertmanager to be ready.
func checkAlertmanagerActive(ctx context.Context, t *testing.T, prom promv1.API, amURL string, wait time.Duration) {
	t.Helper()
	requireLoopbackURL(t, "ALERTMANAGER_URL", amURL)
	u, _ := url.Parse(amURL)
	resp, err := http.Get(strings.TrimRight(amURL, "/") + "/-/ready")
	if err != nil {
		t.Fatalf("Alertmanager at %s: %v", amURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Alertmanager at %s: /-/ready answered %s", amURL, resp.Status)
	}
	deadline := time.Now().Add(wait)
	for {
		res, err := prom.AlertManagers(ctx)
		if err == nil {
			for _, a := range res.Active {
				if au, perr := url.Parse(a.URL); perr == nil && au.Host == u.Host {
					t.Logf("Prometheus sends alerts to %s (active)", a.URL)
					return
				}
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("Prometheus does not list the Alertmanager %s as active: %+v (%v)", u.Host, res, err)
		}
		time.Sleep(time.Second)
	}
}

// instant runs an instant query and returns the number of series (1 for a scalar or string).
func instant(ctx context.Context, prom promv1.API, expr string) (int, error) {
	v, _, _, err := prom.Query(ctx, expr, time.Now())
	if err != nil {
		return 0, err
	}
	switch r := v.(type) {
	case model.Vector:
		return len(r), nil
	case model.Matrix:
		return len(r), nil
	default:
		return 1, nil
	}
}

// generateTraffic sends a few Adds (one of them retried with the same request_id) and reads the
// total, when the services' addresses are given, so that every metric has samples.
func generateTraffic(ctx context.Context, t *testing.T) {
	t.Helper()
	var tokens []string
	if addr := os.Getenv("CALCULATOR_GRPC_ADDR"); addr != "" {
		addr = loopbackHostPort(t, "CALCULATOR_GRPC_ADDR", addr)
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatalf("dial calculator %s: %v", addr, err)
		}
		defer conn.Close()
		client := calculatorpb.NewCalculatorServiceClient(conn)
		prefix := fmt.Sprintf("obs-test-%d", time.Now().UnixNano())
		var first *calculatorpb.AddRequest
		var failed int
		o := addload.NewOracle()
		w := &addload.Workload{Client: client, Oracle: o, Prefix: prefix, Workers: 1, Seed: 1,
			OnAck: func(a addload.Attempt) {
				if first == nil {
					first = &calculatorpb.AddRequest{Num1: a.Num1, Num2: a.Num2, RequestId: a.RequestID}
				}
			},
			OnFailure: func(a addload.Attempt) {
				failed++
				t.Logf("Add %s (attempt %d): %v", a.RequestID, a.N, a.Err)
			},
		}
		if err := w.Run(ctx, 25); err != nil {
			t.Fatalf("Adds against %s: %v", addr, err)
		}
		// A retry with an id already used: answered from the idempotency record.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if resp, err := client.Add(cctx, first); err == nil {
			if !resp.GetReplayed() {
				t.Logf("retried Add with request_id %s was not marked replayed", first.GetRequestId())
			}
		}
		cancel()
		ok, _ := o.Acked()
		tokens = o.Tokens()
		t.Logf("sent %d Adds to %s (%d failed attempts, retried), last tokens %q", ok, addr, failed, tokens)
	} else {
		t.Log("CALCULATOR_GRPC_ADDR not set: relying on traffic the system already served")
	}
	if base := os.Getenv("TOTALS_URL"); base != "" {
		requireLoopbackURL(t, "TOTALS_URL", base)
		totals := totalsclient.New(base, &http.Client{Timeout: 10 * time.Second})
		report := func(what string, n *big.Int, err error) {
			var se *totalsclient.StatusError
			switch {
			case err == nil:
				t.Logf("%s -> %s", what, n)
			case errors.As(err, &se): // an answer, if not the hoped-for one: traffic all the same
				t.Logf("%s -> %v", what, err)
			default:
				t.Fatalf("%s: %v", what, err)
			}
		}
		n, err := totals.Total(ctx)
		report("GET /total", n, err)
		for _, tok := range tokens {
			n, err := totals.WaitCounted(ctx, tok, 5*time.Second)
			report("GET /total?after="+tok, n, err)
		}
	}
}

// loopbackHostPort normalises ":9090" to "127.0.0.1:9090" and refuses anything but loopback.
func loopbackHostPort(t *testing.T, name, hp string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, hp, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	requireLoopbackHost(t, name, host)
	return net.JoinHostPort(host, port)
}

func requireLoopbackURL(t *testing.T, name, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q: not an absolute URL", name, raw)
	}
	requireLoopbackHost(t, name, u.Hostname())
}

func requireLoopbackHost(t *testing.T, name, host string) {
	t.Helper()
	if host == "localhost" {
		return
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		t.Fatalf("%s: resolve %q: %v", name, host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			t.Fatalf("%s: %q is not a loopback address; this test only talks to services on this machine", name, host)
		}
	}
}

// TestInstantAgainstAFakePrometheus checks the live test's query helper offline: series are
// counted and a rejected expression is told apart from other failures.
func TestInstantAgainstAFakePrometheus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.Form.Get("query") {
		case "up":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[`+
				`{"metric":{"job":"a"},"value":[1,"1"]},{"metric":{"job":"b"},"value":[1,"1"]}]}}`)
		case "1":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
		}
	}))
	defer srv.Close()
	pc, err := promapi.NewClient(promapi.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	prom := promv1.NewAPI(pc)
	ctx := context.Background()
	if n, err := instant(ctx, prom, "up"); n != 2 || err != nil {
		t.Errorf("up: %d series, %v; want 2", n, err)
	}
	if n, err := instant(ctx, prom, "1"); n != 1 || err != nil {
		t.Errorf("scalar: %d, %v; want 1", n, err)
	}
	_, err = instant(ctx, prom, "rate(")
	var perr *promv1.Error
	if !errors.As(err, &perr) || perr.Type != promv1.ErrBadData {
		t.Errorf("bad expression: %v, want a bad_data error", err)
	}
}

// TestVariableSubstitution checks the live test's stand-in for Grafana's variable interpolation.
func TestVariableSubstitution(t *testing.T) {
	got := multiValueRegex([]string{"127.0.0.1:8081", "totals"})
	if want := `(127\\.0\\.0\\.1:8081|totals)`; got != want {
		t.Errorf("multiValueRegex = %s, want %s", got, want)
	}
	vars := map[string]string{"job": "(calculator)", "instance": got}
	expr := substituteVars(`rate(x{job=~"$job",instance=~"${instance}"}[$__rate_interval])`, vars)
	if want := `rate(x{job=~"(calculator)",instance=~"(127\\.0\\.0\\.1:8081|totals)"}[1m])`; expr != want && os.Getenv("PROM_RATE_INTERVAL") == "" {
		t.Errorf("substituteVars = %s, want %s", expr, want)
	}
	if strings.Contains(grafanaVars(`up{job=~"$job",instance=~"$instance"}`), "$") {
		t.Error("grafanaVars left a variable in place")
	}
}
