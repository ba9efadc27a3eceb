// Package k8s_test checks the Kubernetes manifests offline: every overlay
// renders with kustomize, every object decodes strictly into its Go type (a
// misspelt or unknown field fails), the Strimzi resources validate against
// Strimzi's published CRD schemas the way the API server would, and the
// rendered objects have what the deployment promises (replicas, volumes,
// probes, resources, disruption budgets, monitoring, topic durability).
//
// The test lives next to the manifests so that `go test ./deploy/...` covers
// it and it reads them from its own directory.
package k8s_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	brokerconf "github.com/distsum/distsum/deploy/kafka"
	"github.com/distsum/distsum/tests/testkit"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// strimziVersion is the Strimzi release whose CRDs the resources are checked
// against; scripts/install-strimzi-crds.sh fetches the same one.
const strimziVersion = "0.51.0"

// Strimzi kinds the manifests use and the CRD file that defines each.
var strimziCRDFiles = map[string]string{
	"Kafka":         "040-Crd-kafka.yaml",
	"KafkaTopic":    "043-Crd-kafkatopic.yaml",
	"KafkaNodePool": "045-Crd-kafkanodepool.yaml",
}

const strimziGroup = "kafka.strimzi.io"

// stageLabel marks what production applies before the services (README).
const stageLabel = "distsum.io/stage"

// ---- rendering and decoding ----

// object is one rendered resource: its JSON and, for the built-in and
// Prometheus Operator kinds, the typed value decoded strictly.
type object struct {
	gvk   schema.GroupVersionKind
	name  string
	json  []byte
	typed runtime.Object // nil for Strimzi resources
}

func (o object) String() string { return o.gvk.Kind + "/" + o.name }

var (
	scheme     = runtime.NewScheme()
	strictJSON *kjson.Serializer
)

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	strictJSON = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Strict: true})
}

// render runs kustomize on dir in fsys.
func render(fsys filesys.FileSystem, dir string) ([]object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	var out []object
	for _, r := range m.Resources() {
		j, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		gvk := schema.FromAPIVersionAndKind(r.GetApiVersion(), r.GetKind())
		out = append(out, object{gvk: gvk, name: r.GetName(), json: j})
	}
	return out, nil
}

// decode types every object strictly: the built-in and ServiceMonitor kinds
// through the apimachinery strict serializer (unknown, misspelt or
// duplicated fields are errors), Strimzi kinds are left for the schema
// check, and any other kind is an error: nothing goes unchecked.
func decode(objs []object) ([]object, error) {
	var errs []error
	out := make([]object, 0, len(objs))
	for _, o := range objs {
		if o.gvk.Group == strimziGroup {
			if _, ok := strimziCRDFiles[o.gvk.Kind]; !ok {
				errs = append(errs, fmt.Errorf("%s: Strimzi kind without a CRD schema in this test", o))
			}
			out = append(out, o)
			continue
		}
		typed, _, err := strictJSON.Decode(o.json, nil, nil)
		switch {
		case runtime.IsNotRegisteredError(err):
			errs = append(errs, fmt.Errorf("%s (%s): no typed decoder for this kind", o, o.gvk))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", o, err))
			continue
		}
		o.typed = typed
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

// ---- Strimzi CRD schemas ----

type crdSchema struct {
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

type strimziSchemas map[schema.GroupVersionKind]*crdSchema

// loadStrimziSchemas reads the CRDs in dir: every served version of each.
func loadStrimziSchemas(dir string) (strimziSchemas, error) {
	out := strimziSchemas{}
	for kind, file := range strimziCRDFiles {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if crd.Spec.Group != strimziGroup || crd.Spec.Names.Kind != kind {
			return nil, fmt.Errorf("%s defines %s.%s, want %s", file, crd.Spec.Names.Kind, crd.Spec.Group, kind)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			var internal apiextensions.JSONSchemaProps
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
				return nil, fmt.Errorf("%s %s: %w", file, v.Name, err)
			}
			structural, err := structuralschema.NewStructural(&internal)
			if err != nil {
				return nil, fmt.Errorf("%s %s: not a structural schema: %w", file, v.Name, err)
			}
			validator, _, err := apiservervalidation.NewSchemaValidator(&internal)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", file, v.Name, err)
			}
			gvk := schema.GroupVersionKind{Group: strimziGroup, Version: v.Name, Kind: kind}
			out[gvk] = &crdSchema{
				structural: structural,
				validator:  validator,
				cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
			}
		}
	}
	return out, nil
}

// validate checks a custom resource as the API server does on create with
// strict field validation: no field the schema does not know (pruning),
// types, enums and required fields (OpenAPI), list-type rules and the CEL
// rules (x-kubernetes-validations); and metadata decodes into ObjectMeta.
func (s strimziSchemas) validate(o object) error {
	cs, ok := s[o.gvk]
	if !ok {
		return fmt.Errorf("%s: %s is not served by the Strimzi %s CRDs", o, o.gvk.GroupVersion(), strimziVersion)
	}
	var u map[string]any
	if err := utiljson.Unmarshal(o.json, &u); err != nil { // integers as int64, like the API server
		return fmt.Errorf("%s: %w", o, err)
	}
	var errs field.ErrorList
	if meta, ok := u["metadata"]; ok {
		mb, _ := utiljson.Marshal(meta)
		var om metav1.ObjectMeta
		if err := yaml.UnmarshalStrict(mb, &om); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("metadata"), "", err.Error()))
		}
	}
	pruned := runtime.DeepCopyJSON(u)
	for _, p := range pruning.PruneWithOptions(pruned, cs.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, field.Forbidden(field.NewPath(p), "unknown field"))
	}
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u, cs.validator)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, cs.structural, u)...)
	if cs.cel != nil {
		celErrs, _ := cs.cel.Validate(context.Background(), nil, cs.structural, u, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", o, errs.ToAggregate())
	}
	return nil
}

