// Package k8s runs seminarhub on a real Kubernetes cluster — the one `make
// cluster` starts (or any other the kubeconfig names) — exactly as a user
// would: `kubectl apply -k deploy/k8s/overlays/dev`, then through the edge
// Service over HTTPS: the whole black-box e2e suite and the browser flows,
// cluster DNS, one trace across every part, the HPA scaling out and back,
// rollouts and a deleted pod under load with no failed request, a killed
// container, a classroom burst inside the pods' limits, disruption budgets,
// NetworkPolicies, `make deploy` with its roll back, the prod overlay and
// the Gateway API route accepted by the apiserver, and `kubectl delete -k`
// leaving nothing.
//
// `make test-k8s` (scripts/test.sh k8s) brings the cluster up and runs it;
// the steps run in order, each on what the one before left.
package k8s

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

const ns = "seminarhub-dev"

var env struct {
	root       string
	kubectl    string
	kubeconfig string
	nodeIP     string
	base       string // https://<node>:<edge https node port>
	caFile     string
	client     *http.Client
	tag        string // the dev overlay's image tag
	work       string // .run/k8s-test: kustomizations of the tests' own, the CA
}

func TestMain(m *testing.M) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	env.root = root
	env.kubeconfig = os.Getenv("KUBECONFIG")
	if env.kubeconfig == "" {
		env.kubeconfig = filepath.Join(root, ".run", "cluster", "kubeconfig")
	} else if !filepath.IsAbs(env.kubeconfig) {
		env.kubeconfig = filepath.Join(root, env.kubeconfig) // as given at the repository's root
	}
	if _, err := os.Stat(env.kubeconfig); err != nil && os.Getenv("SEMINARHUB_K8S_HOST") == "" {
		fmt.Fprintln(os.Stderr, "k8s: no kubeconfig at", env.kubeconfig, "(make cluster starts a cluster)")
		os.Exit(1)
	}
	// Recording or checking this machine (SEMINARHUB_K8S_HOST) needs no
	// cluster and none of its binaries.
	if os.Getenv("SEMINARHUB_K8S_HOST") == "" {
		bin, err := exec.Command(filepath.Join(root, "scripts", "cluster.sh"), "binaries").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "k8s: the cluster's binaries:", err)
			os.Exit(1)
		}
		env.kubectl = filepath.Join(strings.TrimSpace(string(bin)), "kubectl")
	}
	// Inside the repository: kustomize resolves an overlay only by a
	// relative path.
	env.work = filepath.Join(root, ".run", "k8s-test")
	_ = os.RemoveAll(env.work)
	if err := os.MkdirAll(env.work, 0o755); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// kubectl runs kubectl against the cluster and returns its output; a
