// Package e2e starts the real binaries (user, content, gateway) on fresh
// databases and exercises the public contract through the gateway, checking
// every response against api/openapi.yaml.
package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/testkit/pgtest"
	"github.com/seminarhub/seminarhub/testkit/redistest"
)

// stack is the running system under test.
type stack struct {
	root     string
	dir      string
	gateway  string // base URL
	user     string // the backends' internal APIs
	content  string
	ops      map[string]string // each process's probes and metrics (OPS_ADDR), by name
	procs    map[string]*exec.Cmd
	env      map[string][]string
	dbProxy  map[string]*proxy
	redis    *redistest.Server
	webRoot  string
	socket   string // the first gateway's unix socket
	socket2  string // the second replica's
	profiler string // the first gateway's DEBUG_ADDR (net/http/pprof)
	edge     *edge  // the public entry every API test goes through
	cleanups []func()
	mu       sync.Mutex
	remote   bool // a deployment the suite did not start (EnvBaseURL)
}

var sys *stack

// EnvBaseURL points the suite at a deployment someone else started (the
// compose stack, a cluster): every test of the public contract runs through
// that edge; tests that need the suite's own processes (cutting databases,
// killing Redis, reading service logs, extra edges) skip, naming why.
// EnvCA names the PEM certificate to trust for its HTTPS.
const (
	EnvBaseURL = "SEMINARHUB_E2E_BASE_URL"
	EnvCA      = "SEMINARHUB_E2E_CA"
)

func TestMain(m *testing.M) {
	if base := os.Getenv(EnvBaseURL); base != "" {
		s, err := remoteStack(base, os.Getenv(EnvCA))
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(1)
		}
		sys = s
		os.Exit(m.Run())
	}
	s, err := startStack()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the stack:", err)
		if s != nil {
			s.dumpLogs()
			_ = s.stop()
		}
		os.Exit(1)
	}
	sys = s
	code := m.Run()
	if exit := s.stop(); exit != nil {
		fmt.Fprintln(os.Stderr, "e2e: shutdown was not clean:", exit)
		code = 1
	}
	if code != 0 {
		s.dumpLogs()
		fmt.Fprintln(os.Stderr, "e2e: binaries and logs kept in", s.dir)
	} else {
		_ = os.RemoveAll(s.dir) // ~200 MB of binaries a run
	}
	os.Exit(code)
}

// remoteStack is a deployment the suite did not start, reached at base.
func remoteStack(base, caFile string) (*stack, error) {
	root, err := pgtest.RepoRoot()
	if err != nil {
		return nil, err
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", EnvCA, caFile)
		}
		// Every client of the suite, http.DefaultClient included, trusts it.
		http.DefaultTransport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if err := waitPing(base, 60*time.Second); err != nil {
		return nil, err
	}
	return &stack{root: root, gateway: base, remote: true}, nil
}

