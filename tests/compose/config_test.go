package compose

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	brokerconf "github.com/distsum/distsum/deploy/kafka"
	"github.com/distsum/distsum/tests/testkit"
)

// These checks need no engine: the compose files agree with the project's other sources of
// truth, so they cannot drift apart unnoticed.

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Profiles []string `yaml:"profiles"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadCompose(t *testing.T, name string) composeFile {
	t.Helper()
	var f composeFile
	readYAML(t, filepath.Join(testkit.Root(t), "deploy", "compose", name), &f)
	return f
}

// Broker properties that depend on the network the broker is in; compose sets its own.
var networkProperties = map[string]bool{
	"listeners": true, "advertised.listeners": true, "listener.security.protocol.map": true,
	"inter.broker.listener.name": true, "controller.quorum.voters": true,
}

func TestKafkaSettingsAreTheProjectBrokerSettings(t *testing.T) {
	env := loadCompose(t, "compose.yaml").Services["kafka"].Environment
	props := brokerconf.Properties(brokerconf.Params{
		NodeID: 1, Host: "kafka", Port: 19092, ControllerPort: 9093, DataDir: "/var/lib/kafka/data",
	})
	for k, want := range props {
		if networkProperties[k] {
			continue
		}
		if got, ok := env[brokerconf.EnvName(k)]; !ok || got != want {
			t.Errorf("compose kafka %s = %q (set: %v); deploy/kafka/server.properties.tmpl has %s=%s",
				brokerconf.EnvName(k), got, ok, k, want)
		}
	}
	// Anything else compose sets is a network setting or a JVM/format variable, not a typo.
	extra := map[string]bool{"CLUSTER_ID": true, "KAFKA_HEAP_OPTS": true, "KAFKA_CONTROLLER_LISTENER_NAMES": true}
	for k := range env {
		if extra[k] {
			continue
		}
		p := brokerconf.PropertyName(k)
		if _, ok := props[p]; !ok && !networkProperties[p] {
			t.Errorf("compose kafka sets %s (%s), which the project's broker settings do not have", k, p)
		}
	}
}

func TestComposeShape(t *testing.T) {
	f := loadCompose(t, "compose.yaml")
	want := []string{"alertmanager", "calculator", "grafana", "jaeger", "kafka", "kafka-ui", "prometheus", "totals"}
	var got []string
	for name, svc := range f.Services {
		got = append(got, name)
		if svc.Healthcheck == nil || len(svc.Healthcheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
		for dep, d := range svc.DependsOn {
			if d.Condition == "" {
				t.Errorf("%s depends on %s without a condition", name, dep)
			}
		}
	}
	slices.Sort(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("services %v, want %v", got, want)
	}
	// The state that must survive a restart lives in named volumes.
	for svc, mount := range map[string]string{
		"kafka": "kafka-data:/var/lib/kafka/data", "calculator": "calculator-outbox:/data", "totals": "totals-state:/data",
	} {
		if !slices.Contains(f.Services[svc].Volumes, mount) {
			t.Errorf("%s volumes %v lack %s", svc, f.Services[svc].Volumes, mount)
		}
		if _, ok := f.Volumes[strings.Split(mount, ":")[0]]; !ok {
			t.Errorf("volume of %s is not a named volume", mount)
		}
	}
	for _, svc := range []string{"calculator", "totals"} {
		if d := f.Services[svc].DependsOn["kafka"].Condition; d != "service_healthy" {
			t.Errorf("%s starts on kafka %q, want service_healthy", svc, d)
		}
	}

	// Both services send their traces to the Jaeger service's OTLP/HTTP receiver.
	for _, svc := range []string{"calculator", "totals"} {
		env := f.Services[svc].Environment
		if env["OTEL_EXPORTER_OTLP_ENDPOINT"] != "http://jaeger:4318" || env["OTEL_SERVICE_NAME"] != svc {
			t.Errorf("%s traces to %q as %q, want http://jaeger:4318 as %s", svc, env["OTEL_EXPORTER_OTLP_ENDPOINT"], env["OTEL_SERVICE_NAME"], svc)
		}
	}

	local := loadCompose(t, "compose.local.yaml")
	for _, svc := range []string{"grafana", "kafka-ui", "jaeger"} {
		if !slices.Equal(local.Services[svc].Profiles, []string{"registry"}) {
			t.Errorf("compose.local.yaml does not keep %s out (profiles %v)", svc, local.Services[svc].Profiles)
		}
	}
	// Without Jaeger the local variant does not trace (no exports failing to a missing host).
	for _, svc := range []string{"calculator", "totals"} {
		if got := local.Services[svc].Environment["OTEL_TRACES_EXPORTER"]; got != "none" {
			t.Errorf("compose.local.yaml %s OTEL_TRACES_EXPORTER = %q, want none", svc, got)
		}
	}
}

// The compose Prometheus configuration repeats the scrape jobs of the one `make up` runs, with
// compose's service names as targets.
func TestPrometheusJobsMatchTheProjectConfig(t *testing.T) {
	type promConfig struct {
		Global        map[string]any `yaml:"global"`
		RuleFiles     []string       `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName     string `yaml:"job_name"`
			MetricsPath string `yaml:"metrics_path"`
		} `yaml:"scrape_configs"`
		Alerting map[string]any `yaml:"alerting"`
	}
	root := testkit.Root(t)
	var project, compose promConfig
	readYAML(t, filepath.Join(root, "observability", "prometheus", "prometheus.yml"), &project)
	readYAML(t, filepath.Join(root, "deploy", "compose", "prometheus", "prometheus.yml"), &compose)
	if !reflect.DeepEqual(project.Global, compose.Global) {
		t.Errorf("global: compose %v, project %v", compose.Global, project.Global)
	}
	if !reflect.DeepEqual(project.RuleFiles, compose.RuleFiles) {
		t.Errorf("rule_files: compose %v, project %v", compose.RuleFiles, project.RuleFiles)
	}
	if !reflect.DeepEqual(project.ScrapeConfigs, compose.ScrapeConfigs) {
		t.Errorf("scrape jobs: compose %+v, project %+v", compose.ScrapeConfigs, project.ScrapeConfigs)
	}
	if compose.Alerting == nil {
		t.Error("the compose Prometheus sends no alerts to Alertmanager")
	}
}