// failure fails the test.
func kubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := kubectlErr(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func kubectlErr(args ...string) (string, error) {
	cmd := exec.Command(env.kubectl, append([]string{"--kubeconfig", env.kubeconfig}, args...)...)
	cmd.Dir = env.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// run runs a command at the repository's root, failing t with its output.
func run(t testing.TB, extraEnv []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = env.root
	cmd.Env = append(os.Environ(), extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// request sends one request to the edge and reads its answer.
func request(t testing.TB, method, path, token string, body any, header map[string]string) (blackbox.Answer, []byte) {
	t.Helper()
	a, err := blackbox.Exchange(env.client, env.base, method, path, token, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a, a.Body
}

// fire sends one request to the edge from any goroutine: no testing.T.
func fire(method, path, token string, body any) (int, http.Header, error) {
	a, err := blackbox.Exchange(env.client, env.base, method, path, token, body, nil)
	return a.StatusCode, a.Header, err
}

func randomName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// signup creates an account through the edge; it returns its username and
// token.
func signup(t testing.TB, role string) (string, string) {
	t.Helper()
	name := randomName(role[:4])
	resp, body := request(t, "POST", "/api/v1/user/", "", map[string]any{"username": name, "password": "pw", "email": "k@example.com", "role": role}, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("signup: %d %s", resp.StatusCode, body)
	}
	var u struct{ Token string }
	_ = json.Unmarshal(body, &u)
	return name, u.Token
}

// TestTheProductOnKubernetes is the whole suite, step after step.
func TestTheProductOnKubernetes(t *testing.T) {
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"the dev overlay applied as a user would becomes available", applyTheDevOverlay},
		{"budgets lifted for a suite from one address, as an operator would", liftTheBudgets},
		{"the e2e suite and the browser flows pass through the edge Service over HTTPS", theEndToEndSuite},
		{"services find each other by name through cluster DNS", clusterDNS},
		{"one request is one trace across every part", oneTrace},
		{"Prometheus in namespace monitoring scrapes every pod and part, and may read nothing more", monitoring},
		{"the gateway's HPA scales out under load and back when it ends", autoscaling},
		{"rollouts of every tier under load fail no request", rollouts},
		{"a deleted gateway pod fails no request; a killed one is counted", podLoss},
		{"a class of 200 logs in within the pods' limits", classroom},
		{"disruption budgets hold against evictions and a drain", disruptionBudgets},
		{"NetworkPolicies are enforced", networkPolicies},
		{"make deploy rolls out a good version and rolls back a broken one", deploy},
		{"the backup CronJob and scripts/k8s-restore.sh bring back a chosen moment", backupAndRestore},
		{"the prod overlay and the Gateway API route pass a server-side dry run", dryRuns},
		{"kubectl delete -k leaves nothing of the dev overlay", deleteTheDevOverlay},
	}
	for _, s := range steps {
		ok := t.Run(s.name, s.run)
		if !ok && s.name == steps[0].name {
			t.Fatal("the product did not come up; nothing else can run")
		}
	}
}

// deployments are what make deploy rolls out; devImages are all our
// images, built by `docker compose build`: theirs, PostgreSQL's (with
// pgBackRest) and the collector's (the edge pods' metrics, and the
// monitoring namespace's PostgreSQL and Redis).
var (
	deployments = []string{"user", "content", "gateway", "edge"}
	devImages   = append(slices.Clone(deployments), "postgres", "collector")
)

// applyTheDevOverlay builds our images from the Dockerfiles, gets every
// image the overlay names into the cluster (imported: no registry here),
// and applies the overlay as it is.
func applyTheDevOverlay(t *testing.T) {
	kust, err := os.ReadFile(filepath.Join(env.root, "deploy", "k8s", "overlays", "dev", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`name: seminarhub/edge\n\s+newTag: "([^"]+)"`).FindSubmatch(kust)
	if m == nil {
		t.Fatal("the dev overlay pins no tag for seminarhub/edge")
	}
	env.tag = string(m[1])
	run(t, nil, "scripts/images.sh")
	run(t, nil, "scripts/images.sh", "k8s")
	run(t, []string{"SEMINARHUB_VERSION=" + env.tag, "SEMINARHUB_COMMIT=" + strings.TrimSpace(run(t, nil, "git", "rev-parse", "HEAD"))},
		"docker", "compose", "build")
	images := []string{}
	for _, name := range devImages {
		run(t, nil, "docker", "tag", "seminarhub/"+name+":dev", "seminarhub/"+name+":"+env.tag)
		images = append(images, "seminarhub/"+name+":"+env.tag)
	}
	rendered := kubectl(t, "kustomize", "deploy/k8s/overlays/dev")
	for _, ref := range regexp.MustCompile(`image: (\S+)`).FindAllStringSubmatch(rendered, -1) {
		if !strings.HasPrefix(ref[1], "seminarhub/") && !slices.Contains(images, ref[1]) {
			images = append(images, ref[1])
		}
	}
	run(t, nil, "scripts/cluster.sh", append([]string{"import"}, images...)...)

	start := time.Now()
	kubectl(t, "apply", "-k", "deploy/k8s/overlays/dev")
	waitAvailable(t, 5*time.Minute)
	t.Logf("applied and available in %s", time.Since(start).Round(time.Second))

	env.nodeIP = kubectl(t, "get", "nodes", "-o", `jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}`)
	port := kubectl(t, "-n", ns, "get", "service", "edge", "-o", `jsonpath={.spec.ports[?(@.name=="https")].nodePort}`)
	env.base = "https://" + env.nodeIP + ":" + port
	crt, err := base64.StdEncoding.DecodeString(kubectl(t, "-n", ns, "get", "secret", "seminarhub-tls", "-o", `jsonpath={.data.tls\.crt}`))
	if err != nil {
		t.Fatal(err)
	}
	env.caFile = filepath.Join(env.work, "edge-ca.crt")
	if err := os.WriteFile(env.caFile, crt, 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(crt)
	// HTTP/2, as every browser speaks to the edge: a stopping edge pod says
	// GOAWAY and the client moves on. Over HTTP/1.1 a request sent on a
	// kept-alive connection as the pod closes it is lost, and Go does not
	// resend a PUT (docs/deploy.md has the numbers).
	env.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 100,
		ForceAttemptHTTP2: true,
	}}
	// Available pods are not reachable yet: kube-proxy writes a Service's
	// rules a moment after its endpoints turn ready, and until then the
	// node port refuses connections — as a user who applies and curls at
	// once would see. So /ping is asked until the edge Service answers.
	var resp blackbox.Answer
	var body []byte
	began := time.Now()
	blackbox.WaitFor(t, "the edge Service answering /ping", time.Minute, func() bool {
		a, err := blackbox.Exchange(env.client, env.base, "GET", "/ping", "", nil, nil)
		resp, body = a, a.Body
		return err == nil
	})
	t.Logf("the edge Service answered %s after the rollouts", time.Since(began).Round(time.Millisecond))
	if resp.StatusCode != 200 || string(body) != "pong" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("/ping through the edge Service: %d %q, HSTS %q", resp.StatusCode, body, resp.Header.Get("Strict-Transport-Security"))
	}
	plain := kubectl(t, "-n", ns, "get", "service", "edge", "-o", `jsonpath={.spec.ports[?(@.name=="http")].nodePort}`)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := noRedirect.Get("http://" + env.nodeIP + ":" + plain + "/seminars")
	if err != nil || r.StatusCode != 301 || !strings.HasPrefix(r.Header.Get("Location"), "https://") {
		t.Fatalf("plain HTTP: %v %v; want a redirect to HTTPS", r, err)
	}
	_ = r.Body.Close()
}

// waitAvailable waits for every Deployment and StatefulSet of the overlay.
func waitAvailable(t testing.TB, within time.Duration) {
	t.Helper()
	kubectl(t, "-n", ns, "rollout", "status", "statefulset/postgres", "--timeout="+within.String())
	for _, d := range []string{"redis", "jaeger", "user", "content", "gateway", "edge"} {
		kubectl(t, "-n", ns, "rollout", "status", "deployment/"+d, "--timeout="+within.String())
	}
}

// liftTheBudgets applies the dev overlay again under an overlay of the
// test's own that sets the per-address budgets to none (the suite sends
// hundreds of signups and failed logins from this one machine) — what an
// operator does for a load or conformance test.
func liftTheBudgets(t *testing.T) {
	overlay("lifted", "", `configMapGenerator:
  - name: seminarhub-config
    namespace: `+ns+`
    behavior: merge
    literals:
      - SIGNUPS_PER_ADDRESS_PER_HOUR=0
      - FAILED_LOGINS_PER_ADDRESS_PER_HOUR=0
`)
	kubectl(t, "apply", "-k", filepath.Join(env.work, "lifted"))
	waitAvailable(t, 3*time.Minute)
	// The new configuration rolled every Deployment: the old pods drain
	// for a while after their replacements are ready. Their interfaces
	// going away would reach the e2e suite's browser on this node.
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(time.Second) {
		if kubectl(t, "-n", ns, "get", "pods", "-o", "jsonpath={.items[*].metadata.deletionTimestamp}") == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pods of the previous configuration still terminating after 3 minutes")
		}
	}
}

// overlay writes a kustomization of the tests' own in .run/k8s-test/name
// on top of the dev overlay, with components and extra lines.
func overlay(name, components, extra string) string {
	dir := filepath.Join(env.work, name)
	_ = os.MkdirAll(dir, 0o755)
	k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../../deploy/k8s/overlays/dev]\n"
	if components != "" {
		// A component's resources name no namespace; the monitoring stack's
		// keep their own (as in the dev overlay).
		k += "components: [" + components + "]\ntransformers:\n  - |-\n    apiVersion: builtin\n    kind: NamespaceTransformer\n" +
			"    metadata: {name: " + ns + ", namespace: " + ns + "}\n    unsetOnly: true\n"
	}
	_ = os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k+extra), 0o644)
	return dir
}

