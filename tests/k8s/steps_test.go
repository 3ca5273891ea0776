package k8s

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// steadyLoad is what people using the product send meanwhile: the list, a
// seminar and their own page, and every tenth request a change to their
// name — 30 a second, from a few accounts.
func steadyLoad(t *testing.T) *blackbox.Load {
	t.Helper()
	var tokens []string
	for range 5 {
		_, token := signup(t, "participant")
		tokens = append(tokens, token)
	}
	_, teacher := signup(t, "instructor")
	resp, body := request(t, "POST", "/api/v1/seminar/", teacher, map[string]any{"name": "under load", "capacity": 50, "count": 5, "time": "10:00"}, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("seminar: %d %s", resp.StatusCode, body)
	}
	var s struct{ ID int64 }
	_ = json.Unmarshal(body, &s)
	return blackbox.StartLoad(env.client, env.base, 30, func(i int) blackbox.Request {
		token := tokens[i%len(tokens)]
		switch {
		case i%10 == 9:
			return blackbox.Request{Method: "PUT", Path: "/api/v1/user/me/", Token: token, Body: []byte(fmt.Sprintf(`{"first_name":"Load","last_name":"N%c"}`, 'a'+i%26))}
		case i%3 == 0:
			return blackbox.Request{Method: "GET", Path: "/api/v1/seminar/", Token: token}
		case i%3 == 1:
			return blackbox.Request{Method: "GET", Path: fmt.Sprintf("/api/v1/seminar/%d/", s.ID), Token: token}
		default:
			return blackbox.Request{Method: "GET", Path: "/api/v1/user/me/", Token: token}
		}
	})
}

// underLoad runs act while the steady load runs (10 s before it as the
// baseline, 5 s after it), and returns the stats before and during.
func underLoad(t *testing.T, act func()) (before, during blackbox.Stats) {
	t.Helper()
	load := steadyLoad(t)
	start := time.Now()
	time.Sleep(10 * time.Second)
	mark := time.Now()
	act()
	time.Sleep(5 * time.Second)
	end := time.Now()
	load.Stop()
	return load.Between(start, mark), load.Between(mark, end)
}

func failures(s blackbox.Stats) string {
	var parts []string
	for _, f := range s.Failures {
		parts = append(parts, fmt.Sprintf("%s: status %d, %v", f.At.Format("15:04:05.000"), f.Status, f.Err))
	}
	return strings.Join(parts, "; ")
}

// setMinReplicas sets a Deployment's HPA floor, and waits for that many
// ready pods.
func setMinReplicas(t *testing.T, name string, n int) {
	t.Helper()
	kubectl(t, "-n", ns, "patch", "hpa", name, "-p", fmt.Sprintf(`{"spec":{"minReplicas":%d}}`, n))
	blackbox.WaitFor(t, fmt.Sprintf("%s at %d ready replicas", name, n), 3*time.Minute, func() bool {
		ready, _ := kubectlErr("-n", ns, "get", "deployment", name, "-o", "jsonpath={.status.readyReplicas}")
		r, _ := strconv.Atoi(ready)
		return r >= n
	})
}

func replicas(t *testing.T, name string) int {
	out := kubectl(t, "-n", ns, "get", "deployment", name, "-o", "jsonpath={.status.replicas}")
	n, _ := strconv.Atoi(out)
	return n
}

