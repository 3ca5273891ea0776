package k8s

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// prometheusAPI asks the monitoring namespace's Prometheus through the API
// server's service proxy (as an operator with kubectl may) and decodes
// its data.
func prometheusAPI(t testing.TB, path string, data any) {
	t.Helper()
	out := kubectl(t, "get", "--raw", "/api/v1/namespaces/monitoring/services/prometheus:web/proxy"+path)
	var body struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &body); err != nil || body.Status != "success" {
		t.Fatalf("Prometheus %s: %v\n%s", path, err, out)
	}
	if err := json.Unmarshal(body.Data, data); err != nil {
		t.Fatalf("Prometheus %s: %v", path, err)
	}
}

func promQuery(t testing.TB, q string) int {
	t.Helper()
	var data struct {
		Result []json.RawMessage `json:"result"`
	}
	prometheusAPI(t, "/api/v1/query?query="+url.QueryEscape(q), &data)
	return len(data.Result)
}

// monitoring: Prometheus, in namespace monitoring, finds every pod's ops
// port through the Kubernetes API and scrapes it — one target per pod —
// the collector reads PostgreSQL, Redis and each edge pod's Nginx, the
// rules load and Alertmanager is found; what it may read is pods, in one
// namespace; and nothing but it reaches an ops port.
func monitoring(t *testing.T) {
	kubectl(t, "-n", "monitoring", "rollout", "status", "deployment/prometheus", "--timeout=3m")
	ready := map[string]int{}
	for _, name := range []string{"gateway", "user", "content", "edge"} {
		out := kubectl(t, "-n", ns, "get", "pods", "-l", "app.kubernetes.io/name="+name,
			"-o", `jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
		ready[name] = strings.Count(out, "True")
	}
	type target struct {
		Labels    map[string]string `json:"labels"`
		Health    string            `json:"health"`
		LastError string            `json:"lastError"`
	}
	var last []target
	blackbox.WaitFor(t, "one healthy target per pod of every tier, the collector, kube-state-metrics, Alertmanager and Prometheus", 2*time.Minute, func() bool {
		var data struct {
			ActiveTargets []target `json:"activeTargets"`
		}
		prometheusAPI(t, "/api/v1/targets?state=active", &data)
		last = data.ActiveTargets
		up := map[string]int{}
		for _, tg := range data.ActiveTargets {
			if tg.Health == "up" {
				up[tg.Labels["job"]]++
			}
		}
		for job, n := range ready {
			if up[job] != n {
				return false
			}
		}
		return up["collector"] == 1 && up["kube-state-metrics"] == 1 && up["alertmanager"] == 1 && up["prometheus"] == 1
	})
	for _, tg := range last {
		if tg.Health != "up" {
			t.Errorf("target %s/%s is %s: %s", tg.Labels["job"], tg.Labels["instance"], tg.Health, tg.LastError)
		}
		if j := tg.Labels["job"]; ready[j] > 0 && !strings.HasPrefix(tg.Labels["instance"], j+"-") {
			t.Errorf("target of job %s has instance %q; want its pod's name", j, tg.Labels["instance"])
		}
	}
	t.Logf("targets up: %v pods, and the collector, kube-state-metrics, Alertmanager and Prometheus", ready)

	for _, q := range []string{
		`http_server_request_duration_seconds_bucket{job="gateway",http_route="/api/v1/seminar",http_request_method="GET",le="0.05"}`,
		`pgxpool_max_connections{job="content"}`,
		`postgresql_backends{job="collector",postgresql_database_name="seminarhub_content"}`,
		`postgresql_wal_age_seconds{job="collector"}`,
		`redis_maxmemory_bytes{job="collector"} > 0`,
		// Each edge pod's own Nginx, by its sidecar.
		`nginx_requests_total{job="edge"} > 0`,
		`nginx_connections_current{job="edge",state="active"} > 0`,
		// and its answers by status, counted from its access log.
		`edge_requests_total{job="edge",http_response_status_code="200"} > 0`,
		`edge_request_duration_seconds_count{job="edge",http_response_status_code="200"} > 0`,
		`seminar_seats_capacity{job="content"}`,
		// The autoscalers' state, for SeminarhubAutoscalerAtMaximum (the
		// dev overlay's gateway: at most 3).
		`kube_horizontalpodautoscaler_spec_max_replicas{namespace="seminarhub-dev",horizontalpodautoscaler="gateway"} == 3`,
		`kube_horizontalpodautoscaler_status_current_replicas{namespace="seminarhub-dev",horizontalpodautoscaler="gateway"} >= 1`,
		`slo:sli_error:ratio_rate5m{sloth_slo="requests-availability"} >= 0`,
	} {
		blackbox.WaitFor(t, q, time.Minute, func() bool { return promQuery(t, q) > 0 })
	}
	if q := fmt.Sprintf(`count(nginx_requests_total{job="edge"}) == %d`, ready["edge"]); promQuery(t, q) != 1 {
		t.Errorf("the edge's request counters are not one per pod (%d pods)", ready["edge"])
	}
	// Every pod's probes are answered 200: one series each, no more (the
	// collector's random id per start is dropped).
	if q := fmt.Sprintf(`count(edge_requests_total{job="edge",http_response_status_code="200"}) == %d`, ready["edge"]); promQuery(t, q) != 1 {
		t.Errorf("the edge's answers by status are not one series per pod (%d pods)", ready["edge"])
	}

	var rules struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name   string `json:"name"`
				Health string `json:"health"`
			} `json:"rules"`
		} `json:"groups"`
	}
	prometheusAPI(t, "/api/v1/rules", &rules)
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Health == "err" {
				t.Errorf("rule %s of group %s does not evaluate", r.Name, g.Name)
			}
			alerts = append(alerts, r.Name)
		}
	}
	for _, want := range []string{"SeminarhubTargetDown", "SeminarhubErrorBudgetBurn", "SeminarhubWALArchiveStalled"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("rule %s is not loaded", want)
		}
	}
	var ams struct {
		Active []struct {
			URL string `json:"url"`
		} `json:"activeAlertmanagers"`
	}
	prometheusAPI(t, "/api/v1/alertmanagers", &ams)
	if len(ams.Active) != 1 {
		t.Errorf("Prometheus knows %d Alertmanagers; want 1", len(ams.Active))
	}

	// What its ServiceAccount may do: list and watch pods here; nothing
	// else here, nothing elsewhere.
	as := "--as=system:serviceaccount:monitoring:prometheus"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "pods", "-n", ns}, "yes"},
		{[]string{"watch", "pods", "-n", ns}, "yes"},
		{[]string{"get", "secrets", "-n", ns}, "no"},
		{[]string{"get", "configmaps", "-n", ns}, "no"},
		{[]string{"list", "pods", "-n", "kube-system"}, "no"},
		{[]string{"list", "pods", "-n", "monitoring"}, "no"},
	} {
		out, _ := kubectlErr(append([]string{"auth", "can-i", as}, c.args...)...)
		if out != c.want {
			t.Errorf("can Prometheus %s? %q; want %q", strings.Join(c.args, " "), out, c.want)
		}
	}

	if ok, _ := nftQueue(); !ok {
		t.Log("NetworkPolicies not enforced on this kernel (see the NetworkPolicies step): the ops ports' refusal is not tried")
		return
	}
	ip := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=gateway", "-o", "jsonpath={.items[0].status.podIP}")
	script := fmt.Sprintf("timeout 5 bash -c '</dev/tcp/%s/9090' && echo reached || echo refused", ip)
	for _, from := range []string{ns, "default"} {
		if out, _ := throwaway(t, from, "", script); out != "refused" {
			t.Errorf("a pod in namespace %s reached the gateway's ops port: %q", from, out)
		}
	}
}
