package k8s

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// disruptionBudgets: with two gateway pods and a budget of one unavailable,
// evicting one is allowed, evicting the second at once is refused; a drain
// of the node's gateway pods evicts one and then waits on the budget (the
// replacement cannot be scheduled on the cordoned node) until it gives up.
func disruptionBudgets(t *testing.T) {
	// Exactly two: the autoscaler may hold three after the class of 200,
	// and with three one-available allows two evictions.
	ceiling := kubectl(t, "-n", ns, "get", "hpa", "gateway", "-o", "jsonpath={.spec.maxReplicas}")
	kubectl(t, "-n", ns, "patch", "hpa", "gateway", "-p", `{"spec":{"minReplicas":2,"maxReplicas":2}}`)
	defer kubectl(t, "-n", ns, "patch", "hpa", "gateway", "-p", `{"spec":{"minReplicas":1,"maxReplicas":`+ceiling+`}}`)
	blackbox.WaitFor(t, "two gateway pods, both ready, and the budget allowing one eviction", 3*time.Minute, func() bool {
		out, _ := kubectlErr("-n", ns, "get", "deployment", "gateway", "-o", "jsonpath={.status.replicas} {.status.readyReplicas}")
		allowed, _ := kubectlErr("-n", ns, "get", "pdb", "gateway", "-o", "jsonpath={.status.currentHealthy} {.status.disruptionsAllowed}")
		running := strings.Fields(kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=gateway",
			"--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"))
		return out == "2 2" && allowed == "2 1" && len(running) == 2
	})
	pods := strings.Fields(kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=gateway",
		"--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(pods) < 2 {
		t.Fatalf("gateway pods: %v; want 2", pods)
	}
	evict := func(pod string) (string, error) {
		body := fmt.Sprintf(`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":%q,"namespace":%q}}`, pod, ns)
		f := filepath.Join(env.work, "eviction.json")
		_ = os.WriteFile(f, []byte(body), 0o644)
		return kubectlErr("create", "--raw", "/api/v1/namespaces/"+ns+"/pods/"+pod+"/eviction", "-f", f)
	}
	if out, err := evict(pods[0]); err != nil {
		t.Fatalf("evicting the first gateway pod: %v %s; want it allowed (one may be unavailable)", err, out)
	}
	out, err := evict(pods[1])
	if err == nil || !strings.Contains(out, "disruption budget") {
		t.Fatalf("evicting the second at once: %v %s; want it refused by the disruption budget", err, out)
	}
	t.Logf("second eviction refused: %s", out)
	setMinReplicas(t, "gateway", 2)

	node := kubectl(t, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
	defer kubectl(t, "uncordon", node)
	cmd := exec.Command(env.kubectl, "--kubeconfig", env.kubeconfig, "drain", node, "--pod-selector=app.kubernetes.io/name=gateway",
		"--ignore-daemonsets", "--delete-emptydir-data", "--timeout=45s")
	drained, err := cmd.CombinedOutput()
	running := strings.Fields(kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=gateway",
		"--field-selector=status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"))
	if err == nil || !strings.Contains(string(drained), "disruption budget") || len(running) == 0 {
		t.Fatalf("drain: %v, %d gateway pods still running; want the drain held back by the budget with one still serving:\n%s",
			err, len(running), drained)
	}
	t.Logf("the drain evicted %d gateway pods (a pending replacement among them) and was held back by the budget until its "+
		"timeout, with %v still serving", strings.Count(string(drained), " evicted\n"), running)
}

