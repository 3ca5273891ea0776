package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

var overlays = []string{"dev", "prod"}

var hashSuffix = regexp.MustCompile(`-[a-z0-9]{10}$`)

// rendered is one overlay's objects, decoded into the official types.
type rendered struct {
	deployments  []*appsv1.Deployment
	statefulsets []*appsv1.StatefulSet
	services     []*corev1.Service
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	pdbs         []*policyv1.PodDisruptionBudget
	policies     []*networkingv1.NetworkPolicy
	pods         []*corev1.Pod
	cronJobs     []*batchv1.CronJob
	configMaps   map[string]*corev1.ConfigMap
	secrets      map[string]*corev1.Secret
	roles        []*rbacv1.Role
	roleBindings []*rbacv1.RoleBinding
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func render(t *testing.T, overlay string) rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(repoRoot(t), "deploy", "k8s", "overlays", overlay))
	if err != nil {
		t.Fatalf("kustomize %s: %v", overlay, err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, batchv1.AddToScheme,
		networkingv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme, rbacv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	// Strict: an unknown or misspelt field is an error, as the API server's
	// field validation would make it.
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
	r := rendered{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, res := range resources.Resources() {
		y, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := strict.Decode(y, nil, nil)
		if err != nil {
			t.Fatalf("%s: %s/%s does not decode strictly: %v", overlay, res.GetKind(), res.GetName(), err)
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			r.deployments = append(r.deployments, o)
		case *appsv1.StatefulSet:
			r.statefulsets = append(r.statefulsets, o)
		case *corev1.Service:
			r.services = append(r.services, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas = append(r.hpas, o)
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, o)
		case *networkingv1.NetworkPolicy:
			r.policies = append(r.policies, o)
		case *corev1.Pod:
			r.pods = append(r.pods, o)
		case *batchv1.CronJob:
			r.cronJobs = append(r.cronJobs, o)
		// Generated names carry a content hash: keep them under both the
		// final name (what workloads refer to) and the written one.
		case *corev1.ConfigMap:
			r.configMaps[o.Name], r.configMaps[hashSuffix.ReplaceAllString(o.Name, "")] = o, o
		case *corev1.Secret:
			r.secrets[o.Name], r.secrets[hashSuffix.ReplaceAllString(o.Name, "")] = o, o
		case *rbacv1.Role:
			r.roles = append(r.roles, o)
		case *rbacv1.RoleBinding:
			r.roleBindings = append(r.roleBindings, o)
		case *corev1.Namespace, *corev1.ServiceAccount, *corev1.PersistentVolumeClaim:
		default:
			t.Fatalf("%s: unexpected kind %T", overlay, obj)
		}
	}
	return r
}

func forEachOverlay(t *testing.T, check func(t *testing.T, overlay string, r rendered)) {
	for _, o := range overlays {
		t.Run(o, func(t *testing.T) { check(t, o, render(t, o)) })
	}
}

// Our own workloads: the tiers built from this repository's services and
// edge (the collector's image is ours too, but the program is not: it
// gets the rules of a third-party workload).
func ours(d *appsv1.Deployment) bool {
	image := d.Spec.Template.Spec.Containers[0].Image
	return strings.HasPrefix(image, "seminarhub/") && !strings.HasPrefix(image, "seminarhub/collector")
}

func TestEveryDeploymentHasProbesResourcesAndALockedDownSecurityContext(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, _ string, r rendered) {
		for _, d := range r.deployments {
			pod := d.Spec.Template.Spec
			if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
				t.Errorf("%s: pod does not require runAsNonRoot", d.Name)
			}
			for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
				sc := c.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
					sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
					t.Errorf("%s/%s: security context %+v", d.Name, c.Name, sc)
				}
				if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() ||
					c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
					t.Errorf("%s/%s: CPU and memory requests and limits are required", d.Name, c.Name)
				}
			}
			for _, c := range running(pod) {
				if c.ReadinessProbe == nil || c.LivenessProbe == nil {
					t.Errorf("%s/%s: readiness and liveness probes are required", d.Name, c.Name)
				}
			}
			// The rest of a tier's rules are for its server, not for a
			// sidecar beside it (the edge's metrics).
			for _, c := range pod.Containers[:1] {
				if ours(d) && (c.StartupProbe == nil || c.Lifecycle == nil || c.Lifecycle.PreStop == nil) {
					t.Errorf("%s/%s: startup probe and preStop pause are required", d.Name, c.Name)
				}
				// Probes go to the ops listener, never the API's (OPS_ADDR).
				if ours(d) && d.Name != "edge" {
					for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
						if p != nil && (p.HTTPGet == nil || p.HTTPGet.Port.String() != "ops") {
							t.Errorf("%s/%s: a probe does not target the ops port", d.Name, c.Name)
						}
					}
				}
			}
			if ours(d) {
				if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 30 {
					t.Errorf("%s: terminationGracePeriodSeconds must cover preStop + drain + shutdown", d.Name)
				}
				if len(pod.TopologySpreadConstraints) == 0 {
					t.Errorf("%s: no topology spread", d.Name)
				}
			}
		}
	})
}