// autoscaling puts a bounded load on uncached searches (the gateway's
// costliest read) until the HPA adds a gateway pod, then stops and waits for
// it to go back to its minimum (the dev overlay scales down after 30 s of
// low load, instead of 5 minutes).
func autoscaling(t *testing.T) {
	_, token := signup(t, "participant")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _, _ = fire("GET", "/api/v1/seminar/?name=x"+strconv.Itoa(i%7), token, nil)
			}
		})
	}
	start := time.Now()
	blackbox.WaitFor(t, "the gateway's HPA scaling out under load", 4*time.Minute, func() bool { return replicas(t, "gateway") >= 2 })
	out := time.Since(start)
	t.Logf("scaled out to %d gateway pods %s after the load began (%s)", replicas(t, "gateway"), out.Round(time.Second),
		kubectl(t, "-n", ns, "get", "hpa", "gateway", "-o", "jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}%"))
	close(stop)
	wg.Wait()
	start = time.Now()
	blackbox.WaitFor(t, "the gateway's HPA scaling back to its minimum", 5*time.Minute, func() bool { return replicas(t, "gateway") == 1 })
	t.Logf("back to 1 gateway pod %s after the load ended", time.Since(start).Round(time.Second))
}

// rollouts restarts each tier's Deployment (a new pod template) under the
// steady load: every request must succeed.
func rollouts(t *testing.T) {
	for _, d := range []string{"gateway", "user", "content", "edge"} {
		t.Run(d, func(t *testing.T) {
			before, during := underLoad(t, func() {
				kubectl(t, "-n", ns, "rollout", "restart", "deployment/"+d)
				kubectl(t, "-n", ns, "rollout", "status", "deployment/"+d, "--timeout=3m")
			})
			t.Logf("%s rollout — before: %s; during: %s", d, before, during)
			if before.Failed+during.Failed > 0 {
				t.Errorf("%d requests failed: %s", before.Failed+during.Failed, failures(during))
			}
		})
	}
}

// podLoss, with two gateway pods as in production: one deleted (a graceful
// stop: drained, then replaced) must cost no request; one killed outright
// (SIGKILL) is counted and reported.
func podLoss(t *testing.T) {
	setMinReplicas(t, "gateway", 2)
	defer kubectl(t, "-n", ns, "patch", "hpa", "gateway", "-p", `{"spec":{"minReplicas":1}}`)
	t.Run("deleted", func(t *testing.T) {
		before, during := underLoad(t, func() {
			pod := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=gateway", "-o", "jsonpath={.items[0].metadata.name}")
			kubectl(t, "-n", ns, "delete", "pod", pod)
			setMinReplicas(t, "gateway", 2)
		})
		t.Logf("a gateway pod deleted — before: %s; during: %s", before, during)
		if before.Failed+during.Failed > 0 {
			t.Errorf("%d requests failed: %s", before.Failed+during.Failed, failures(during))
		}
	})
	t.Run("killed", func(t *testing.T) {
		var killed string
		before, during := underLoad(t, func() {
			pod := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=gateway", "-o", "jsonpath={.items[0].metadata.name}")
			killed = killContainer(t, pod)
			blackbox.WaitFor(t, "the killed gateway restarted", 2*time.Minute, func() bool {
				out, _ := kubectlErr("-n", ns, "get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].restartCount}")
				return out != "" && out != "0"
			})
			setMinReplicas(t, "gateway", 2)
		})
		t.Logf("the gateway container of %s killed with SIGKILL — before: %s; during: %s; failures: %s", killed, before, during, failures(during))
	})
}

// killContainer sends SIGKILL to every process of pod's first container,
// found in its cgroup on this node; it returns the pod's name.
func killContainer(t *testing.T, pod string) string {
	t.Helper()
	uid := kubectl(t, "-n", ns, "get", "pod", pod, "-o", "jsonpath={.metadata.uid}")
	id := kubectl(t, "-n", ns, "get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].containerID}")
	id = strings.TrimPrefix(id, "containerd://")
	matches, _ := filepath.Glob("/sys/fs/cgroup/pids/kubepods/*/pod" + uid + "/" + id + "/cgroup.procs")
	if len(matches) == 0 {
		t.Fatalf("no cgroup of container %s of pod %s", id, pod)
	}
	procs, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range strings.Fields(string(procs)) {
		if err := exec.Command("kill", "-KILL", pid).Run(); err != nil {
			t.Fatalf("kill -KILL %s: %v", pid, err)
		}
	}
	return pod
}