func theEndToEndSuite(t *testing.T) {
	passed, skipped, err := blackbox.EndToEnd(env.root, env.base, env.caFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("e2e through the edge Service over HTTPS: %d passed, %d skipped (need the suite's own stack)", passed, skipped)
}

// throwaway runs sh -c script in a pod of the edge image (it has getent,
// curl and bash) in namespace, with labels, and returns its output and
// whether it succeeded.
func throwaway(t *testing.T, namespace, labels, script string) (string, bool) {
	t.Helper()
	name := randomName("probe-")
	run := func(args ...string) (string, error) {
		out, err := exec.Command(env.kubectl, append([]string{"--kubeconfig", env.kubeconfig, "-n", namespace}, args...)...).Output()
		return strings.TrimSpace(string(out)), err
	}
	// Not --attach: when the pod ends before kubectl attaches, kubectl
	// prints its log after what it already relayed, and the output comes
	// twice. The pod runs to its end; its log is read once.
	args := []string{"run", name, "--image", "seminarhub/edge:" + env.tag, "--restart=Never", "--command"}
	if labels != "" {
		args = append(args, "--labels", labels)
	}
	if _, err := run(append(args, "--", "sh", "-c", script)...); err != nil {
		t.Fatalf("kubectl run %s: %v", name, err)
	}
	defer func() { _, _ = run("delete", "pod", name, "--wait=false") }()
	phase := ""
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if phase, _ = run("get", "pod", name, "-o", "jsonpath={.status.phase}"); phase == "Succeeded" || phase == "Failed" {
			break
		}
	}
	out, _ := run("logs", name)
	return out, phase == "Succeeded"
}

