package compose

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// The monitoring as compose runs it: Prometheus scraping every service with
// deploy/monitoring's rules, Alertmanager sending to a webhook. Only the
// intervals are shortened here (a copy of prometheus.yml scraping and
// evaluating every second); the rules and Alertmanager's routing are the
// shipped files.

// webhook receives Alertmanager's notifications on this machine; the
// containers reach it as host.docker.internal.
var webhook = &alertSink{}

type alertSink struct {
	mu   sync.Mutex
	seen []notifiedAlert
}

// notifiedAlert is one alert of one notification, as Alertmanager's
// webhook sends it.
type notifiedAlert struct {
	At     time.Time
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
}

func (s *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n struct {
		Alerts []notifiedAlert `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, a := range n.Alerts {
		a.At = time.Now()
		s.seen = append(s.seen, a)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// await waits until an alert with every one of labels arrived with status
// since `since`.
func (s *alertSink) await(since time.Time, status string, labels map[string]string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for _, a := range s.seen {
			if a.At.After(since) && a.Status == status && hasLabels(a.Labels, labels) {
				s.mu.Unlock()
				return nil
			}
		}
		s.mu.Unlock()
		time.Sleep(time.Second)
	}
	return fmt.Errorf("no %s alert %v reached the webhook within %s; it received: %v", status, labels, within, s.summary())
}

func (s *alertSink) summary() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.seen {
		out = append(out, fmt.Sprintf("%s %s %s{severity=%s,job=%s}", a.At.Format("15:04:05"), a.Status,
			a.Labels["alertname"], a.Labels["severity"], a.Labels["job"]))
	}
	return out
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// monitoringSetup starts the webhook and writes the files compose mounts
// for the test: Prometheus's configuration with one-second intervals and
// the webhook's URL. It returns the variables that point compose at them.
func monitoringSetup(dir string) ([]string, error) {
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = http.Serve(l, webhook) }()
	urlFile := filepath.Join(dir, "webhook-url")
	hook := fmt.Sprintf("http://host.docker.internal:%d/alerts\n", l.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(urlFile, []byte(hook), 0o644); err != nil {
		return nil, err
	}
	shipped, err := os.ReadFile(filepath.Join(env.root, "deploy", "monitoring", "prometheus.yml"))
	if err != nil {
		return nil, err
	}
	fast := strings.ReplaceAll(string(shipped), "_interval: 15s", "_interval: 1s")
	if fast == string(shipped) {
		return nil, fmt.Errorf("deploy/monitoring/prometheus.yml has no 15s intervals to shorten")
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fast), 0o644); err != nil {
		return nil, err
	}
	env.prometheusPort, env.alertmanagerPort = freePort(), freePort()
	return []string{
		"SEMINARHUB_PROMETHEUS_CONFIG=" + config, "SEMINARHUB_ALERT_WEBHOOK_URL_FILE=" + urlFile,
		"SEMINARHUB_PROMETHEUS_PORT=" + env.prometheusPort, "SEMINARHUB_ALERTMANAGER_PORT=" + env.alertmanagerPort,
	}, nil
}

// query asks compose's Prometheus for an instant vector.
func query(t *testing.T, q string) []struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
} {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + env.prometheusPort + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %d, %v", q, resp.StatusCode, err)
	}
	return body.Data.Result
}

// Prometheus scrapes every service, and each reports what the operator's
// graphs and alerts read: requests by route and status with a bucket at
// each latency objective, and its PostgreSQL pool.
func TestPrometheusScrapesEveryServiceAndTheirNumbersAreThere(t *testing.T) {
	blackbox.WaitFor(t, "every target up", time.Minute, func() bool {
		return len(query(t, `up{job=~"gateway|user|content|collector|edge|alertmanager|prometheus"} == 1`)) == 7
	})
	token := signup(t, "instructor")
	if resp, body := request(t, "GET", "/api/v1/seminar/", token, nil, nil); resp.StatusCode != 200 {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	for _, q := range []string{
		`http_server_request_duration_seconds_bucket{job="gateway",http_route="/api/v1/seminar",http_request_method="GET",le="0.05"}`,
		`http_server_request_duration_seconds_bucket{job="gateway",http_route="/api/v1/user",http_request_method="POST",le="0.3"}`,
		`pgxpool_max_connections{job="user"}`,
		`pgxpool_max_connections{job="content"}`,
		`cache_requests_total{job="content"}`,
		// PostgreSQL and Redis through the collector; the edge through
		// the one in its network, its answers by status among them.
		`postgresql_backends{job="collector",postgresql_database_name="seminarhub_content"}`,
		`postgresql_connection_max{job="collector"}`,
		`postgresql_wal_age_seconds{job="collector"}`,
		`redis_keyspace_hits_total{job="collector"}`,
		`redis_keys_evicted_total{job="collector"}`,
		`redis_maxmemory_bytes{job="collector"} > 0`,
		`nginx_requests_total{job="edge"} > 0`,
		`nginx_connections_current{job="edge",state="active"} > 0`,
		`edge_requests_total{job="edge",http_response_status_code="201"} > 0`,
		`edge_request_duration_seconds_bucket{job="edge",http_response_status_code="200",le="0.05"} > 0`,
		// Without a random id per collector start (one edge, one writer).
		`count(edge_requests_total{job="edge",http_response_status_code="201"}) == 1`,
		// The SLIs, recorded from the rules (0 errors is 0, not absent).
		`slo:sli_error:ratio_rate5m{sloth_slo="requests-availability"} >= 0`,
		`slo:sli_error:ratio_rate5m{sloth_slo="reads-latency"}`,
	} {
		blackbox.WaitFor(t, q, 45*time.Second, func() bool { return len(query(t, q)) > 0 })
	}
}

// A backend down is an outage users see: the availability SLO's page and
// the target-down alert reach the webhook, and both resolve once it is back
// and serving.
func TestAnOutageReachesTheWebhookAndResolvesWhenItEnds(t *testing.T) {
	token := signup(t, "instructor")
	good := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan string, n)
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < n; i += 8 {
					if a, err := blackbox.Exchange(env.client, env.base, "GET", "/api/v1/seminar/", token, nil, nil); err != nil || a.StatusCode != 200 {
						errs <- fmt.Sprintf("%v %d %s", err, a.StatusCode, a.Body)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("a read: %s", e)
		}
	}
	pageFiring := func() bool {
		return len(query(t, `ALERTS{alertname="SeminarhubErrorBudgetBurn",severity="page",alertstate="firing"}`)) > 0
	}
	// Another test's restart may have burnt budget: start from quiet.
	good(2000)
	blackbox.WaitFor(t, "no availability page before the outage", 2*time.Minute, func() bool {
		if pageFiring() {
			good(2000)
			return false
		}
		return true
	})

	began := time.Now()
	if out, err := compose("stop", "content").CombinedOutput(); err != nil {
		t.Fatalf("stop content: %v\n%s", err, out)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_, _ = compose("start", "content").CombinedOutput()
		}
	})
	// Instructors keep trying to open seminars: every attempt fails.
	stopTrying := make(chan struct{})
	tried := make(chan int)
	go func() {
		failed := 0
		defer func() { tried <- failed }()
		for {
			select {
			case <-stopTrying:
				return
			case <-time.After(500 * time.Millisecond):
			}
			if a, err := blackbox.Exchange(env.client, env.base, "POST", "/api/v1/seminar/", token,
				map[string]any{"name": "during the outage", "capacity": 5, "count": 1, "time": "10:00"}, nil); err == nil && a.StatusCode >= 500 {
				failed++
			}
		}
	}()
	pageErr := webhook.await(began, "firing", map[string]string{"alertname": "SeminarhubErrorBudgetBurn", "severity": "page"}, 2*time.Minute)
	downErr := webhook.await(began, "firing", map[string]string{"alertname": "SeminarhubTargetDown", "job": "content"}, 3*time.Minute)
	close(stopTrying)
	failed := <-tried
	if pageErr != nil || downErr != nil {
		t.Fatalf("during the outage (%d failed requests): %v; %v", failed, pageErr, downErr)
	}
	t.Logf("outage: %d failed writes; page after %s, target down after %s", failed,
		firstSince(began, "firing", "SeminarhubErrorBudgetBurn"), firstSince(began, "firing", "SeminarhubTargetDown"))

	back := time.Now()
	if out, err := compose("start", "content").CombinedOutput(); err != nil {
		t.Fatalf("start content: %v\n%s", err, out)
	}
	restarted = true
	blackbox.WaitFor(t, "content serving again", time.Minute, func() bool {
		resp, _ := request(t, "POST", "/api/v1/seminar/", token,
			map[string]any{"name": "after the outage", "capacity": 5, "count": 1, "time": "10:00"}, nil)
		return resp.StatusCode == 201
	})
	// Enough good answers that the failures fall below the page's burn
	// rates (14.4× over 1h, 6× over 6h: at most 0.6 % of all answers).
	good(max(10000, failed*400))
	for _, labels := range []map[string]string{
		{"alertname": "SeminarhubErrorBudgetBurn", "severity": "page"},
		{"alertname": "SeminarhubTargetDown", "job": "content"},
	} {
		if err := webhook.await(back, "resolved", labels, 3*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("resolved %s after content was started again", time.Since(back).Round(time.Second))
}

// firstSince is how long after since the first alert of a name arrived with
// status.
func firstSince(since time.Time, status, name string) time.Duration {
	webhook.mu.Lock()
	defer webhook.mu.Unlock()
	for _, a := range webhook.seen {
		if a.At.After(since) && a.Status == status && a.Labels["alertname"] == name {
			return a.At.Sub(since).Round(time.Second)
		}
	}
	return 0
}

// The operations dashboard Prometheus serves (deploy/monitoring/dashboard)
// opened in Chromium after traffic of every kind: every panel has numbers
// and none is in error, on a desktop and on a 320 px phone
// (web/e2e/dashboard.test.mjs; screenshots in artifacts/browser).
func TestTheDashboardShowsEveryPanelWithNumbersInChromium(t *testing.T) {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("Debian's chromium is not installed (make test installs it)")
	}
	// Reads, writes and misses within the panels' 5-minute windows.
	instructor, student := signup(t, "instructor"), signup(t, "participant")
	id, err := blackbox.OpenSeminar(env.client, env.base, instructor, "대시보드 🎓 dashboard")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := request(t, "POST", fmt.Sprintf("/api/v1/seminar/%d/user/", id), student, map[string]any{"role": "participant"}, nil); resp.StatusCode != 201 {
		t.Fatalf("join: %d %s", resp.StatusCode, body)
	}
	// Spread over ten seconds of scrapes, so every rate has samples to
	// differ: a burst inside one scrape interval is one step of a counter.
	for i := range 100 {
		request(t, "GET", "/api/v1/seminar/", student, nil, nil)
		request(t, "GET", fmt.Sprintf("/api/v1/seminar/%d/", id), student, nil, nil)
		if i%20 == 0 { // a write retires cached answers: misses beside hits
			request(t, "PUT", fmt.Sprintf("/api/v1/seminar/%d/", id), instructor, map[string]any{"capacity": 30 + i}, nil)
		}
		time.Sleep(100 * time.Millisecond)
	}
	blackbox.WaitFor(t, "the seat gauge counting the join", time.Minute, func() bool {
		return len(query(t, `max(seminar_seats_filled) > 0`)) > 0
	})
	blackbox.WaitFor(t, "write latency recorded", time.Minute, func() bool {
		return len(query(t, `sum(rate(http_server_request_duration_seconds_count{job="gateway",http_request_method=~"POST|PUT|PATCH|DELETE"}[5m])) > 0`)) > 0
	})

	cmd := exec.Command("node", "--test", "--test-reporter=spec", "e2e/dashboard.test.mjs")
	cmd.Dir = filepath.Join(env.root, "web")
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium, "ARTIFACTS="+filepath.Join(env.root, "artifacts", "browser"),
		"DASHBOARD_URL=http://127.0.0.1:"+env.prometheusPort+"/user/index.html?minutes=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the dashboard in Chromium: %v\n%s", err, out)
	}
}