var (
	schemasOnce sync.Once
	schemas     strimziSchemas
	schemasErr  error
)

// strimziCRDDir is where scripts/install-strimzi-crds.sh puts the CRDs:
// STRIMZI_CRD_DIR if set, else under the checkout's .cache (the test kit's
// repository root).
func strimziCRDDir() (string, error) {
	if d := os.Getenv("STRIMZI_CRD_DIR"); d != "" {
		return d, nil
	}
	root, err := testkit.RepoRoot()
	if err != nil {
		return "", fmt.Errorf("%w; set STRIMZI_CRD_DIR", err)
	}
	return filepath.Join(root, ".cache", "strimzi", strimziVersion, "crds"), nil
}

// needSchemas returns the Strimzi schemas. Without them the test is skipped
// on a developer machine, but under CI (CI set) it fails: CI must run
// scripts/install-strimzi-crds.sh first.
func needSchemas(t *testing.T) strimziSchemas {
	t.Helper()
	schemasOnce.Do(func() {
		dir, err := strimziCRDDir()
		if err != nil {
			schemasErr = err
			return
		}
		if _, err := os.Stat(filepath.Join(dir, strimziCRDFiles["Kafka"])); err != nil {
			schemasErr = fmt.Errorf("Strimzi %s CRDs not found in %s (%w); run scripts/install-strimzi-crds.sh", strimziVersion, dir, fs.ErrNotExist)
			return
		}
		schemas, schemasErr = loadStrimziSchemas(dir)
	})
	if errors.Is(schemasErr, fs.ErrNotExist) && os.Getenv("CI") == "" {
		t.Skipf("%v (CI unset: skipping; with CI set this fails)", schemasErr)
	}
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	return schemas
}

// ---- what the overlays promise ----

type expectation struct {
	calculators, totals int32
	strimzi             bool // Kafka through Strimzi resources, else the dev broker
}

var overlays = map[string]expectation{
	"dev":        {calculators: 1, totals: 1},
	"production": {calculators: 3, totals: 2, strimzi: true},
}

// reporter is what the checks report through: a *testing.T, or a recorder
// in the negative controls.
type reporter interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func TestOverlays(t *testing.T) {
	for name, want := range overlays {
		t.Run(name, func(t *testing.T) {
			rendered, err := render(filesys.MakeFsOnDisk(), filepath.Join("overlays", name))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decode(rendered)
			if err != nil {
				t.Fatalf("strict decode:\n%v", err)
			}
			t.Logf("%d objects", len(objs))
			checkDeployment(t, objs, want)
			if want.strimzi {
				checkStrimzi(t, objs)
			}
			t.Run("strimzi-schemas", func(t *testing.T) {
				var custom []object
				for _, o := range objs {
					if o.typed == nil {
						custom = append(custom, o)
					}
				}
				if !want.strimzi {
					if len(custom) > 0 {
						t.Fatalf("unexpected Strimzi resources: %v", custom)
					}
					return
				}
				s := needSchemas(t)
				for _, o := range custom {
					if err := s.validate(o); err != nil {
						t.Error(err)
					}
				}
			})
		})
	}
}

func typedOf[T runtime.Object](objs []object) map[string]T {
	out := map[string]T{}
	for _, o := range objs {
		if v, ok := o.typed.(T); ok {
			out[o.name] = v
		}
	}
	return out
}