func TestNoImageUsesLatestOrNoTag(t *testing.T) {
	tagged := regexp.MustCompile(`^[^:@]+(:[^:]+|@sha256:[0-9a-f]{64})$`)
	forEachOverlay(t, func(t *testing.T, _ string, r rendered) {
		var pods []corev1.PodSpec
		for _, d := range r.deployments {
			pods = append(pods, d.Spec.Template.Spec)
		}
		for _, s := range r.statefulsets {
			pods = append(pods, s.Spec.Template.Spec)
		}
		for _, p := range r.pods {
			pods = append(pods, p.Spec)
		}
		for _, c := range r.cronJobs {
			pods = append(pods, c.Spec.JobTemplate.Spec.Template.Spec)
		}
		for _, p := range pods {
			for _, c := range append(append([]corev1.Container{}, p.InitContainers...), p.Containers...) {
				if !tagged.MatchString(c.Image) || strings.HasSuffix(c.Image, ":latest") {
					t.Errorf("container %s: image %q is not pinned", c.Name, c.Image)
				}
			}
		}
	})
}

func TestEachHPAScalesAnExistingDeploymentThatRequestsCPU(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, _ string, r rendered) {
		scaled := map[string]bool{}
		for _, h := range r.hpas {
			ref := h.Spec.ScaleTargetRef
			var target *appsv1.Deployment
			for _, d := range r.deployments {
				if ref.Kind == "Deployment" && d.Name == ref.Name {
					target = d
				}
			}
			if target == nil {
				t.Errorf("HPA %s targets %s/%s, which does not exist", h.Name, ref.Kind, ref.Name)
				continue
			}
			scaled[ref.Name] = true
			for _, c := range running(target.Spec.Template.Spec) {
				if c.Resources.Requests.Cpu().IsZero() {
					t.Errorf("HPA %s: container %s requests no CPU, so utilisation is undefined", h.Name, c.Name)
				}
			}
			if len(h.Spec.Metrics) == 0 || h.Spec.Metrics[0].Resource == nil || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
				t.Errorf("HPA %s does not scale on CPU", h.Name)
			}
			if h.Spec.Behavior == nil || h.Spec.Behavior.ScaleDown == nil || h.Spec.Behavior.ScaleDown.StabilizationWindowSeconds == nil {
				t.Errorf("HPA %s has no scale-down stabilisation", h.Name)
			}
			if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
				t.Errorf("HPA %s: min %v > max %d", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
			}
		}
		for _, want := range []string{"gateway", "user", "content"} {
			if !scaled[want] {
				t.Errorf("no HPA for %s", want)
			}
		}
	})
}

func TestServicesSelectPodsAndExposeTheirPorts(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, _ string, r rendered) {
		for _, s := range r.services {
			sel := labels.SelectorFromSet(s.Spec.Selector)
			matched := false
			var podSpecs []corev1.PodSpec
			for _, d := range r.deployments {
				if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					matched = true
					podSpecs = append(podSpecs, d.Spec.Template.Spec)
				}
			}
			for _, st := range r.statefulsets {
				if sel.Matches(labels.Set(st.Spec.Template.Labels)) {
					matched = true
					podSpecs = append(podSpecs, st.Spec.Template.Spec)
				}
			}
			if !matched {
				t.Errorf("Service %s selects no pods", s.Name)
				continue
			}
			for _, p := range s.Spec.Ports {
				if !hasPort(podSpecs, p.TargetPort.String()) {
					t.Errorf("Service %s: target port %s is not a container port", s.Name, p.TargetPort.String())
				}
			}
		}
	})
}