// nftQueue reports whether this kernel can queue packets to user space from
// nftables (CONFIG_NFT_QUEUE), which kube-network-policies needs to enforce
// a NetworkPolicy.
func nftQueue() (bool, string) {
	_ = exec.Command("nft", "delete", "table", "inet", "seminarhub-probe").Run()
	defer func() { _ = exec.Command("nft", "delete", "table", "inet", "seminarhub-probe").Run() }()
	for _, args := range [][]string{
		{"add", "table", "inet", "seminarhub-probe"},
		{"add", "chain", "inet", "seminarhub-probe", "c", "{ type filter hook forward priority 0; }"},
		{"add", "rule", "inet", "seminarhub-probe", "c", "queue", "num", "98", "bypass"},
	} {
		if out, err := exec.Command("nft", args...).CombinedOutput(); err != nil {
			return false, fmt.Sprintf("nft %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out)))
		}
	}
	return true, ""
}

// networkPolicies: a pod without the allowed labels reaches none of the
// backends, the gateway, PostgreSQL or Redis; the edge reaches the gateway
// (the one caller the gateway allows); the edge is reachable from another
// namespace.
func networkPolicies(t *testing.T) {
	// From outside the namespace, the edge answers.
	out, ok := throwaway(t, "default", "", "curl -sk -o /dev/null -w '%{http_code}' https://edge."+ns+".svc/ping")
	if !ok || out != "200" {
		t.Fatalf("the edge from namespace default: %q; want 200", out)
	}
	// The edge is the gateway's allowed caller.
	edge := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=edge", "-o", "jsonpath={.items[0].metadata.name}")
	if out := kubectl(t, "-n", ns, "exec", edge, "--", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://gateway:8080/ping"); out != "200" {
		t.Fatalf("the edge to the gateway: %q; want 200", out)
	}
	if ok, why := nftQueue(); !ok {
		t.Skipf("NetworkPolicies cannot be enforced on this machine's kernel: kube-network-policies queues packets "+
			"from nftables to itself, and the kernel was built without CONFIG_NFT_QUEUE (%s). The policies are applied; "+
			"no other enforcer the module proxy serves runs here (see docs/deploy.md)", why)
	}
	for _, target := range []string{"user:8081", "content:8082", "gateway:8080", "postgres:5432", "redis:6379"} {
		host, port, _ := strings.Cut(target, ":")
		script := fmt.Sprintf("timeout 5 bash -c '</dev/tcp/%s/%s' && echo reached || echo refused", host, port)
		if out, _ := throwaway(t, ns, "", script); out != "refused" {
			t.Errorf("a pod without the allowed labels reached %s: %q", target, out)
		}
	}
}

// deploy: `make deploy` of this commit under load (nothing fails), then of
// a deliberately broken build (the gateway's entrypoint does not exist):
// it never becomes ready, is rolled back, exits non-zero, and the previous
// version serves throughout.
func deploy(t *testing.T) {
	t.Run("a good version", func(t *testing.T) {
		var out string
		before, during := underLoad(t, func() {
			out = run(t, []string{"KUBECONFIG=" + env.kubeconfig}, "scripts/deploy.sh")
		})
		t.Logf("make deploy — before: %s; during: %s\n%s", before, during, out)
		if before.Failed+during.Failed > 0 {
			t.Errorf("%d requests failed: %s", before.Failed+during.Failed, failures(during))
		}
		tag := strings.TrimSpace(run(t, nil, "git", "rev-parse", "--short=12", "HEAD"))
		if img := kubectl(t, "-n", ns, "get", "deployment", "gateway", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); !strings.Contains(img, tag) {
			t.Fatalf("the gateway runs %s; want the commit's tag %s", img, tag)
		}
	})
	t.Run("a broken version is rolled back", func(t *testing.T) {
		serving := kubectl(t, "-n", ns, "get", "deployment", "gateway", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
		tag := "broken-" + randomName("")
		for _, d := range deployments {
			run(t, nil, "docker", "tag", strings.Replace(serving, "gateway", d, 1), "seminarhub/"+d+":"+tag)
		}
		dockerfile := filepath.Join(env.work, "Dockerfile.broken")
		_ = os.WriteFile(dockerfile, []byte("FROM "+serving+"\nENTRYPOINT [\"/nonexistent\"]\n"), 0o644)
		run(t, nil, "docker", "build", "--quiet", "-t", "seminarhub/gateway:"+tag, "-f", dockerfile, env.work)
		var err error
		var out []byte
		before, during := underLoad(t, func() {
			cmd := exec.Command(filepath.Join(env.root, "scripts", "deploy.sh"))
			cmd.Dir = env.root
			cmd.Env = append(os.Environ(), "KUBECONFIG="+env.kubeconfig, "BUILD=0", "TAG="+tag, "ROLLOUT_TIMEOUT=60s")
			out, err = cmd.CombinedOutput()
		})
		t.Logf("make deploy of a broken build — before: %s; during: %s\n%s", before, during, out)
		if err == nil || !strings.Contains(string(out), "rolled back") {
			t.Fatalf("deploy of a broken build: %v; want it rolled back and a non-zero exit", err)
		}
		if img := kubectl(t, "-n", ns, "get", "deployment", "gateway", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); img != serving {
			t.Fatalf("after the roll back the gateway runs %s; want %s", img, serving)
		}
		if before.Failed+during.Failed > 0 {
			t.Errorf("%d requests failed while the broken build was tried: %s", before.Failed+during.Failed, failures(during))
		}
	})
}

// dryRuns: the real apiserver accepts the prod overlay (server-side dry
// run, its namespace made for it and removed), and, with the Gateway API
// CRDs installed, the dev overlay with the gateway-api component.
func dryRuns(t *testing.T) {
	t.Run("prod", func(t *testing.T) {
		kubectl(t, "create", "namespace", "seminarhub")
		defer kubectl(t, "delete", "namespace", "seminarhub", "--wait=false")
		kubectl(t, "apply", "-k", "deploy/k8s/overlays/prod", "--dry-run=server")
	})
	t.Run("gateway-api", func(t *testing.T) {
		var mod struct{ Dir string }
		gomod, _ := os.ReadFile(filepath.Join(env.root, "tools", "gateway-api", "go.mod"))
		m := regexp.MustCompile(`sigs\.k8s\.io/gateway-api (v\S+)`).FindSubmatch(gomod)
		if m == nil {
			t.Fatal("tools/gateway-api/go.mod pins no sigs.k8s.io/gateway-api")
		}
		version := string(m[1])
		raw := run(t, []string{"GOWORK=off", "GOFLAGS=-mod=mod"}, "go", "mod", "download", "-json", "sigs.k8s.io/gateway-api@"+version)
		if err := json.Unmarshal([]byte(raw), &mod); err != nil || mod.Dir == "" {
			t.Fatalf("the Gateway API module: %v %s", err, raw)
		}
		crds := filepath.Join(mod.Dir, "config", "crd", "standard")
		kubectl(t, "apply", "--server-side", "-f", crds)
		defer kubectl(t, "delete", "-f", crds, "--wait=false")
		kubectl(t, "wait", "--for=condition=Established", "crd/tlsroutes.gateway.networking.k8s.io", "--timeout=60s")
		dir := overlay("gateway-api", "../../../deploy/k8s/components/gateway-api", "")
		out := kubectl(t, "apply", "-k", dir, "--dry-run=server")
		if !strings.Contains(out, "tlsroute.gateway.networking.k8s.io/seminarhub created (server dry run)") {
			t.Fatalf("the TLSRoute was not accepted:\n%s", out)
		}
	})
}

// deleteTheDevOverlay: `kubectl delete -k` as a user would; afterwards no
// object of it is left, its volume's data included.
func deleteTheDevOverlay(t *testing.T) {
	kubectl(t, "delete", "-k", "deploy/k8s/overlays/dev", "--wait=true", "--timeout=3m")
	for _, namespace := range []string{ns, "monitoring"} {
		blackbox.WaitFor(t, "namespace "+namespace+" gone", 3*time.Minute, func() bool {
			_, err := kubectlErr("get", "namespace", namespace)
			return err != nil
		})
	}
	blackbox.WaitFor(t, "their PersistentVolumes gone", 2*time.Minute, func() bool {
		out, _ := kubectlErr("get", "pv", "-o", "jsonpath={range .items[*]}{.spec.claimRef.namespace} {end}")
		return !strings.Contains(out, ns) && !strings.Contains(out, "monitoring")
	})
	if left := kubectl(t, "get", "all,configmaps,secrets,pvc,networkpolicies,roles,rolebindings", "-A", "-l", "app.kubernetes.io/part-of=seminarhub", "-o", "name"); left != "" {
		t.Fatalf("left behind: %s", left)
	}
}