func envVar(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

// portNumber resolves a probe's or Service's port (number or name) on c.
func portNumber(c corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return -1
}

func checkDeployment(t reporter, objs []object, want expectation) {
	sets := typedOf[*appsv1.StatefulSet](objs)
	services := typedOf[*corev1.Service](objs)
	pdbs := typedOf[*policyv1.PodDisruptionBudget](objs)
	configMaps := typedOf[*corev1.ConfigMap](objs)
	monitors := typedOf[*monitoringv1.ServiceMonitor](objs)

	if n := len(typedOf[*appsv1.Deployment](objs)); n != 0 {
		t.Errorf("%d Deployments: the services keep state on volumes and run as StatefulSets", n)
	}

	for name, replicas := range map[string]int32{"calculator": want.calculators, "totals": want.totals} {
		ss, ok := sets[name]
		if !ok {
			t.Errorf("no StatefulSet %q", name)
			continue
		}
		if ss.Spec.Replicas == nil || *ss.Spec.Replicas != replicas {
			got := "unset"
			if ss.Spec.Replicas != nil {
				got = strconv.Itoa(int(*ss.Spec.Replicas))
			}
			t.Errorf("%s replicas = %s, want %d", name, got, replicas)
		}
	}

	// Every pod template of the overlay: resources, a headless governing
	// Service, a disruption budget and the configuration it refers to.
	for name, ss := range sets {
		pod := ss.Spec.Template
		for _, c := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
					t.Errorf("%s/%s: no %s request", name, c.Name, r)
				}
				if q, ok := c.Resources.Limits[r]; !ok || q.IsZero() {
					t.Errorf("%s/%s: no %s limit", name, c.Name, r)
				}
			}
			if c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) < 0 {
				t.Errorf("%s/%s: memory limit below request", name, c.Name)
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && configMaps[ef.ConfigMapRef.Name] == nil {
					t.Errorf("%s/%s: envFrom ConfigMap %q is not in the overlay", name, c.Name, ef.ConfigMapRef.Name)
				}
			}
		}
		if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
			t.Errorf("%s: Service links are on; they inject variables the services would read as settings", name)
		}
		gov, ok := services[ss.Spec.ServiceName]
		if !ok || gov.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("%s: governing Service %q missing or not headless", name, ss.Spec.ServiceName)
		}
		sel, err := metav1.LabelSelectorAsSelector(ss.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			t.Errorf("%s: selector does not match its pod template (%v)", name, err)
		}
	}

	// Every Service selects pods of the overlay, and its named target ports
	// exist on them.
	for name, svc := range services {
		var matched []corev1.PodTemplateSpec
		for _, ss := range sets {
			if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(ss.Spec.Template.Labels)) {
				matched = append(matched, ss.Spec.Template)
			}
		}
		if len(matched) == 0 {
			t.Errorf("Service %s selects no pods", name)
		}
		for _, p := range svc.Spec.Ports {
			for _, pod := range matched {
				if portNumber(pod.Spec.Containers[0], p.TargetPort) <= 0 {
					t.Errorf("Service %s port %s: target %s not on the pods", name, p.Name, p.TargetPort.String())
				}
			}
		}
	}

	for _, app := range []string{"calculator", "totals"} {
		ss := sets[app]
		if ss == nil {
			continue
		}
		pod := ss.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", app, len(pod.Containers))
			continue
		}
		c := pod.Containers[0]
		if !strings.HasPrefix(c.Image, "distsum/"+app+":") && !strings.HasPrefix(c.Image, "distsum/"+app+"@") {
			t.Errorf("%s: image %q, want distsum/%s with a tag or digest", app, c.Image, app)
		}
		// Longer than the services' 15 s shutdown grace.
		if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= 15 {
			t.Errorf("%s: terminationGracePeriodSeconds %v, want above 15", app, g)
		}

		// Data on a claim from the StatefulSet, mounted where the service writes.
		prefix := strings.ToUpper(app)
		if e, _ := envVar(c, prefix+"_DATA_DIR"); e.Value != "/data" {
			t.Errorf("%s: %s_DATA_DIR = %q, want /data", app, prefix, e.Value)
		}
		var claim string
		for _, m := range c.VolumeMounts {
			if m.MountPath == "/data" {
				claim = m.Name
			}
		}
		found := false
		for _, pvc := range ss.Spec.VolumeClaimTemplates {
			if pvc.Name == claim && !pvc.Spec.Resources.Requests.Storage().IsZero() {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: /data is not a volumeClaimTemplate with a size (mount %q)", app, claim)
		}
		if r := ss.Spec.PersistentVolumeClaimRetentionPolicy; r == nil ||
			r.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType ||
			r.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
			t.Errorf("%s: claims are not retained on scale-down and delete: %+v", app, r)
		}

		// Identity from the pod name: stable across restarts, unique per replica.
		idVar := map[string]string{"calculator": "CALCULATOR_PRODUCER_ID", "totals": "TOTALS_GROUP_ID"}[app]
		if e, _ := envVar(c, idVar); e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.name" {
			t.Errorf("%s: %s is not the pod name: %+v", app, idVar, e)
		}

		// Locked down: the binaries write only under /data (and /tmp).
		sc, psc := c.SecurityContext, pod.SecurityContext
		if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != 65532 || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod does not run as non-root user 65532", app)
		}
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("%s: container security context not locked down: %+v", app, sc)
		}

		// Probes: readiness is "can take Adds" (calculator: gRPC health),
		// liveness the process answering.
		rp, lp := c.ReadinessProbe, c.LivenessProbe
		if rp == nil || lp == nil {
			t.Errorf("%s: readiness %v, liveness %v", app, rp, lp)
			continue
		}
		switch app {
		case "calculator":
			if rp.GRPC == nil || rp.GRPC.Port != 9090 ||
				(rp.GRPC.Service != nil && *rp.GRPC.Service != "" && *rp.GRPC.Service != "CalculatorService") {
				t.Errorf("calculator readiness is not the gRPC health of port 9090: %+v", rp.ProbeHandler)
			}
			if lp.HTTPGet == nil || lp.HTTPGet.Path != "/healthz" || portNumber(c, lp.HTTPGet.Port) != 8081 {
				t.Errorf("calculator liveness is not GET /healthz on 8081: %+v", lp.ProbeHandler)
			}
		case "totals":
			if rp.HTTPGet == nil || rp.HTTPGet.Path != "/readyz" || portNumber(c, rp.HTTPGet.Port) != 8080 {
				t.Errorf("totals readiness is not GET /readyz on 8080: %+v", rp.ProbeHandler)
			}
			// Liveness on the ops port: a flood of public clients does not restart the pod.
			if lp.HTTPGet == nil || lp.HTTPGet.Path != "/healthz" || portNumber(c, lp.HTTPGet.Port) != 8083 {
				t.Errorf("totals liveness is not GET /healthz on the ops port 8083: %+v", lp.ProbeHandler)
			}
		}

		// A disruption budget that covers the pods and lets a drain proceed.
		covered := false
		for _, pdb := range pdbs {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err == nil && sel.Matches(labels.Set(ss.Spec.Template.Labels)) {
				covered = true
				if pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.IntValue() >= int(*ss.Spec.Replicas) {
					t.Errorf("%s: PodDisruptionBudget %s minAvailable %s blocks every drain", app, pdb.Name, pdb.Spec.MinAvailable)
				}
			}
		}
		if !covered {
			t.Errorf("%s: no PodDisruptionBudget selects its pods", app)
		}
	}

	// Client Services: calculator gRPC 9090 and ops 8081, totals REST 8080 and ops 8083.
	for svcName, ports := range map[string][]int32{"calculator": {9090, 8081}, "totals": {8080, 8083}} {
		svc := services[svcName]
		if svc == nil || svc.Spec.ClusterIP == corev1.ClusterIPNone {
			t.Errorf("no ClusterIP Service %q", svcName)
			continue
		}
		for _, p := range ports {
			if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == p }) {
				t.Errorf("Service %s does not expose %d", svcName, p)
			}
		}
	}

	// The ServiceMonitor scrapes /metrics of both services once per pod: it
	// selects the two ClusterIP Services (not the headless ones) and names
	// ports they have, which lead to the metrics ports.
	if len(monitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(monitors))
	}
	for _, sm := range monitors {
		sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
		if err != nil {
			t.Fatalf("ServiceMonitor %s selector: %v", sm.Name, err)
		}
		scraped := map[string]int32{}
		for name, svc := range services {
			if !sel.Matches(labels.Set(svc.Labels)) {
				continue
			}
			for _, ep := range sm.Spec.Endpoints {
				for _, p := range svc.Spec.Ports {
					if p.Name == ep.Port {
						if ep.Path != "" && ep.Path != "/metrics" {
							t.Errorf("ServiceMonitor endpoint %s path %q", ep.Port, ep.Path)
						}
						if _, dup := scraped[name]; dup {
							t.Errorf("ServiceMonitor scrapes Service %s twice", name)
						}
						scraped[name] = p.Port
					}
				}
			}
		}
		// Totals' /metrics is only on its ops port (404 on 8080).
		if want := map[string]int32{"calculator": 8081, "totals": 8083}; !mapsEqual(scraped, want) {
			t.Errorf("ServiceMonitor %s scrapes %v, want %v", sm.Name, scraped, want)
		}
		if sm.Spec.JobLabel != "app.kubernetes.io/name" {
			t.Errorf("ServiceMonitor jobLabel %q: the alerts expect job=calculator/totals", sm.Spec.JobLabel)
		}
	}

	// Kafka: the brokers the services are given exist in the overlay.
	settings := settingsOf(t, configMaps)
	host, port, ok := strings.Cut(settings["KAFKA_BROKERS"], ":")
	if !ok {
		t.Fatalf("KAFKA_BROKERS %q is not host:port", settings["KAFKA_BROKERS"])
	}
	if want.strimzi {
		if _, ok := sets["kafka"]; ok {
			t.Error("production runs the dev Kafka StatefulSet")
		}
		// Strimzi's bootstrap Service is <cluster>-kafka-bootstrap.
		cluster, ok := strings.CutSuffix(host, "-kafka-bootstrap")
		if !ok || findStrimzi(objs, "Kafka", cluster) == nil {
			t.Errorf("KAFKA_BROKERS %q is not the bootstrap Service of a Kafka resource", settings["KAFKA_BROKERS"])
		}
		if port != "9092" {
			t.Errorf("KAFKA_BROKERS port %s, want the plain listener 9092", port)
		}
	} else {
		// The dev broker: <pod>.<headless service>:<port>.
		pod, svcName, _ := strings.Cut(host, ".")
		ss := sets["kafka"]
		svc := services[svcName]
		if ss == nil || svc == nil || pod != ss.Name+"-0" || ss.Spec.ServiceName != svcName || *ss.Spec.Replicas != 1 {
			t.Fatalf("KAFKA_BROKERS %q is not the dev broker's pod address", settings["KAFKA_BROKERS"])
		}
		env := containerEnv(ss.Spec.Template.Spec.Containers[0], configMaps)
		if a := env["KAFKA_ADVERTISED_LISTENERS"]; !strings.HasSuffix(a, "://"+host+":"+port) {
			t.Errorf("the broker advertises %q, the services are given %s:%s", a, host, port)
		}
		checkDevBroker(t, env, host, port, ss)
		if len(ss.Spec.VolumeClaimTemplates) == 0 {
			t.Error("the dev broker has no volume claim")
		}
	}
}

