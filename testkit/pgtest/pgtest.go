// Package pgtest gives each test its own freshly created PostgreSQL database
// (with its own role) inside one shared server, dropped at cleanup, so tests
// run in parallel without seeing each other's rows.
//
// The server comes from, in order:
//  1. SEMINARHUB_TEST_POSTGRES_URL (a superuser URL), when set;
//  2. a testcontainers PostgreSQL, when a Docker engine answers;
//  3. the project's private local instance (scripts/stack.sh test-postgres),
//     installed and started on demand.
//
// All three are real servers; nothing here mocks PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "SEMINARHUB_TEST_POSTGRES_URL"

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
	if dockerAnswers() {
		ctx := context.Background()
		c, err := tcpostgres.Run(ctx, "postgres:15-alpine",
			tcpostgres.WithUsername("postgres"), tcpostgres.WithPassword("postgres"),
			tcpostgres.BasicWaitStrategies())
		if err != nil {
			return "", fmt.Errorf("testcontainers: %w", err)
		}
		return c.ConnectionString(ctx, "sslmode=disable")
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

func dockerAnswers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "info").Run() == nil
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
func Migrated(t testing.TB, migrations fs.FS, tracers ...pgx.QueryTracer) *pgxpool.Pool {
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
