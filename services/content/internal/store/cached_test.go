package store_test

import (
	"context"
	"testing"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/services/content/internal/store"
	"github.com/seminarhub/seminarhub/testkit/redistest"
)

// What only the cached store does: report how each read was served, so the
// gateway can keep a composed answer exactly as long as its parts hold.

func outcomeOf(t *testing.T, read func(ctx context.Context) error) cache.Outcome {
	t.Helper()
	ctx, col := cache.Collect(context.Background())
	if err := read(ctx); err != nil {
		t.Fatal(err)
	}
	return col.Outcome()
}

func TestASecondReadIsAHitReadUnderTheSameGenerations(t *testing.T) {
	t.Parallel()
	st := cached(t, redistest.Start(t).URL)
	s := create(t, st, 1, 5)
	seminar := func(ctx context.Context) error { _, err := st.Seminar(ctx, s.ID); return err }
	first, second := outcomeOf(t, seminar), outcomeOf(t, seminar)
	if first.Status != cache.Miss || second.Status != cache.Hit {
		t.Fatalf("statuses %s then %s, want MISS then HIT", first.Status, second.Status)
	}
	if first.Deps.String() != second.Deps.String() || len(second.Deps) != 2 {
		t.Fatalf("deps %v then %v, want the same epoch and seminar generation", first.Deps, second.Deps)
	}
}

func TestAWriteRetiresTheGenerationsItsReadsReported(t *testing.T) {
	t.Parallel()
	st := cached(t, redistest.Start(t).URL)
	s := create(t, st, 1, 5)
	all := func(ctx context.Context) error { _, err := st.List(ctx, store.ListFilter{}); return err }
	before := outcomeOf(t, all)
	if err := join(st, s.ID, participant(5), "participant"); err != nil {
		t.Fatal(err)
	}
	after := outcomeOf(t, all)
	if after.Status != cache.Miss || after.Deps.String() == before.Deps.String() {
		t.Fatalf("after a join the list was %s under %v (before: %v)", after.Status, after.Deps, before.Deps)
	}
}

func TestASearchByNameIsNeverCached(t *testing.T) {
	t.Parallel()
	st := cached(t, redistest.Start(t).URL)
	create(t, st, 1, 5)
	q := "s"
	for range 2 {
		got := outcomeOf(t, func(ctx context.Context) error {
			_, err := st.List(ctx, store.ListFilter{NameContains: &q})
			return err
		})
		if got.Status != cache.Bypass || got.Deps != nil {
			t.Fatalf("search served %s with deps %v, want BYPASS and none", got.Status, got.Deps)
		}
	}
}

func TestWithRedisDownEveryReadComesFromTheDatabase(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	st := cached(t, r.URL)
	s := create(t, st, 1, 5)
	r.Stop(t)
	got := outcomeOf(t, func(ctx context.Context) error {
		sem, err := st.Seminar(ctx, s.ID)
		if err == nil && sem.ID != s.ID {
			t.Errorf("read seminar %d, want %d", sem.ID, s.ID)
		}
		return err
	})
	if got.Status != cache.Bypass || got.Deps != nil {
		t.Fatalf("served %s with deps %v, want BYPASS and none", got.Status, got.Deps)
	}
}