// containerEnv is a container's environment: its envFrom ConfigMaps, then
// its literal env values.
func containerEnv(c corev1.Container, cms map[string]*corev1.ConfigMap) map[string]string {
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && cms[ef.ConfigMapRef.Name] != nil {
			for k, v := range cms[ef.ConfigMapRef.Name].Data {
				env[ef.Prefix+k] = v
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// checkDevBroker: the dev broker runs with the project's broker settings
// (deploy/kafka, their one source) for its pod address and volume. Only
// the listening addresses differ: a pod listens on every interface and
// reaches its own controller on localhost.
func checkDevBroker(t reporter, env map[string]string, host, port string, ss *appsv1.StatefulSet) {
	portN, _ := strconv.Atoi(port)
	c := ss.Spec.Template.Spec.Containers[0]
	var dataDir string
	for _, m := range c.VolumeMounts {
		if len(ss.Spec.VolumeClaimTemplates) > 0 && m.Name == ss.Spec.VolumeClaimTemplates[0].Name {
			dataDir = m.MountPath
		}
	}
	logDirs := env["KAFKA_LOG_DIRS"]
	if dataDir == "" || !strings.HasPrefix(logDirs, dataDir+"/") {
		t.Errorf("the broker's log.dirs %q is not under its volume (%q)", logDirs, dataDir)
	}
	want := brokerconf.Properties(brokerconf.Params{
		NodeID: 1, Host: host, Port: portN, ControllerPort: 9093, DataDir: logDirs,
	})
	differs := map[string]string{
		"listeners":                "PLAINTEXT://:" + port + ",CONTROLLER://:9093",
		"controller.quorum.voters": "1@localhost:9093",
	}
	seen := map[string]bool{}
	for prop, v := range want {
		if d, ok := differs[prop]; ok {
			v = d
		}
		name := brokerconf.EnvName(prop)
		seen[name] = true
		if got, ok := env[name]; !ok || got != v {
			t.Errorf("dev broker %s = %q, want %q (%s in deploy/kafka/server.properties.tmpl)", name, got, v, prop)
		}
	}
	for name := range env {
		if strings.HasPrefix(name, "KAFKA_") && !seen[name] && name != "KAFKA_HEAP_OPTS" {
			t.Errorf("dev broker sets %s (%s), which the project's broker settings do not have", name, brokerconf.PropertyName(name))
		}
	}
	if env["CLUSTER_ID"] == "" {
		t.Error("dev broker has no CLUSTER_ID to format its volume with")
	}
}

func mapsEqual(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// settingsOf returns the shared settings ConfigMap (hash-suffixed name).
func settingsOf(t reporter, cms map[string]*corev1.ConfigMap) map[string]string {
	t.Helper()
	for name, cm := range cms {
		if strings.HasPrefix(name, "distsum-settings-") {
			return cm.Data
		}
	}
	t.Fatal("no distsum-settings ConfigMap")
	return nil
}

// findStrimzi returns a Strimzi resource as a generic map.
func findStrimzi(objs []object, kind, name string) map[string]any {
	for _, o := range objs {
		if o.gvk.Group == strimziGroup && o.gvk.Kind == kind && o.name == name {
			var m map[string]any
			if utiljson.Unmarshal(o.json, &m) == nil {
				return m
			}
		}
	}
	return nil
}

func strimziOf(objs []object, kind string) []map[string]any {
	var out []map[string]any
	for _, o := range objs {
		if o.gvk.Group == strimziGroup && o.gvk.Kind == kind {
			out = append(out, findStrimzi(objs, kind, o.name))
		}
	}
	return out
}

// path walks nested maps.
func path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// intOf reads a setting that may be written as a number or a string.
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// checkStrimzi: the topic the services use is declared with replication
// factor 3 and min ISR 2, on a cluster with the brokers to hold it.
func checkStrimzi(t reporter, objs []object) {
	settings := settingsOf(t, typedOf[*corev1.ConfigMap](objs))

	// The README's first apply step (-l distsum.io/stage=kafka) creates the
	// namespace, the cluster and the topic, and nothing that starts a service.
	for _, o := range objs {
		var lbls map[string]any
		if o.typed != nil {
			acc, err := meta.Accessor(o.typed)
			if err != nil {
				t.Fatalf("%s: %v", o, err)
			}
			lbls = map[string]any{}
			for k, v := range acc.GetLabels() {
				lbls[k] = v
			}
		} else {
			lbls, _ = path(findStrimzi(objs, o.gvk.Kind, o.name), "metadata", "labels").(map[string]any)
		}
		first := o.typed == nil || o.gvk.Kind == "Namespace"
		if staged := lbls[stageLabel] == "kafka"; staged != first {
			t.Errorf("%s: %s=kafka is %v, want %v", o, stageLabel, staged, first)
		}
	}

	kafkas := strimziOf(objs, "Kafka")
	if len(kafkas) != 1 {
		t.Fatalf("%d Kafka resources, want 1", len(kafkas))
	}
	cluster := path(kafkas[0], "metadata", "name")

	var brokers int64
	for _, np := range strimziOf(objs, "KafkaNodePool") {
		if path(np, "metadata", "labels", "strimzi.io/cluster") != cluster {
			t.Errorf("KafkaNodePool %v is not labelled for cluster %v", path(np, "metadata", "name"), cluster)
		}
		roles, _ := path(np, "spec", "roles").([]any)
		if slices.Contains(roles, any("broker")) {
			n, _ := intOf(path(np, "spec", "replicas"))
			brokers += n
		}
		if path(np, "spec", "storage", "type") == "ephemeral" {
			t.Errorf("KafkaNodePool %v has ephemeral storage", path(np, "metadata", "name"))
		}
	}
	if brokers < 3 {
		t.Errorf("%d brokers, want at least 3 for replication factor 3", brokers)
	}
	if path(kafkas[0], "spec", "entityOperator", "topicOperator") == nil {
		t.Error("no topic operator: the KafkaTopic would not be created")
	}
	for key, want := range map[string]int64{
		"default.replication.factor": 3, "min.insync.replicas": 2,
		"offsets.topic.replication.factor": 3, "transaction.state.log.replication.factor": 3,
		"transaction.state.log.min.isr": 2,
	} {
		if got, ok := intOf(path(kafkas[0], "spec", "kafka", "config", key)); !ok || got != want {
			t.Errorf("Kafka config %s = %v, want %d", key, path(kafkas[0], "spec", "kafka", "config", key), want)
		}
	}

	var topic map[string]any
	for _, kt := range strimziOf(objs, "KafkaTopic") {
		name := path(kt, "spec", "topicName")
		if name == nil {
			name = path(kt, "metadata", "name")
		}
		if name == settings["KAFKA_TOPIC"] {
			topic = kt
		}
	}
	if topic == nil {
		t.Fatalf("no KafkaTopic for KAFKA_TOPIC %q", settings["KAFKA_TOPIC"])
	}
	if path(topic, "metadata", "labels", "strimzi.io/cluster") != cluster {
		t.Errorf("KafkaTopic is not labelled for cluster %v", cluster)
	}
	if rf, _ := intOf(path(topic, "spec", "replicas")); rf != 3 {
		t.Errorf("topic replicas %v, want 3", path(topic, "spec", "replicas"))
	}
	if isr, _ := intOf(path(topic, "spec", "config", "min.insync.replicas")); isr != 2 {
		t.Errorf("topic min.insync.replicas %v, want 2", path(topic, "spec", "config", "min.insync.replicas"))
	}
	if u := path(topic, "spec", "config", "unclean.leader.election.enable"); u != false && u != "false" {
		t.Errorf("topic unclean.leader.election.enable %v, want false", u)
	}
	if p, _ := intOf(path(topic, "spec", "partitions")); strconv.FormatInt(p, 10) != settings["KAFKA_TOPIC_PARTITIONS"] {
		t.Errorf("topic partitions %v, KAFKA_TOPIC_PARTITIONS %q", path(topic, "spec", "partitions"), settings["KAFKA_TOPIC_PARTITIONS"])
	}
}

// ---- negative controls ----

// memCopy copies the manifests into an in-memory file system with one file
// edited, so a broken variant renders through the same kustomizations.
func memCopy(t *testing.T, file, old, new string) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	edited := false
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".env")) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if p == file {
			if !bytes.Contains(b, []byte(old)) {
				return fmt.Errorf("%s does not contain %q", p, old)
			}
			b = bytes.Replace(b, []byte(old), []byte(new), 1)
			edited = true
		}
		return mem.WriteFile(p, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !edited {
		t.Fatalf("%s not found", file)
	}
	return mem
}

// A misspelt or unknown field, or a kind nothing can type, fails the decode.
func TestStrictDecodeRejects(t *testing.T) {
	cases := []struct {
		name, file, old, new, wantErr string
	}{
		{"misspelt field", "base/calculator.yaml",
			"terminationGracePeriodSeconds: 30", "terminationGracePeriodSecond: 30", `unknown field "spec.template.spec.terminationGracePeriodSecond"`},
		{"wrong case", "base/totals.yaml",
			"readinessProbe:", "readinessprobe:", `unknown field "spec.template.spec.containers[0].readinessprobe"`},
		{"wrong type", "overlays/dev/kafka.yaml",
			"replicas: 1", "replicas: one", "StatefulSet/kafka"},
		{"ServiceMonitor field", "components/monitoring/servicemonitor.yaml",
			"jobLabel:", "jobLable:", `unknown field "spec.jobLable"`},
		{"untyped kind", "overlays/dev/namespace.yaml",
			"kind: Namespace", "kind: Namespaces", "no typed decoder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := render(memCopy(t, tc.file, tc.old, tc.new), "overlays/dev")
			if err != nil {
				t.Fatal(err)
			}
			_, err = decode(objs)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("decode error %v, want one containing %q", err, tc.wantErr)
			}
			t.Logf("rejected: %v", err)
		})
	}
}