func clusterDNS(t *testing.T) {
	want := kubectl(t, "-n", ns, "get", "service", "user", "-o", "jsonpath={.spec.clusterIP}")
	out, ok := throwaway(t, ns, "", "getent hosts user; getent hosts user."+ns+".svc.cluster.local")
	if !ok || strings.Count(out, want) != 2 {
		t.Fatalf("getent hosts user: %q; want %s twice (CoreDNS answering for the Service)", out, want)
	}
	// The product itself finds its parts by name: the gateway reaches
	// http://user:8081 and http://content:8082 (its readiness says so).
	kubectl(t, "-n", ns, "wait", "--for=condition=Ready", "pod", "-l", "app.kubernetes.io/name=gateway", "--timeout=60s")
}

func oneTrace(t *testing.T) {
	_, token := signup(t, "instructor")
	traceID, err := blackbox.Traced(env.client, env.base, token)
	if err != nil {
		t.Fatal(err)
	}
	jaeger := kubectl(t, "-n", ns, "get", "pod", "-l", "app.kubernetes.io/name=jaeger", "-o", "jsonpath={.items[0].status.podIP}")
	seen, err := blackbox.WaitForTrace("http://"+jaeger+":16686", traceID, []string{"gateway", "user", "content", "postgresql", "redis"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("trace %s: %v", traceID, seen)
}
