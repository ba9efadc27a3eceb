package observability

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distsum/distsum/tests/testkit"
	"go.yaml.in/yaml/v3"
)

// alertmanagerAddr is where scripts/alertmanager.sh listens for `make up`.
const alertmanagerAddr = "127.0.0.1:9096"

func alertmanagerConfig(t *testing.T) string {
	t.Helper()
	return filepath.Join(testkit.Root(t), "observability", "alertmanager", "alertmanager.yml")
}

func lookAmtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("amtool")
	if err != nil {
		t.Skip("amtool not installed (scripts/install-tools.sh alertmanager): skipping amtool checks")
	}
	return p
}

// TestAlertmanagerConfigWithAmtool: the configuration passes amtool check-config, and a copy
// whose route names a receiver that does not exist does not (negative control).
func TestAlertmanagerConfigWithAmtool(t *testing.T) {
	amtool := lookAmtool(t)
	conf := alertmanagerConfig(t)
	if out, err := exec.Command(amtool, "check-config", conf).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config %s: %v\n%s", conf, err, out)
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	const route = "receiver: distsum-default\n"
	if !strings.Contains(string(b), route) {
		t.Fatalf("%s no longer has %q; update the negative control", conf, route)
	}
	broken := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(broken, []byte(strings.Replace(string(b), route, "receiver: nobody-by-that-name\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(amtool, "check-config", broken).CombinedOutput(); err == nil {
		t.Fatalf("amtool accepted a route to an undefined receiver:\n%s", out)
	}
}

// TestAlertRouting: Prometheus sends its alerts to the Alertmanager of `make up`; the routes group
// by alert and job; no receiver sends anything off this machine.
func TestAlertRouting(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testkit.Root(t), "observability", "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		Alerting struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	var targets []string
	for _, am := range prom.Alerting.Alertmanagers {
		for _, sc := range am.StaticConfigs {
			targets = append(targets, sc.Targets...)
		}
	}
	if !slices.Contains(targets, alertmanagerAddr) {
		t.Errorf("prometheus.yml sends alerts to %v, want %s (scripts/alertmanager.sh)", targets, alertmanagerAddr)
	}

	b, err = os.ReadFile(alertmanagerConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	var am struct {
		Route struct {
			Receiver string   `yaml:"receiver"`
			GroupBy  []string `yaml:"group_by"`
		} `yaml:"route"`
		Receivers []map[string]any `yaml:"receivers"`
	}
	if err := yaml.Unmarshal(b, &am); err != nil {
		t.Fatalf("alertmanager.yml: %v", err)
	}
	if am.Route.Receiver == "" || !slices.Contains(am.Route.GroupBy, "alertname") || !slices.Contains(am.Route.GroupBy, "job") {
		t.Errorf("alertmanager.yml: top route %+v, want a receiver and group_by alertname and job", am.Route)
	}
	if len(am.Receivers) == 0 {
		t.Error("alertmanager.yml: no receivers")
	}
	for _, r := range am.Receivers {
		for k := range r {
			if k != "name" {
				t.Errorf("alertmanager.yml: receiver %v has %s: a notifier would send traffic off this machine; keep the committed receivers silent", r["name"], k)
			}
		}
	}
}
