package pgtest

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

// A migration that needs a lock someone holds (here a long transaction
// that read the table) gives up after its lock_timeout instead of
// waiting: while it waits, every query on the table would queue behind
// it. The reads it let through meanwhile answered at once.
func TestAMigrationGivesUpOnABusyTableInsteadOfQueueingTraffic(t *testing.T) {
	ctx := context.Background()
	pool, err := postgres.Open(ctx, NewDatabase(t), 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE seminars (id int PRIMARY KEY); INSERT INTO seminars VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	long, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = long.Rollback(ctx) }()
	if _, err := long.Exec(ctx, `SELECT * FROM seminars`); err != nil {
		t.Fatal(err)
	}

	m := postgres.Migrations{
		SQL: fstest.MapFS{"00001_expand.sql": {Data: []byte(
			"-- +goose Up\nALTER TABLE seminars ADD COLUMN note text NOT NULL DEFAULT '';\n-- +goose Down\nALTER TABLE seminars DROP COLUMN note;\n")}},
		LockTimeout: 300 * time.Millisecond,
	}
	done := make(chan error, 1)
	go func() { done <- postgres.Migrate(ctx, pool, m, slog.New(slog.DiscardHandler)) }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the migration still waits for the lock after a minute")
	}
	if err == nil || !strings.Contains(err.Error(), "55P03") {
		t.Fatalf("the migration on a busy table: %v; want a lock timeout (55P03)", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM seminars`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("reading the table after the migration gave up: %d, %v", n, err)
	}
	if err := long.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, pool, m, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("the same migration once the table is quiet: %v", err)
	}
}