// running is what runs for a pod's whole life: its containers and its
// native sidecars (init containers that restart always).
func running(pod corev1.PodSpec) []corev1.Container {
	var cs []corev1.Container
	for _, c := range pod.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			cs = append(cs, c)
		}
	}
	return append(cs, pod.Containers...)
}

func hasPort(pods []corev1.PodSpec, target string) bool {
	for _, p := range pods {
		for _, c := range running(p) {
			for _, cp := range c.Ports {
				if cp.Name == target || fmt.Sprint(cp.ContainerPort) == target {
					return true
				}
			}
		}
	}
	return false
}

// The edge is the public entry, the cluster's ingress tier: a LoadBalancer
// Service for HTTPS and HTTP that keeps clients' addresses, and no Ingress
// (or other object) naming a controller we do not run.
func TestTheEdgeIsThePublicEntry(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, _ string, r rendered) {
		for _, s := range r.services {
			if s.Name != "edge" {
				if s.Spec.Type != "" && s.Spec.Type != corev1.ServiceTypeClusterIP {
					t.Errorf("Service %s is %s: only the edge is reachable from outside", s.Name, s.Spec.Type)
				}
				continue
			}
			ports := map[string]int32{}
			for _, p := range s.Spec.Ports {
				ports[p.Name] = p.Port
			}
			if s.Spec.Type != corev1.ServiceTypeLoadBalancer || ports["https"] != 443 || ports["http"] != 80 ||
				s.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal {
				t.Errorf("edge Service: type %s, ports %v, externalTrafficPolicy %q; want LoadBalancer, https 443, http 80, Local",
					s.Spec.Type, ports, s.Spec.ExternalTrafficPolicy)
			}
		}
		for _, d := range r.deployments {
			if d.Name != "edge" {
				continue
			}
			var tls bool
			for _, v := range d.Spec.Template.Spec.Volumes {
				tls = tls || (v.Secret != nil && v.Secret.SecretName == "seminarhub-tls")
			}
			if !tls {
				t.Error("the edge does not take its certificate from Secret seminarhub-tls")
			}
		}
	})
}

// No object names the retired ingress-nginx, its namespace or annotations.
func TestNothingNamesIngressNginx(t *testing.T) {
	root := repoRoot(t)
	_ = filepath.Walk(filepath.Join(root, "deploy", "k8s"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "ingress-nginx") || strings.Contains(string(b), "nginx.ingress.kubernetes.io") {
			t.Errorf("%s names ingress-nginx", path)
		}
		return nil
	})
}

func TestEveryPodIsCoveredByANetworkPolicyAndDefaultIsDeny(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, _ string, r rendered) {
		var defaultDeny bool
		for _, p := range r.policies {
			if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
				len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 && len(p.Spec.PolicyTypes) == 2 {
				defaultDeny = true
			}
		}
		if !defaultDeny {
			t.Fatal("no default-deny NetworkPolicy")
		}
		podLabels := map[string]map[string]string{}
		for _, d := range r.deployments {
			podLabels[d.Name] = d.Spec.Template.Labels
		}
		for _, s := range r.statefulsets {
			podLabels[s.Name] = s.Spec.Template.Labels
		}
		for name, l := range podLabels {
			allowed := false
			for _, p := range r.policies {
				sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
				if err != nil {
					t.Fatal(err)
				}
				specific := len(p.Spec.PodSelector.MatchLabels)+len(p.Spec.PodSelector.MatchExpressions) > 0
				if specific && sel.Matches(labels.Set(l)) && len(p.Spec.Ingress) > 0 {
					allowed = true
				}
			}
			if !allowed {
				t.Errorf("pods of %s are reachable by nothing: no NetworkPolicy allows ingress to them", name)
			}
		}
	})
}

