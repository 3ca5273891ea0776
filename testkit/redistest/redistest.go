// Package redistest gives a test its own real Redis server, which the test
// may stop and start again to see how the services behave without it.
//
// The server is the one at SEMINARHUB_TEST_REDIS_URL when set (shared; it
// cannot be stopped by a test, so Stop skips the test); otherwise, when a
// Docker engine answers, a testcontainers Redis of the image compose.yaml
// runs; otherwise (or when that image cannot be had) a private redis-server
// process on a free port — scripts/stack.sh installs the binary with apt
// when it is missing. A server per test isolates tests completely, which a
// shared server cannot; stopping and starting it keeps its address.
package redistest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

// EnvURL names the variable that points tests at an existing Redis.
const EnvURL = "SEMINARHUB_TEST_REDIS_URL"

// Image is the Redis image of compose.yaml (a test keeps them equal).
const Image = "redis:8.10.0"

// Server is a Redis for one test (or one test binary).
type Server struct {
	URL       string
	bin       string
	port      int
	dir       string
	cmd       *exec.Cmd
	container *testcontainers.DockerContainer
}

var (
	dockerOnce sync.Once
	dockerOK   bool
)

// Start returns a running Redis, stopped at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u}
	}
	dockerOnce.Do(func() { dockerOK = pgtest.DockerAnswers() })
	if dockerOK {
		s, err := startContainer()
		if err == nil {
			t.Cleanup(s.Kill)
			return s
		}
		t.Logf("redistest: a Docker engine answers, but testcontainers could not start %s (%v); using a redis-server process", Image, err)
	}
	s, err := StartProcess(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return s
}

// StartProcess starts a private redis-server keeping its files in dir; the
// caller kills it.
func StartProcess(dir string) (*Server, error) {
	bin, err := binary()
	if err != nil {
		return nil, fmt.Errorf("no redis-server for tests: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, port: port, dir: dir, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	return s, s.Restart()
}

func binary() (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	root, err := pgtest.RepoRoot()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(filepath.Join(root, "scripts", "stack.sh"), "redis-bin").Output()
	if err != nil {
		return "", fmt.Errorf("scripts/stack.sh redis-bin: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// startContainer runs Redis in a container published on a fixed loopback
// port, so that Stop and Start keep the URL the code under test holds.
func startContainer() (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := testcontainers.Run(ctx, Image,
		testcontainers.WithCmd("redis-server", "--save", "", "--appendonly", "no"),
		testcontainers.WithExposedPorts("6379/tcp"),
		pgtest.OnLoopback("6379/tcp", port),
		testcontainers.WithLabels(map[string]string{pgtest.Label: "redistest"}),
		testcontainers.WithWaitStrategy(wait.ForListeningPort("6379/tcp")))
	if err != nil {
		if c != nil {
			_ = c.Terminate(context.Background())
		}
		return nil, err
	}
	s := &Server{port: port, container: c, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	return s, s.waitPing()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Restart starts the server again on its port and waits until it answers.
func (s *Server) Restart() error {
	if s.container != nil {
		if err := s.container.Start(context.Background()); err != nil {
			return fmt.Errorf("start redis container: %w", err)
		}
		return s.waitPing()
	}
	if s.bin == "" {
		return nil
	}
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis: %w", err)
	}
	return s.waitPing()
}

func (s *Server) waitPing() error {
	opts, _ := redis.ParseURL(s.URL)
	c := redis.NewClient(opts)
	defer func() { _ = c.Close() }()
	for i := 0; i < 250; i++ {
		if c.Ping(context.Background()).Err() == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis did not answer within 5s")
}

// Start restarts a stopped server, failing the test if it cannot.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
}

// Stop kills the server, as an outage would.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.container != nil {
		// Stopped at once, as an outage would.
		zero := time.Duration(0)
		if err := s.container.Stop(context.Background(), &zero); err != nil {
			t.Fatal(err)
		}
		return
	}
	if s.bin == "" {
		t.Skip("the Redis at " + EnvURL + " cannot be stopped by a test")
	}
	s.Kill()
}

// Kill stops the process or removes the container (no-op for a shared
// server).
func (s *Server) Kill() {
	if s.container != nil {
		_ = s.container.Terminate(context.Background())
		return
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Client returns a client for inspecting the server (closed at cleanup).
func (s *Server) Client(t testing.TB) *redis.Client {
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Pid is the server process's id (0 for a container), for CPU accounting.
func (s *Server) Pid() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

var namespaces atomic.Int64

// Cache returns a cache on the Redis at url in a namespace of its own
// (closed at cleanup), so that tests sharing one Redis never share keys.
func Cache(t testing.TB, url string) *cache.Cache {
	t.Helper()
	rdb, err := cache.Open(url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return cache.New(rdb, fmt.Sprintf("test-%d", namespaces.Add(1)), slog.New(slog.DiscardHandler))
}
