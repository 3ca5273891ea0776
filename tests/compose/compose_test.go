// Package compose runs seminarhub exactly as `docker compose up` does —
// compose.yaml, the Dockerfiles and the images they name — and tests it from
// outside: the end-to-end API suite and the browser flows through the
// compose edge, the images themselves, a service restart, and one trace
// across every service in Jaeger. TestMain brings the stack up and takes it
// down again (`down -v`), checking that nothing is left behind.
//
// It needs a Docker engine with the Compose and Buildx plugins
// (scripts/docker.sh) and the third-party images (scripts/images.sh); `make
// test` provides all three when it runs as root.
package compose

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// project is fixed so that a run killed half-way is cleaned up by the next.
const project = "seminarhub-test"

// maxImageBytes is the ceiling for each Go service image (30 MiB).
const maxImageBytes = 30 << 20

var env struct {
	root                string
	httpPort, httpsPort string
	jaegerPort          string
	prometheusPort      string
	alertmanagerPort    string
	monitoring          []string // variables pointing compose at the test's monitoring files
	version, commit     string
	caFile              string
	base                string // https://localhost:<port>
	client              *http.Client
}

func TestMain(m *testing.M) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		fmt.Fprintln(os.Stderr, "compose: no `docker compose` here (scripts/docker.sh ready provides it)")
		os.Exit(1)
	}
	code := 1
	if err := up(); err != nil {
		fmt.Fprintln(os.Stderr, "compose: the stack did not come up:", err)
		logs()
	} else {
		code = m.Run()
		if code != 0 {
			logs()
		}
	}
	if err := down(); err != nil {
		fmt.Fprintln(os.Stderr, "compose:", err)
		code = 1
	}
	os.Exit(code)
}

func up() error {
	var err error
	if env.root, err = repoRoot(); err != nil {
		return err
	}
	env.httpPort, env.httpsPort, env.jaegerPort = freePort(), freePort(), freePort()
	env.commit = strings.TrimSpace(run(env.root, "git", "rev-parse", "HEAD"))
	if env.commit == "" {
		env.commit = "unknown"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	env.version = "compose-test-" + hex.EncodeToString(b[:])
	dir, err := os.MkdirTemp("", "seminarhub-compose-")
	if err != nil {
		return err
	}
	if env.monitoring, err = monitoringSetup(dir); err != nil {
		return err
	}
	// A run that was killed may have left the project behind.
	_ = down()
	start := time.Now()
	if out, err := command("scripts/images.sh").CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/images.sh: %w\n%s", err, out)
	}
	if out, err := compose("build").CombinedOutput(); err != nil {
		return fmt.Errorf("compose build: %w\n%s", err, out)
	}
	built := time.Now()
	if out, err := compose("up", "--detach", "--wait", "--wait-timeout", "300").CombinedOutput(); err != nil {
		return fmt.Errorf("compose up: %w\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "compose: images built in %s, stack healthy %s later\n",
		built.Sub(start).Round(time.Second), time.Since(built).Round(time.Second))
	// The edge generated its certificate on first start; trust exactly it.
	env.caFile = filepath.Join(dir, "edge.crt")
	if out, err := compose("cp", "edge:/etc/nginx/tls/tls.crt", env.caFile).CombinedOutput(); err != nil {
		return fmt.Errorf("copy the edge certificate: %w\n%s", err, out)
	}
	pem, err := os.ReadFile(env.caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("the edge's certificate is not PEM")
	}
	env.client = &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	env.base = "https://localhost:" + env.httpsPort
	return nil
}

// down removes the project with its volumes and checks that no container,
// network or volume of it is left.
func down() error {
	if out, err := compose("down", "--volumes", "--remove-orphans", "--timeout", "30").CombinedOutput(); err != nil {
		return fmt.Errorf("compose down: %w\n%s", err, out)
	}
	label := "label=com.docker.compose.project=" + project
	for _, kind := range [][]string{{"ps", "--all"}, {"network", "ls"}, {"volume", "ls"}} {
		args := append(append([]string{}, kind...), "--quiet", "--filter", label)
		if left := strings.TrimSpace(run(env.root, "docker", args...)); left != "" {
			return fmt.Errorf("after compose down, docker %s still lists: %s", kind[0], left)
		}
	}
	return nil
}

func logs() {
	out, _ := compose("logs", "--no-color", "--tail", "40").CombinedOutput()
	fmt.Fprintf(os.Stderr, "compose logs:\n%s\n", out)
}

func compose(args ...string) *exec.Cmd {
	return command("docker", append([]string{"compose", "--project-name", project, "--file", "compose.yaml"}, args...)...)
}

func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = env.root
	cmd.Env = append(os.Environ(),
		"SEMINARHUB_HTTP_PORT="+env.httpPort, "SEMINARHUB_HTTPS_PORT="+env.httpsPort,
		"SEMINARHUB_JAEGER_PORT="+env.jaegerPort,
		"SEMINARHUB_VERSION="+env.version, "SEMINARHUB_COMMIT="+env.commit,
		// The e2e suite signs up and fails logins by the hundred, and
		// through a published port all of it comes from one address.
		"SIGNUPS_PER_ADDRESS_PER_HOUR=0", "FAILED_LOGINS_PER_ADDRESS_PER_HOUR=0")
	cmd.Env = append(cmd.Env, env.monitoring...)
	return cmd
}