func TestTheConfigurationTheBinariesNeedIsPresent(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, overlay string, r rendered) {
		cm := r.configMaps["seminarhub-config"]
		if cm == nil {
			t.Fatal("no seminarhub-config")
		}
		for _, d := range r.deployments {
			if !ours(d) || d.Name == "edge" {
				continue
			}
			pod := d.Spec.Template.Spec
			for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
				env := map[string]bool{}
				for k := range cm.Data {
					env[k] = true
				}
				for _, e := range c.Env {
					env[e.Name] = true
					if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil && overlay == "dev" {
						s := r.secrets[ref.SecretKeyRef.Name]
						if s == nil || len(s.Data[ref.SecretKeyRef.Key]) == 0 {
							t.Errorf("%s/%s: secret %s key %s is missing", d.Name, c.Name, ref.SecretKeyRef.Name, ref.SecretKeyRef.Key)
						}
					}
				}
				required := []string{"INTERNAL_SECRET", "REDIS_URL", "SEMINARHUB_ENV"}
				if d.Name == "gateway" {
					required = append(required, "USER_SERVICE_URL", "CONTENT_SERVICE_URL")
				} else {
					required = append(required, "DATABASE_URL", "DB_MAX_CONNS")
				}
				if c.Name != "migrate" {
					required = append(required, "HTTP_ADDR", "OPS_ADDR")
				}
				for _, k := range required {
					if !env[k] {
						t.Errorf("%s/%s: %s is not set", d.Name, c.Name, k)
					}
				}
			}
		}
	})
}

func TestDevSecretsAreMarkedDevOnly(t *testing.T) {
	r := render(t, "dev")
	for name, s := range r.secrets {
		if name != hashSuffix.ReplaceAllString(name, "") {
			continue // the same Secret under its hashed name
		}
		for k, v := range s.Data {
			if strings.Contains(k, "PASSWORD") || k == "secret" {
				if !strings.HasPrefix(string(v), "dev-only-") {
					t.Errorf("secret %s/%s is not marked dev-only", name, k)
				}
			}
		}
	}
	if len(render(t, "prod").secrets) != 0 {
		t.Error("the prod overlay must not ship secrets")
	}
}

func TestTheConnectionBudgetFitsMaxConnections(t *testing.T) {
	budget := map[string]int{"dev": 100, "prod": 200}
	forEachOverlay(t, func(t *testing.T, overlay string, r rendered) {
		var pool int
		if _, err := fmt.Sscan(r.configMaps["seminarhub-config"].Data["DB_MAX_CONNS"], &pool); err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, h := range r.hpas {
			if h.Spec.ScaleTargetRef.Name == "user" || h.Spec.ScaleTargetRef.Name == "content" {
				total += int(h.Spec.MaxReplicas) * pool
			}
		}
		total += 2 * 2 * 2 // migrations: 2 services × a surge pod × 2 connections
		t.Logf("%s: %d connections at full scale, max_connections %d", overlay, total, budget[overlay])
		if total > budget[overlay] {
			t.Errorf("%d connections at full scale exceed %d", total, budget[overlay])
		}
	})
}

func TestTheDevPostgresInitScriptIsComposes(t *testing.T) {
	root := repoRoot(t)
	a, errA := os.ReadFile(filepath.Join(root, "deploy", "compose", "postgres-init.sh"))
	b, errB := os.ReadFile(filepath.Join(root, "deploy", "k8s", "overlays", "dev", "postgres-init.sh"))
	if errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("deploy/k8s/overlays/dev/postgres-init.sh differs from deploy/compose/postgres-init.sh (%v, %v)", errA, errB)
	}
}

// The settings an operator tunes for a load or conformance test from one
// address are in the ConfigMaps, where an overlay can change them: the
// edge's flood guard and the user service's budgets.
func TestTheLimitsOnSigningInAreSettings(t *testing.T) {
	forEachOverlay(t, func(t *testing.T, overlay string, r rendered) {
		for _, k := range []string{"LOGIN_ATTEMPTS_PER_MINUTE", "LOGIN_LOCKOUT_MAX", "FAILED_LOGINS_PER_ADDRESS_PER_HOUR", "SIGNUPS_PER_ADDRESS_PER_HOUR"} {
			if r.configMaps["seminarhub-config"].Data[k] == "" {
				t.Errorf("seminarhub-config has no %s", k)
			}
		}
		if rate := r.configMaps["edge-config"].Data["EDGE_AUTH_RATE"]; rate != "20r/s" {
			t.Errorf("edge-config EDGE_AUTH_RATE %q; want 20r/s as shipped", rate)
		}
		for _, d := range r.deployments {
			if d.Name != "edge" {
				continue
			}
			found := false
			for _, e := range d.Spec.Template.Spec.Containers[0].Env {
				ref := e.ValueFrom
				found = found || (e.Name == "EDGE_AUTH_RATE" && ref != nil && ref.ConfigMapKeyRef != nil &&
					hashSuffix.ReplaceAllString(ref.ConfigMapKeyRef.Name, "") == "edge-config" && ref.ConfigMapKeyRef.Key == "EDGE_AUTH_RATE")
			}
			if !found {
				t.Error("the edge does not take EDGE_AUTH_RATE from edge-config")
			}
		}
	})
}

