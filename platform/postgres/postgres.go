// Package postgres opens pgx pools the same way in every service (tracing,
// bounded timeouts), runs a service's embedded migrations, wraps work in
// transactions with retry, and classifies errors so that handlers can tell a
// broken rule (4xx) from an unreachable database (503).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/seminarhub/seminarhub/platform/problem"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// ParseConfig validates a DSN and applies the defaults every pool wants. A
// missing connect_timeout would let a request hang on an unreachable server.
func ParseConfig(dsn string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 3*time.Second {
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	cfg.HealthCheckPeriod = 5 * time.Second
	return cfg, nil
}

// Open creates a pool. It does not wait for the server: a service starts and
// reports not-ready while PostgreSQL is down, then recovers by itself.
// Extra tracers (a statement counter in tests) run beside the OTel one.
func Open(ctx context.Context, dsn string, maxConns int32, extra ...pgx.QueryTracer) (*pgxpool.Pool, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	tracers := append([]pgx.QueryTracer{otelpgx.NewTracer(otelpgx.WithIncludeQueryParameters()), newStatementCounter()}, extra...)
	cfg.ConnConfig.Tracer = multitracer.New(tracers...)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// The pool's own numbers (connections in use of the maximum, waits for
	// one) are what the saturation alerts and graphs read.
	if err := otelpgx.RecordStats(pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Migrations are a service's schema history: versioned SQL files at the
// root of SQL and, for the steps SQL cannot express (data computed with Go
// libraries), Go migrations (goose.NewGoMigration) numbered among them.
// Go migrations get the logger, to report what they found.
type Migrations struct {
	SQL fs.FS
	Go  func(log *slog.Logger) []*goose.Migration
	// LockTimeout and StatementTimeout bound every statement of every
	// migration (defaults DefaultMigrationLockTimeout and
	// DefaultMigrationStatementTimeout).
	LockTimeout, StatementTimeout time.Duration
}

// A migration that waits for a lock makes every query behind it wait too:
// an ALTER TABLE queued behind one long transaction stops all traffic on
// the table. So a migration gives up after a short wait and fails — the
// deploy stops, and is run again when the table is quiet — and no single
// statement runs long enough to hold a lock for minutes.
const (
	DefaultMigrationLockTimeout      = 3 * time.Second
	DefaultMigrationStatementTimeout = 5 * time.Minute
)

// Migrate applies m.
func Migrate(ctx context.Context, pool *pgxpool.Pool, m Migrations, log *slog.Logger) error {
	return MigrateTo(ctx, pool, m, math.MaxInt64, log)
}

// MigrateTo applies m up to and including version: a test can put data in
// an earlier schema and watch a later migration meet it.
func MigrateTo(ctx context.Context, pool *pgxpool.Pool, m Migrations, version int64, log *slog.Logger) error {
	return m.step(pool, log, "applied", func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.UpTo(ctx, version) })
}

// MigrateDownTo undoes the migrations of m above version, newest first.
func MigrateDownTo(ctx context.Context, pool *pgxpool.Pool, m Migrations, version int64, log *slog.Logger) error {
	return m.step(pool, log, "undone", func(p *goose.Provider) ([]*goose.MigrationResult, error) { return p.DownTo(ctx, version) })
}

// step runs migrations one way and logs each one it ran.
func (m Migrations) step(pool *pgxpool.Pool, log *slog.Logger, done string, run func(*goose.Provider) ([]*goose.MigrationResult, error)) error {
	p, closeDB, err := m.provider(pool, log)
	if err != nil {
		return err
	}
	defer closeDB()
	results, err := run(p)
	for _, r := range results {
		log.Info("migration "+done, "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration.String())
	}
	if err != nil {
		return fmt.Errorf("migrations (%s so far: %d): %w", done, len(results), err)
	}
	return nil
}

func (m Migrations) provider(pool *pgxpool.Pool, log *slog.Logger) (*goose.Provider, func(), error) {
	lockTimeout, statementTimeout := m.LockTimeout, m.StatementTimeout
	if lockTimeout <= 0 {
		lockTimeout = DefaultMigrationLockTimeout
	}
	if statementTimeout <= 0 {
		statementTimeout = DefaultMigrationStatementTimeout
	}
	// Connections of their own, with the timeouts in their session: they
	// hold for every statement goose and the Go migrations run.
	cc := pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(statementTimeout.Milliseconds(), 10)
	db := stdlib.OpenDB(*cc)
	closeDB := func() { _ = db.Close() }
	// Several replicas may start at once (init containers): an advisory
	// lock lets one apply the migrations while the others wait, then find
	// nothing left to do.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if m.Go != nil {
		opts = append(opts, goose.WithGoMigrations(m.Go(log)...))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, m.SQL, opts...)
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, closeDB, nil
}

// Versions lists the versions of m, oldest first.
func (m Migrations) Versions(pool *pgxpool.Pool) ([]int64, error) {
	p, closeDB, err := m.provider(pool, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer closeDB()
	var versions []int64
	for _, s := range p.ListSources() {
		versions = append(versions, s.Version)
	}
	return versions, nil
}

// Tx runs fn in a transaction and commits it. Deadlocks and serialization
// failures are retried a few times with a fresh transaction, as PostgreSQL
// asks callers to do; fn must therefore be safe to run again.
func Tx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = pgx.BeginTxFunc(ctx, pool, opts, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// ConstraintViolated reports whether err is a violation of the named
// constraint (unique, check or exclusion).
func ConstraintViolated(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.ConstraintName == constraint
}

// Unavailable reports whether err means the database could not be reached or
// did not answer in time, so the request should get 503, not 500.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		// A connection that died mid-query: the server went away.
		return true
	case pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// Class 08 (connection exception), 57P0x (server shutting down),
		// 53300 (too many connections).
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	return false
}

// Classify turns the errors of this adapter into the vocabulary the rest of
// the code speaks: an outage wraps problem.ErrUnavailable (503), a data
// exception becomes an invalid-input problem (400). Anything else — a domain
// error, a bug — passes through unchanged.
func Classify(err error) error {
	switch {
	case err == nil:
		return nil
	case BadData(err):
		return fmt.Errorf("%w: %w", problem.New(problem.Invalid, "invalid input"), err)
	case Unavailable(err):
		return fmt.Errorf("%w: %w", problem.ErrUnavailable, err)
	}
	return err
}

// BadData reports a data exception (SQLSTATE class 22: a character the
// encoding cannot hold, a value out of range, text that is not a number…).
// Input should never get this far — validation comes first — but when it
// does, it is still bad input, never a server error.
func BadData(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22")
}

// statementCounter exports the number of SQL statements sent as the metric
// db.client.statements, so "this request touched no database" can be seen
// from outside the process (and is, in the end-to-end tests).
type statementCounter struct{ n metric.Int64Counter }

func newStatementCounter() *statementCounter {
	n, _ := otel.Meter("github.com/seminarhub/seminarhub/platform/postgres").Int64Counter(
		"db.client.statements", metric.WithDescription("SQL statements sent to PostgreSQL"))
	return &statementCounter{n: n}
}

func (s *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(ctx, 1)
	return ctx
}

func (s *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