func run(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, _ := cmd.Output()
	return string(out)
}

// repoRoot is two levels up: go test runs a package in its own folder.
func repoRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "compose.yaml")); err != nil {
		return "", fmt.Errorf("no compose.yaml two levels above the test: %w", err)
	}
	return root, nil
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer func() { _ = l.Close() }()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// request sends one request to the compose edge.
// request sends one request to the edge and reads its answer.
func request(t *testing.T, method, path, token string, body any, header map[string]string) (blackbox.Answer, []byte) {
	t.Helper()
	a, err := blackbox.Exchange(env.client, env.base, method, path, token, body, header)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a, a.Body
}

// signup creates an account through the edge and returns its token.
func signup(t *testing.T, role string) string {
	t.Helper()
	token, err := blackbox.Signup(env.client, env.base, role)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// The whole black-box suite of tests/e2e — every response validated against
// api/openapi.yaml, the browser flows in Chromium included — through the
// compose edge's HTTPS port. Tests that need the suite's own processes skip
// there and are run by `make test` against the local stack instead.
func TestTheEndToEndSuitePassesThroughTheComposeEdge(t *testing.T) {
	passed, skipped, err := blackbox.EndToEnd(env.root, env.base, env.caFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("e2e through the compose edge: %d passed, %d skipped (need the suite's own stack)", passed, skipped)
}

func TestPlainHTTPRedirectsToHTTPSKeepingPathAndQuery(t *testing.T) {
	resp, err := env.client.Get("http://localhost:" + env.httpPort + "/seminars?order=earliest")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://localhost/seminars?order=earliest" {
		t.Fatalf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestHTTPSSpeaksHTTP2WithHSTS(t *testing.T) {
	resp, body := request(t, "GET", "/ping", "", nil, nil)
	if resp.StatusCode != 200 || string(body) != "pong" || resp.ProtoMajor != 2 ||
		!strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("%d %s %q HSTS %q", resp.StatusCode, resp.Proto, body, resp.Header.Get("Strict-Transport-Security"))
	}
}

// The gateway has no TCP listener: the edge reaches it over the socket on
// the shared volume, and only there.
func TestTheEdgeReachesTheGatewayOnlyOverItsUnixSocket(t *testing.T) {
	out, err := compose("exec", "-T", "edge", "curl", "-s", "--unix-socket", "/run/seminarhub/gateway.sock", "http://gateway/ping").CombinedOutput()
	if err != nil || string(out) != "pong" {
		t.Fatalf("ping over the socket from the edge: %v %q", err, out)
	}
	if out, err := compose("exec", "-T", "edge", "curl", "-s", "--max-time", "3", "http://gateway:8080/ping").CombinedOutput(); err == nil {
		t.Fatalf("the gateway answered over TCP: %q", out)
	}
	owner := strings.TrimSpace(string(must(compose("exec", "-T", "edge", "stat", "-c", "%u %a", "/run/seminarhub/gateway.sock").Output())))
	if !strings.HasPrefix(owner, "65532 ") {
		t.Fatalf("socket owner and mode %q, want the gateway's user (65532)", owner)
	}
}

func TestServiceImagesAreSmallAndRunAsNonRootOnAReadOnlyRoot(t *testing.T) {
	for _, svc := range []string{"user", "content", "gateway"} {
		out := strings.Fields(run(env.root, "docker", "image", "inspect", "--format", "{{.Size}} {{.Config.User}}", "seminarhub/"+svc+":dev"))
		if len(out) != 2 {
			t.Fatalf("%s: image inspect gave %v", svc, out)
		}
		size, _ := strconv.ParseInt(out[0], 10, 64)
		if size > maxImageBytes || size == 0 {
			t.Errorf("seminarhub/%s:dev is %.1f MiB, over %d MiB", svc, float64(size)/(1<<20), maxImageBytes>>20)
		}
		if out[1] != "nonroot:nonroot" {
			t.Errorf("seminarhub/%s:dev runs as %q", svc, out[1])
		}
		t.Logf("seminarhub/%s:dev: %.1f MiB, user %s", svc, float64(size)/(1<<20), out[1])
	}
	for _, svc := range []string{"user", "content", "gateway", "edge"} {
		id := strings.TrimSpace(string(must(compose("ps", "--quiet", svc).Output())))
		got := strings.TrimSpace(run(env.root, "docker", "inspect", "--format", "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.Config.User}}", id))
		f := strings.Fields(got)
		if len(f) != 3 || f[0] != "true" || f[1] != "[ALL]" || f[2] == "root" || strings.HasPrefix(f[2], "0") {
			t.Errorf("%s container: read-only, capabilities dropped, user = %q; want true [ALL] and a non-root user", svc, got)
		}
	}
}

// The containers' limits (1 CPU, 256 MiB) size the Go runtime: GOMAXPROCS
// follows the CPU limit (Go rounds it up to at least 2), GOMEMLIMIT is
// 90 % of the memory limit, and the user service hashes GOMAXPROCS
// passwords at once.
func TestTheServicesSizeThemselvesFromTheirContainerLimits(t *testing.T) {
	for _, svc := range []string{"user", "content", "gateway"} {
		started := logLines(t, svc, "starting")
		if len(started) == 0 {
			t.Fatalf("%s logged no start", svc)
		}
		for _, l := range started {
			if l["command"] == "serve" && (l["gomaxprocs"] != 2.0 || l["gomemlimit"] != "230MiB") {
				t.Errorf("%s started with GOMAXPROCS %v and GOMEMLIMIT %v; want 2 and 230MiB", svc, l["gomaxprocs"], l["gomemlimit"])
			}
		}
	}
	for _, l := range logLines(t, "user", "password hashing") {
		if l["slots"] != 2.0 {
			t.Errorf("the user service hashes %v passwords at once; want 2", l["slots"])
		}
	}
}

// logLines returns svc's JSON log lines whose msg is msg.
func logLines(t *testing.T, svc, msg string) []map[string]any {
	t.Helper()
	out, err := compose("logs", "--no-color", "--no-log-prefix", svc).Output()
	if err != nil {
		t.Fatalf("compose logs %s: %v", svc, err)
	}
	var found []map[string]any
	for _, line := range strings.Split(string(out), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == msg {
			found = append(found, l)
		}
	}
	return found
}

func TestVersionShowsTheBuildsVersionAndCommit(t *testing.T) {
	resp, body := request(t, "GET", "/version", "", nil, nil)
	var v struct{ Version, Commit string }
	if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if v.Version != env.version || v.Commit != env.commit {
		t.Fatalf("version %q commit %q, want %q %q", v.Version, v.Commit, env.version, env.commit)
	}
}

// A restarted backend (stop, start: new process, cold pool) is back in
// service by itself; no other container needs a restart.
func TestTheProductRecoversFromAServiceRestart(t *testing.T) {
	token := signup(t, "instructor")
	if out, err := compose("restart", "--timeout", "20", "content").CombinedOutput(); err != nil {
		t.Fatalf("restart content: %v\n%s", err, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, body := request(t, "POST", "/api/v1/seminar/", token, map[string]any{"name": "after restart", "capacity": 5, "count": 1, "time": "10:00"}, nil)
		if resp.StatusCode == 201 {
			break
		}
		if resp.StatusCode != 502 && resp.StatusCode != 503 || time.Now().After(deadline) {
			t.Fatalf("after the restart: %d %s", resp.StatusCode, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if resp, body := request(t, "GET", "/api/v1/seminar/", token, nil, nil); resp.StatusCode != 200 || !strings.Contains(string(body), "after restart") {
		t.Fatalf("list after the restart: %d %s", resp.StatusCode, body)
	}
}

// One request through the edge is one trace in Jaeger: the gateway, both
// backends, and their PostgreSQL and Redis calls, under the trace id the
// client sent.
func TestOneRequestIsOneTraceAcrossEveryServiceInJaeger(t *testing.T) {
	token := signup(t, "instructor")
	traceID, err := blackbox.Traced(env.client, env.base, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blackbox.WaitForTrace("http://127.0.0.1:"+env.jaegerPort, traceID,
		[]string{"gateway", "user", "content", "postgresql", "redis"}, 45*time.Second); err != nil {
		t.Fatal(err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
