package pgtest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

// Rehearse runs every migration of m up, down and up again, one version
// at a time, on a fresh database that has data in it: after each up, the
// SQL seeds[version] (if any) adds rows, and it runs again after the
// second up. A down that cannot undo its up on real data, or an up that
// cannot run a second time, fails here — not during a rollback in
// production. The migrations run with their production timeouts.
func Rehearse(t *testing.T, m postgres.Migrations, seeds map[int64]string) {
	t.Helper()
	ctx := context.Background()
	pool, err := postgres.Open(ctx, NewDatabase(t), 5)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	log := slog.New(slog.DiscardHandler)
	versions, err := m.Versions(pool)
	if err != nil {
		t.Fatal(err)
	}
	seed := func(v int64) {
		if sql, ok := seeds[v]; ok {
			if _, err := pool.Exec(ctx, sql); err != nil {
				t.Fatalf("seeding version %d: %v", v, err)
			}
		}
	}
	var previous int64
	for _, v := range versions {
		if err := postgres.MigrateTo(ctx, pool, m, v, log); err != nil {
			t.Fatalf("up to %d: %v", v, err)
		}
		seed(v)
		if err := postgres.MigrateDownTo(ctx, pool, m, previous, log); err != nil {
			t.Fatalf("down from %d to %d, with data: %v", v, previous, err)
		}
		if err := postgres.MigrateTo(ctx, pool, m, v, log); err != nil {
			t.Fatalf("up to %d again after its down: %v", v, err)
		}
		seed(v)
		previous = v
	}
}