// classroom: 200 accounts log in within one second through the edge; each
// gets in or is told at once to come back (503 with Retry-After), no user
// pod is killed or restarted (argon2id holds 19 MiB a hash; the pods'
// limit is 256 Mi), and the user pods' peak memory is reported.
func classroom(t *testing.T) {
	restarts := func() int {
		out := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=user", "-o", "jsonpath={range .items[*]}{.status.containerStatuses[0].restartCount} {end}")
		n := 0
		for _, f := range strings.Fields(out) {
			r, _ := strconv.Atoi(f)
			n += r
		}
		return n
	}
	names := make([]string, 200)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				names[i] = randomName("student")
				status, _, err := fire("POST", "/api/v1/user/", "", map[string]any{"username": names[i], "password": "pw", "email": "s@example.com", "role": "participant"})
				if status != 201 {
					t.Errorf("signup %d: %d %v", i, status, err)
				}
			}
		})
	}
	for i := range names {
		work <- i
	}
	close(work)
	wg.Wait()
	restartsBefore := restarts()

	type answer struct {
		status, retryAfter int
		took               time.Duration
	}
	answers := make([]answer, len(names))
	start := time.Now()
	for i, name := range names {
		time.Sleep(time.Until(start.Add(time.Second * time.Duration(i) / time.Duration(len(names)))))
		wg.Go(func() {
			begun := time.Now()
			status, header, _ := fire("PUT", "/api/v1/user/login/", "", map[string]any{"username": name, "password": "pw"})
			wait, _ := strconv.Atoi(header.Get("Retry-After"))
			answers[i] = answer{status, wait, time.Since(begun)}
		})
	}
	wg.Wait()
	var ok []time.Duration
	refused := 0
	for i, a := range answers {
		switch {
		case a.status == 200:
			ok = append(ok, a.took)
		case a.status == 503 && a.retryAfter > 0:
			refused++
		default:
			t.Errorf("login %d: %d (Retry-After %d); want 200, or 503 with Retry-After", i, a.status, a.retryAfter)
		}
	}
	slices.Sort(ok)
	pct := func(p int) time.Duration {
		if len(ok) == 0 {
			return 0
		}
		return ok[min(len(ok)-1, int(math.Ceil(float64(len(ok)*p)/100))-1)]
	}
	if got := restarts(); got != restartsBefore {
		t.Errorf("user pods restarted %d times during the burst", got-restartsBefore)
	}
	out := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=user", "-o", "jsonpath={range .items[*]}{.status.containerStatuses[0].lastState.terminated.reason} {end}")
	if strings.Contains(out, "OOMKilled") {
		t.Errorf("a user pod was OOM-killed")
	}
	t.Logf("200 logins within 1 s: %d in (p50 %s, p99 %s), %d told to come back; user pods' peak memory %s",
		len(ok), pct(50).Round(time.Millisecond), pct(99).Round(time.Millisecond), refused, userPeakMemory(t))
}

// userPeakMemory reads each user pod's container cgroup: the most memory
// it held since it started.
func userPeakMemory(t *testing.T) string {
	var peaks []string
	pods := strings.Fields(kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=user", "-o", "jsonpath={range .items[*]}{.metadata.uid}/{.status.containerStatuses[0].containerID} {end}"))
	for _, p := range pods {
		uid, id, _ := strings.Cut(p, "/")
		id = strings.TrimPrefix(id, "containerd://")
		matches, _ := filepath.Glob("/sys/fs/cgroup/memory/kubepods/*/pod" + uid + "/" + id + "/memory.max_usage_in_bytes")
		if len(matches) == 0 {
			continue
		}
		b, _ := os.ReadFile(matches[0])
		n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		peaks = append(peaks, fmt.Sprintf("%d MiB", n>>20))
	}
	return strings.Join(peaks, ", ")
}