// A Strimzi resource with an unknown field, a wrong type, a value outside an
// enum or a missing required field fails schema validation.
func TestStrimziSchemaRejects(t *testing.T) {
	s := needSchemas(t)
	cases := []struct {
		name, file, old, new, wantErr string
	}{
		{"unknown field", "overlays/production/topic.yaml",
			"partitions: 3", "partitons: 3", "spec.partitons"},
		{"wrong type", "overlays/production/topic.yaml",
			"replicas: 3", `replicas: "3"`, "spec.replicas"},
		{"enum", "overlays/production/kafka.yaml",
			"type: internal", "type: intranet", "spec.kafka.listeners[0].type"},
		{"required", "overlays/production/kafka.yaml",
			"        tls: false\n", "", "spec.kafka.listeners[0].tls"},
		{"node pool roles", "overlays/production/kafka.yaml",
			"- controller\n", "- controllers\n", "spec.roles[0]"},
		{"unserved version", "overlays/production/topic.yaml",
			"kafka.strimzi.io/v1", "kafka.strimzi.io/v2", "not served"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rendered, err := render(memCopy(t, tc.file, tc.old, tc.new), "overlays/production")
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decode(rendered)
			if err != nil {
				t.Fatal(err)
			}
			var errs []error
			for _, o := range objs {
				if o.typed == nil {
					if err := s.validate(o); err != nil {
						errs = append(errs, err)
					}
				}
			}
			err = errors.Join(errs...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("validation error %v, want one containing %q", err, tc.wantErr)
			}
			t.Logf("rejected: %v", err)
		})
	}
}

