// Package pgtest gives each test its own freshly created PostgreSQL database
// (with its own role) inside one shared server, dropped at cleanup, so tests
// run in parallel without seeing each other's rows.
//
// The server comes from, in order:
//  1. SEMINARHUB_TEST_POSTGRES_URL (a superuser URL), when set;
//  2. a testcontainers PostgreSQL (the image compose.yaml runs), when a
//     Docker engine answers;
//  3. the project's private local instance (scripts/stack.sh test-postgres),
//     installed and started on demand — also when the engine answers but
//     the image cannot be had, which the tests then say on stderr.
//
// All three are real servers; nothing here mocks PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "SEMINARHUB_TEST_POSTGRES_URL"

// Image is the PostgreSQL image of compose.yaml (a test keeps them equal),
// so tests and the compose stack run the same server.
const Image = "postgres:15.20-bookworm"

// Label marks the containers these tests start, for scripts/test.sh to
// remove when Ryuk (testcontainers' reaper, itself an image) is not there.
const Label = "org.seminarhub.test"

var (
	adminOnce sync.Once
	adminURL  string
	adminErr  error
)

// AdminURL returns a superuser URL for the test server, starting one if
// needed. It is shared by every test in the process.
func AdminURL(t testing.TB) string {
	t.Helper()
	u, err := Admin()
	if err != nil {
		t.Fatalf("no PostgreSQL for tests: %v", err)
	}
	return u
}

func findServer() (string, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, nil
	}
	if DockerAnswers() {
		u, err := fromTestcontainers()
		if err == nil {
			return u, nil
		}
		fmt.Fprintf(os.Stderr, "pgtest: a Docker engine answers, but testcontainers could not start %s (%v); "+
			"using the private local PostgreSQL instead\n", Image, err)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "stack.sh"), "test-postgres")
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = time.Minute
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/stack.sh test-postgres: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func fromTestcontainers() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := tcpostgres.Run(ctx, Image,
		tcpostgres.WithUsername("postgres"), tcpostgres.WithPassword("postgres"),
		// Throwaway data: durability buys nothing, speed does.
		testcontainers.WithCmdArgs("-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"),
		testcontainers.WithLabels(map[string]string{Label: "pgtest"}),
		OnLoopback("5432/tcp", 0),
		tcpostgres.BasicWaitStrategies())
	if err != nil {
		if c != nil {
			_ = c.Terminate(context.Background())
		}
		return "", err
	}
	return c.ConnectionString(ctx, "sslmode=disable")
}

// DockerAnswers says whether a Docker engine answers `docker info`.
//
// When it does over the local socket, containers' published ports are on
// this machine's loopback. testcontainers would otherwise dial the default
// gateway whenever /.dockerenv exists (it takes itself to run inside a
// container, as it does on our machines), which is neither right nor
// allowed here; TESTCONTAINERS_HOST_OVERRIDE, when set, still wins.
func DockerAnswers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if exec.CommandContext(ctx, "docker", "info").Run() != nil {
		return false
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && (os.Getenv("DOCKER_HOST") == "" || strings.HasPrefix(os.Getenv("DOCKER_HOST"), "unix://")) {
		_ = os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	return true
}

// OnLoopback publishes a container's exposed ports on 127.0.0.1 only (at
// hostPort when given, else a free one), never on every interface.
func OnLoopback(port string, hostPort int) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
		hp := "0"
		if hostPort > 0 {
			hp = strconv.Itoa(hostPort)
		}
		hc.PortBindings = network.PortMap{network.MustParsePort(port): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hp}}}
	})
}

// RepoRoot finds the directory holding go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.work not found above the working directory")
		}
		dir = parent
	}
}

var seq atomic.Int64

// NewDatabase creates an empty database owned by a new role and returns the
// role's URL. Both are dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dsn, drop, err := CreateDatabase(context.Background(), AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return dsn
}

// Admin is AdminURL for code without a testing.TB (TestMain).
func Admin() (string, error) {
	adminOnce.Do(func() { adminURL, adminErr = findServer() })
	return adminURL, adminErr
}

// CreateDatabase makes a database and a role that owns it on the server at
// admin; drop removes both.
func CreateDatabase(ctx context.Context, admin string) (dsn string, drop func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to test server: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := fmt.Sprintf("t_%d_%s", seq.Add(1), hex.EncodeToString(b[:]))
	password := hex.EncodeToString(b[:]) + "pw"
	for _, stmt := range []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s'`, name, password),
		fmt.Sprintf(`CREATE DATABASE %s OWNER %s`, name, name),
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return "", nil, fmt.Errorf("%s: %w", stmt, err)
		}
	}
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer func() { _ = conn.Close(context.Background()) }()
		_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
		_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP ROLE IF EXISTS %s`, name))
	}
	u, err := url.Parse(admin)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("parse admin URL: %w", err)
	}
	u.User = url.UserPassword(name, password)
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Counter is a pgx tracer that counts the statements a pool sends, to show
// that an endpoint's query count does not grow with the data.
type Counter struct{ n atomic.Int64 }

// TraceQueryStart implements pgx.QueryTracer.
func (c *Counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *Counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Reset sets the count to zero.
func (c *Counter) Reset() { c.n.Store(0) }

// Count returns the statements sent since the last Reset.
func (c *Counter) Count() int64 { return c.n.Load() }

// Migrated creates a fresh database, applies migrations to it and returns a
// pool on it (closed at cleanup). Extra tracers see every statement.
func Migrated(t testing.TB, migrations postgres.Migrations, tracers ...pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	dsn := NewDatabase(t)
	ctx := context.Background()
	pool, err := postgres.Open(ctx, dsn, 50, tracers...)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool, migrations, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return pool
}

// Warm opens n connections one after another and returns them to the pool
// idle, so that a test racing n goroutines measures the rule under test and
// not n simultaneous SCRAM handshakes, which on a loaded CI machine can
// outlast the pool's connect timeout.
func Warm(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	conns := make([]*pgxpool.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range n {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatalf("warm the pool (%d of %d connections open): %v", len(conns), n, err)
		}
		conns = append(conns, c)
	}
}

// ComposeImage returns the image compose.yaml names for repository (e.g.
// "postgres"), so tests can keep their images equal to it.
func ComposeImage(t testing.TB, repository string) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if ref, ok := strings.CutPrefix(strings.TrimSpace(line), "image: "+repository+":"); ok {
			return repository + ":" + ref
		}
	}
	t.Fatalf("compose.yaml names no %s image", repository)
	return ""
}