// The dev overlay's PostgreSQL archives its WAL with pgBackRest to a volume
// of its own, and a CronJob backs it up (docs/backups.md).
func TestTheDevPostgreSQLIsArchivedAndBackedUp(t *testing.T) {
	r := render(t, "dev")
	var archived, repo bool
	for _, s := range r.statefulsets {
		if s.Name != "postgres" {
			continue
		}
		c := s.Spec.Template.Spec.Containers[0]
		archived = slices.Contains(c.Args, "archive_mode=on") && slices.ContainsFunc(c.Args, func(a string) bool {
			return strings.HasPrefix(a, "archive_command=pgbackrest ")
		})
		for _, m := range c.VolumeMounts {
			repo = repo || m.MountPath == "/var/lib/pgbackrest"
		}
	}
	if !archived || !repo {
		t.Errorf("postgres: WAL archived with pgBackRest %v, repository mounted %v", archived, repo)
	}
	var backups bool
	for _, c := range r.cronJobs {
		backups = backups || c.Name == "postgres-backup" && c.Spec.ConcurrencyPolicy == batchv1.ForbidConcurrent
	}
	if !backups {
		t.Error("no postgres-backup CronJob that forbids overlapping runs")
	}
}

// The dev overlay's monitoring stack lives in namespace "monitoring" (the
// one the base's ops-scraping policy admits), the product in its own, and
// what the monitoring namespace may read of the product is Prometheus its
// pods and kube-state-metrics its autoscalers, nothing else: Roles, no
// ClusterRole (decoding refuses any kind not expected).
func TestTheMonitoringNamespaceReadsOnlyPodsAndAutoscalers(t *testing.T) {
	r := render(t, "dev")
	monitoring := map[string]bool{"prometheus": true, "alertmanager": true, "collector": true, "kube-state-metrics": true}
	for _, d := range r.deployments {
		want := "seminarhub-dev"
		if monitoring[d.Name] {
			want = "monitoring"
		}
		if d.Namespace != want {
			t.Errorf("Deployment %s is in namespace %q; want %q", d.Name, d.Namespace, want)
		}
	}
	var granted []string
	for _, b := range r.roleBindings {
		for _, s := range b.Subjects {
			if s.Namespace == "monitoring" {
				granted = append(granted, b.Namespace+"/"+b.RoleRef.Kind+"/"+b.RoleRef.Name+" to "+s.Kind+" "+s.Name)
			}
		}
	}
	slices.Sort(granted)
	want := []string{
		"seminarhub-dev/Role/autoscaler-state to ServiceAccount kube-state-metrics",
		"seminarhub-dev/Role/prometheus-discovery to ServiceAccount prometheus",
	}
	if !slices.Equal(granted, want) {
		t.Fatalf("the monitoring namespace is granted %q; want %q", granted, want)
	}
	grants := map[string]rbacv1.PolicyRule{
		"prometheus-discovery": {APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}},
		"autoscaler-state":     {APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list", "watch"}},
	}
	for _, role := range r.roles {
		if rule, ok := grants[role.Name]; ok && (len(role.Rules) != 1 || !reflect.DeepEqual(role.Rules[0], rule)) {
			t.Errorf("Role %s grants %+v; want only %+v", role.Name, role.Rules, rule)
		}
	}
	config := r.configMaps["prometheus-config"]
	if config == nil || config.Namespace != "monitoring" {
		t.Fatal("no ConfigMap prometheus-config in namespace monitoring")
	}
	if !strings.Contains(config.Data["prometheus.yml"], "names: [seminarhub-dev]") {
		t.Error("Prometheus's pod discovery does not name the namespace its Role is in (seminarhub-dev)")
	}
}