// A CEL rule of the schemas is evaluated: Strimzi requires valueFrom for
// jmxPrometheusExporter metrics (x-kubernetes-validations).
func TestStrimziCELRule(t *testing.T) {
	s := needSchemas(t)
	mem := memCopy(t, "overlays/production/kafka.yaml",
		"    version: 4.1.1\n", "    version: 4.1.1\n    metricsConfig:\n      type: jmxPrometheusExporter\n")
	rendered, err := render(mem, "overlays/production")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(rendered)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.gvk.Kind == "Kafka" {
			err := s.validate(o)
			if err == nil || !strings.Contains(err.Error(), "valueFrom property is required") {
				t.Fatalf("validation error %v, want the CEL rule's message", err)
			}
			t.Logf("rejected: %v", err)
			return
		}
	}
	t.Fatal("no Kafka resource")
}

// recorder collects what the checks report; Fatal stops them like t.Fatal.
type recorder struct{ msgs []string }

type stopChecks struct{}

func (r *recorder) Helper()           {}
func (r *recorder) Error(args ...any) { r.msgs = append(r.msgs, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); panic(stopChecks{}) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); panic(stopChecks{}) }

// complaints runs the deployment checks of an overlay on objs.
func complaints(objs []object, want expectation) (msgs []string) {
	r := &recorder{}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(stopChecks); !ok {
				panic(p)
			}
		}
		msgs = r.msgs
	}()
	checkDeployment(r, objs, want)
	if want.strimzi {
		checkStrimzi(r, objs)
	}
	return r.msgs
}