// ownStack skips a test that needs the suite's own processes when the suite
// runs against a remote deployment.
func (s *stack) ownStack(t testing.TB, why string) {
	t.Helper()
	if s.remote {
		t.Skipf("against %s: this test %s, which only the suite's own stack allows", s.gateway, why)
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func startStack() (*stack, error) {
	root, err := pgtest.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "seminarhub-e2e-")
	if err != nil {
		return nil, err
	}
	// Nginx workers (another user) must reach the socket and the web root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "redis"), 0o755); err != nil {
		return nil, err
	}
	s := &stack{root: root, dir: dir, procs: map[string]*exec.Cmd{}, env: map[string][]string{}, dbProxy: map[string]*proxy{}, ops: map[string]string{}}
	for _, svc := range []string{"user", "content", "gateway"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, svc), "./services/"+svc+"/cmd/"+svc)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			return s, fmt.Errorf("build %s: %w\n%s", svc, err, out)
		}
	}
	// Two gateway replicas, as in production: each keeps answers in its
	// own memory, so every test also checks that a write answered by one
	// is seen by the next read on the other.
	if err := os.Link(filepath.Join(dir, "gateway"), filepath.Join(dir, "gateway2")); err != nil {
		return s, err
	}
	admin, err := pgtest.Admin()
	if err != nil {
		return s, err
	}
	// A Redis of the suite's own, which tests kill and restart.
	if s.redis, err = redistest.StartProcess(filepath.Join(dir, "redis")); err != nil {
		return s, err
	}
	s.cleanups = append(s.cleanups, s.redis.Kill)
	// REQUEST_TIMEOUT is the product's default: a classroom signing up and
	// logging in at once hashes 60 argon2id passwords, which on a 2-core CI
	// machine building other packages took over 3 s.
	common := []string{"INTERNAL_SECRET=e2e-internal-secret-0123456789", "LOG_LEVEL=info", "SHUTDOWN_TIMEOUT=10s", "REQUEST_TIMEOUT=10s", "REDIS_URL=" + s.redis.URL}
	s.socket, s.socket2 = filepath.Join(dir, "gateway.sock"), filepath.Join(dir, "gateway2.sock")
	addrs := map[string]string{"user": freeAddr(), "content": freeAddr(), "gateway": "unix:" + s.socket, "gateway2": "unix:" + s.socket2}
	for _, svc := range []string{"user", "content"} {
		dsn, drop, err := pgtest.CreateDatabase(context.Background(), admin)
		if err != nil {
			return s, err
		}
		s.cleanups = append(s.cleanups, drop)
		// Services reach PostgreSQL through a proxy the tests can cut, to
		// see an outage without stopping the shared server.
		p, err := newProxy(dsn)
		if err != nil {
			return s, err
		}
		s.dbProxy[svc] = p
		s.env[svc] = append(common, "HTTP_ADDR="+addrs[svc], "OPS_ADDR="+s.opsAddr(svc), "DATABASE_URL="+p.dsn)
		if out, err := s.command(svc, "migrate").CombinedOutput(); err != nil {
			return s, fmt.Errorf("%s migrate: %w\n%s", svc, err, out)
		}
	}
	s.profiler = freeAddr()
	// Remembered identities and answers are re-checked through Redis after
	// a second instead of five, so tests reach the slower paths quickly.
	backends := []string{"USER_SERVICE_URL=http://" + addrs["user"], "CONTENT_SERVICE_URL=http://" + addrs["content"], "MEMORY_MAX_AGE=1s"}
	s.env["gateway"] = append(append(common, "HTTP_ADDR="+addrs["gateway"], "OPS_ADDR="+s.opsAddr("gateway"), "DEBUG_ADDR="+s.profiler), backends...)
	s.env["gateway2"] = append(append(common, "HTTP_ADDR="+addrs["gateway2"], "OPS_ADDR="+s.opsAddr("gateway2")), backends...)
	s.user, s.content = "http://"+addrs["user"], "http://"+addrs["content"]
	for _, svc := range []string{"user", "content", "gateway", "gateway2"} {
		if err := s.start(svc); err != nil {
			return s, err
		}
	}
	for _, svc := range []string{"user", "content"} {
		if err := waitReady(s.ops[svc], 30*time.Second); err != nil {
			return s, err
		}
	}
	// Everything public goes through Nginx, as in production: the gateway
	// listens on a unix socket that only the edge reaches.
	s.webRoot = filepath.Join(dir, "web")
	if err := writeWebRoot(s.webRoot); err != nil {
		return s, err
	}
	if s.edge, err = s.startEdge("edge", edgeOptions{mode: "local", rate: "100000r/s", upstream: "unix:" + s.socket + " unix:" + s.socket2}); err != nil {
		return s, err
	}
	s.gateway = s.edge.http
	if err := waitPing(s.gateway, 30*time.Second); err != nil {
		return s, err
	}
	return s, nil
}

// opsAddr picks svc's OPS_ADDR and remembers its base URL.
func (s *stack) opsAddr(svc string) string {
	addr := freeAddr()
	s.ops[svc] = "http://" + addr
	return addr
}

func (s *stack) command(svc string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.dir, svc), args...)
	cmd.Env = append(os.Environ(), s.env[svc]...)
	return cmd
}

func (s *stack) start(svc string) error {
	logf, err := os.OpenFile(filepath.Join(s.dir, svc+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := s.command(svc)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	s.mu.Lock()
	s.procs[svc] = cmd
	s.mu.Unlock()
	return nil
}

func waitReady(base string, within time.Duration) error { return waitOK(base+"/readyz", within) }

func waitPing(base string, within time.Duration) error { return waitOK(base+"/ping", within) }

// waitOK polls url until it answers 200.
func waitOK(url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within %s", url, within)
}

// terminate sends SIGTERM and returns the process's exit error (nil: exit 0).
func terminate(cmd *exec.Cmd) error {
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		return fmt.Errorf("did not exit within 20s of SIGTERM")
	}
}

func (s *stack) stop() error {
	var first error
	for _, svc := range []string{"gateway", "gateway2", "content", "user"} {
		if err := terminate(s.procs[svc]); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", svc, err)
		}
	}
	for _, p := range s.dbProxy {
		p.close()
	}
	for _, c := range s.cleanups {
		c()
	}
	return first
}

func (s *stack) dumpLogs() {
	for _, svc := range []string{"user", "content", "gateway", "gateway2", "edge/edge-error"} {
		f, err := os.Open(filepath.Join(s.dir, svc+".log"))
		if err != nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "----- %s log (last 40 lines) -----\n", svc)
		data, _ := io.ReadAll(f)
		_ = f.Close()
		lines := splitLines(string(data))
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		for _, l := range lines {
			fmt.Fprintln(os.Stderr, l)
		}
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