// docker-compose itself accepts both files (no engine needed); skipped where it is not installed.
func TestComposeFilesAreValid(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Skip("docker-compose not installed (scripts/install-tools.sh compose)")
	}
	dir := filepath.Join(testkit.Root(t), "deploy", "compose")
	for _, files := range [][]string{{"compose.yaml"}, {"compose.yaml", "compose.local.yaml"}} {
		args := []string{}
		for _, f := range files {
			args = append(args, "-f", filepath.Join(dir, f))
		}
		out, err := exec.Command(bin, append(args, "config", "-q")...).CombinedOutput()
		if err != nil {
			t.Errorf("docker-compose %v config: %v\n%s", files, err, out)
		}
	}
}

// Totals' ops endpoints (/metrics, /stats) are on their own address: compose publishes it and
// Prometheus scrapes it, not the public port (where /metrics is 404).
func TestPrometheusScrapesTotalsOnItsOpsAddress(t *testing.T) {
	totals := loadCompose(t, "compose.yaml").Services["totals"]
	ops, public := totals.Environment["TOTALS_OPS_ADDR"], totals.Environment["TOTALS_HTTP_ADDR"]
	if ops == "" || ops == public {
		t.Fatalf("TOTALS_OPS_ADDR %q, TOTALS_HTTP_ADDR %q: want an ops address of its own", ops, public)
	}
	port := strings.TrimPrefix(ops, ":")
	if !slices.ContainsFunc(totals.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
		t.Errorf("totals ports %v do not publish the ops port %s", totals.Ports, port)
	}
	var prom struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join(testkit.Root(t), "deploy", "compose", "prometheus", "prometheus.yml"), &prom)
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName == "totals" {
			for _, s := range sc.StaticConfigs {
				targets = append(targets, s.Targets...)
			}
		}
	}
	if !slices.Equal(targets, []string{"totals:" + port}) {
		t.Errorf("Prometheus scrapes totals at %v, want [totals:%s]", targets, port)
	}
}
