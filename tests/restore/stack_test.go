package restore

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// instance is a `make run` of its own (SEMINARHUB_INSTANCE): its own
// PostgreSQL, backup repository, Redis, services and edge, on free ports.
type instance struct {
	root, name string
	addrs      map[string]string
	cmd        *exec.Cmd
	exited     chan struct{}
	log        string
	client     *http.Client
	pg         string // where its PostgreSQL keeps its data (data/ below)
}

func newInstance(t *testing.T) *instance {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{root: root, name: fmt.Sprintf("drill-%d", os.Getpid()), addrs: map[string]string{},
		log: filepath.Join(t.TempDir(), "run.log")}
	for _, name := range []string{"postgres", "redis", "edge", "edge-tls", "user", "content", "gateway-ops", "user-ops", "content-ops"} {
		in.addrs[name] = freeAddr(t)
	}
	t.Cleanup(func() {
		in.stop(t)
		if t.Failed() {
			out, _ := os.ReadFile(in.log)
			t.Logf("make run said:\n%s", tail(string(out), 60))
		}
		for _, dir := range []string{in.name, in.name + "-run", in.name + "-redis", filepath.Join("backup", in.name)} {
			_ = os.RemoveAll(filepath.Join(in.pgParent(t), dir))
			_ = os.RemoveAll(filepath.Join(root, ".run", dir))
		}
	})
	return in
}

func (in *instance) port(name string) string {
	return in.addrs[name][strings.LastIndex(in.addrs[name], ":")+1:]
}

// env is what make run and make restore are given: this instance's
// ports, and the per-address budgets lifted — the writer and the e2e
// suite sign up by the hundred from one machine.
func (in *instance) env() []string {
	return append(os.Environ(), "SEMINARHUB_INSTANCE="+in.name,
		"SEMINARHUB_PG_PORT="+in.port("postgres"), "SEMINARHUB_REDIS_PORT="+in.port("redis"),
		"EDGE_HTTP_PORT="+in.port("edge"), "EDGE_HTTPS_PORT="+in.port("edge-tls"),
		"USER_ADDR="+in.addrs["user"], "CONTENT_ADDR="+in.addrs["content"],
		"GATEWAY_OPS="+in.addrs["gateway-ops"], "USER_OPS="+in.addrs["user-ops"], "CONTENT_OPS="+in.addrs["content-ops"],
		"EDGE_AUTH_RATE=10000r/s", "SIGNUPS_PER_ADDRESS_PER_HOUR=0", "FAILED_LOGINS_PER_ADDRESS_PER_HOUR=0")
}

// start runs make run and waits until the API answers a read.
func (in *instance) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(in.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	in.cmd = exec.Command(filepath.Join(in.root, "scripts", "run.sh"))
	in.cmd.Dir, in.cmd.Env = in.root, in.env()
	in.cmd.Stdout, in.cmd.Stderr = f, f
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.exited = make(chan struct{})
	go func() { _ = in.cmd.Wait(); _ = f.Close(); close(in.exited) }()
	in.waitHealthy(t, 5*time.Minute)
}

// waitHealthy waits for a healthy API: a sign-up and the seminar list
// through the edge (both databases, the cache, every service).
func (in *instance) waitHealthy(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		select {
		case <-in.exited:
			out, _ := os.ReadFile(in.log)
			t.Fatalf("make run ended:\n%s", tail(string(out), 40))
		default:
		}
		if a, err := in.signup("participant"); err == nil {
			if code, _, err := in.do(http.MethodGet, "/api/v1/seminar/", a.Token, nil); err == nil && code == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API was not healthy within %s", within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop stops make run as Ctrl-C does, and waits for it.
func (in *instance) stop(t *testing.T) {
	if in.cmd == nil {
		return
	}
	_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-in.exited:
	case <-time.After(time.Minute):
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
		t.Errorf("make run did not stop within a minute of Ctrl-C")
		<-in.exited
	}
	in.cmd = nil
}

// make runs a make target for this instance; the command's output is
// returned, and a failure fails the test.
func (in *instance) make(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-s"}, args...)...)
	cmd.Dir, cmd.Env = in.root, in.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (in *instance) script(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(in.root, "scripts", args[0]), args[1:]...)
	cmd.Dir, cmd.Env = in.root, in.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// pgDir is where the instance's PostgreSQL keeps its data (data/ below
// it) — under .run, or /var/tmp when the checkout is out of the postgres
// user's reach.
func (in *instance) pgDir(t *testing.T) string {
	if in.pg == "" {
		in.pg = in.script(t, "stack.sh", "pg-dir", in.name)
	}
	return in.pg
}

func (in *instance) pgParent(t *testing.T) string { return filepath.Dir(in.pgDir(t)) }

// psql runs SQL in one of the instance's databases as the superuser,
// over its unix socket.
func (in *instance) psql(t *testing.T, db, sql string) string {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(bins) == 0 {
		t.Fatal("no psql under /usr/lib/postgresql")
	}
	args := []string{bins[len(bins)-1], "-h", in.pgDir(t), "-p", in.port("postgres"), "-U", "postgres", "-d", db, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql}
	if os.Getuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %s: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// --- the API, through the edge's HTTPS port --------------------------------

func (in *instance) base() string { return "https://localhost:" + in.port("edge-tls") }

func (in *instance) caFile() string { return filepath.Join(in.root, ".run", "tls", "tls.crt") }

func (in *instance) http() *http.Client {
	if in.client == nil {
		pool := x509.NewCertPool()
		if pem, err := os.ReadFile(in.caFile()); err == nil {
			pool.AppendCertsFromPEM(pem)
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		tr.MaxIdleConnsPerHost = 64
		in.client = &http.Client{Transport: tr, Timeout: 15 * time.Second}
	}
	return in.client
}

func (in *instance) do(method, path, token string, body any) (int, []byte, error) {
	a, err := blackbox.Exchange(in.http(), in.base(), method, path, token, body, nil)
	return a.StatusCode, a.Body, err
}

type account struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Token    string `json:"token"`
}

var accounts atomic.Int64

// signup makes a new account of the role (participants with an accepted
// profile, so they may join).
func (in *instance) signup(role string) (account, error) {
	n := accounts.Add(1)
	name := fmt.Sprintf("drill%d%s%d", os.Getpid(), role[:1], n)
	code, b, err := in.do(http.MethodPost, "/api/v1/user/", "", map[string]any{
		"username": name, "password": "drill-password-" + strconv.FormatInt(n, 10), "email": name + "@example.org",
		"role": role, "university": "Drill University", "company": "Drill Ltd", "accepted": true,
	})
	if err != nil {
		return account{}, err
	}
	if code != http.StatusCreated {
		return account{}, fmt.Errorf("signup: %d %s", code, b)
	}
	var a account
	return a, json.Unmarshal(b, &a)
}

type seminar struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Participants []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		IsActive bool   `json:"is_active"`
	} `json:"participants"`
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