// The checks catch a manifest that breaks a promise while still decoding
// and validating: each edit must draw its complaint.
func TestChecksCatch(t *testing.T) {
	cases := []struct {
		name, overlay, file, old, new, want string
	}{
		{"replica count", "production", "overlays/production/kustomization.yaml",
			"count: 3", "count: 2", "calculator replicas"},
		{"calculator readiness", "dev", "base/calculator.yaml",
			"            grpc:\n              port: 9090\n              service: CalculatorService\n",
			"            tcpSocket:\n              port: 9090\n", "calculator readiness is not the gRPC health"},
		{"totals readiness path", "dev", "base/totals.yaml",
			"path: /readyz", "path: /healthz", "totals readiness is not GET /readyz"},
		{"memory limit", "dev", "base/totals.yaml",
			"              cpu: \"1\"\n              memory: 256Mi\n", "              cpu: \"1\"\n", "totals/totals: no memory limit"},
		{"group id per replica", "production", "base/totals.yaml",
			"fieldPath: metadata.name", "fieldPath: metadata.namespace", "TOTALS_GROUP_ID is not the pod name"},
		{"data volume", "dev", "base/calculator.yaml",
			"mountPath: /data", "mountPath: /var/data", "calculator: /data is not a volumeClaimTemplate"},
		{"drain blocked", "production", "base/calculator.yaml",
			"maxUnavailable: 1", "minAvailable: 3", "blocks every drain"},
		{"scraped twice", "dev", "components/monitoring/servicemonitor.yaml",
			"      - key: distsum.io/headless\n        operator: DoesNotExist\n", "", "ServiceMonitor distsum scrapes"},
		{"topic replication", "production", "overlays/production/topic.yaml",
			"replicas: 3", "replicas: 2", "topic replicas 2, want 3"},
		{"topic min ISR", "production", "overlays/production/topic.yaml",
			"min.insync.replicas: 2", "min.insync.replicas: 1", "topic min.insync.replicas 1, want 2"},
		{"brokers address", "production", "overlays/production/kustomization.yaml",
			"distsum-kafka-bootstrap:9092", "kafka-bootstrap:9092", "is not the bootstrap Service"},
		{"stage label", "production", "overlays/production/topic.yaml",
			"    distsum.io/stage: kafka\n", "", "KafkaTopic/calculator-sum-topic: distsum.io/stage=kafka is false, want true"},
		{"dev advertised listener", "dev", "overlays/dev/kafka.env",
			"PLAINTEXT://kafka-0.kafka:9092", "PLAINTEXT://localhost:9092", "the broker advertises"},
		{"dev broker setting drift", "dev", "overlays/dev/kafka.env",
			"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=1", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR=2", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"},
		{"dev broker setting missing", "dev", "overlays/dev/kafka.env",
			"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR=1\n", "", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"},
		{"dev broker unknown setting", "dev", "overlays/dev/kafka.env",
			"KAFKA_NUM_PARTITIONS=1\n", "KAFKA_NUM_PARTITIONS=1\nKAFKA_NUM_PARTITION=3\n", "KAFKA_NUM_PARTITION (num.partition)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rendered, err := render(memCopy(t, tc.file, tc.old, tc.new), filepath.Join("overlays", tc.overlay))
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decode(rendered)
			if err != nil {
				t.Fatal(err)
			}
			msgs := complaints(objs, overlays[tc.overlay])
			if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, tc.want) }) {
				t.Fatalf("checks said %q, want a complaint containing %q", msgs, tc.want)
			}
			t.Logf("caught: %s", strings.Join(msgs, "; "))
		})
	}
}
