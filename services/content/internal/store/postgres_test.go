package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
	"github.com/seminarhub/seminarhub/services/content/internal/store"
	"github.com/seminarhub/seminarhub/services/content/migrations"
	"github.com/seminarhub/seminarhub/testkit/concurrent"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

func newStore(t *testing.T) (*store.Postgres, *pgxpool.Pool, *pgtest.Counter) {
	t.Helper()
	counter := &pgtest.Counter{}
	pool := pgtest.Migrated(t, migrations.All, counter)
	return store.NewPostgres(pool), pool, counter
}

func activeCount(t *testing.T, pool *pgxpool.Pool, id int64) (counted, kept, capacity int) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM memberships WHERE seminar_id = $1 AND role = 'participant' AND is_active),
		       active_participants, capacity FROM seminars WHERE id = $1`, id).Scan(&counted, &kept, &capacity)
	if err != nil {
		t.Fatal(err)
	}
	return counted, kept, capacity
}

// The two 40-connection races run alone (no t.Parallel), before the
// parallel tests: 80 connections more beside a dozen pools of up to 50
// each would come close to the test server's max_connections (300).
func TestFortySimultaneousJoinsFillACapacityFiveSeminarExactly(t *testing.T) {
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 40)
	for round := 0; round < 5; round++ {
		s := create(t, st, int64(1000+round), 5)
		ok := concurrent.Race(t, 40, seminar.ErrFull, func(i int) error {
			return join(st, s.ID, participant(int64(round*100+i+1)), "participant")
		})
		counted, kept, _ := activeCount(t, pool, s.ID)
		if ok != 5 || counted != 5 || kept != 5 {
			t.Fatalf("round %d: %d joined (the other %d refused as full), %d active rows, counter %d; want 5, 5, 5", round, ok, 40-ok, counted, kept)
		}
	}
}

func TestCapacityCutsRacingJoinsNeverLeaveMoreActiveThanCapacity(t *testing.T) {
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 40)
	for round := 0; round < 5; round++ {
		owner := int64(2000 + round)
		s := create(t, st, owner, 10)
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(2)
			go func(user int64) { defer wg.Done(); _ = join(st, s.ID, participant(user), "participant") }(int64(round*100 + i + 1))
			go func(c int) { defer wg.Done(); _ = setCapacity(st, s.ID, instructor(owner), c) }(3 + i%5)
		}
		wg.Wait()
		counted, kept, capacity := activeCount(t, pool, s.ID)
		if counted > capacity || counted != kept {
			t.Fatalf("round %d: %d active (counter %d) with capacity %d", round, counted, kept, capacity)
		}
	}
}

func TestAnInstructorCreatingTwoSeminarsAtOnceGetsOnlyOne(t *testing.T) {
	t.Parallel()
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 5)
	for round := 0; round < 5; round++ {
		owner := int64(3000 + round)
		ok := concurrent.Race(t, 5, seminar.ErrAlreadyInCharge, func(int) error {
			s, _ := seminar.New(instructor(owner), input.Object{"name": []byte(`"X"`), "capacity": []byte("1"), "count": []byte("1"), "time": []byte(`"10:00"`)})
			_, err := st.Create(context.Background(), instructor(owner), s)
			return err
		})
		var charges int
		_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM memberships WHERE user_id = $1`, owner).Scan(&charges)
		if ok != 1 || charges != 1 {
			t.Fatalf("round %d: %d creates succeeded, %d memberships; want 1 and 1", round, ok, charges)
		}
	}
}

func TestJoiningTwoSeminarsAsInstructorAtOnceGivesOneCharge(t *testing.T) {
	t.Parallel()
	st, _, _ := newStore(t)
	a, b := create(t, st, 1, 5), create(t, st, 2, 5)
	newcomer := instructor(3)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []int64{a.ID, b.ID} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = join(st, id, newcomer, "instructor") }()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("want exactly one success, got %v and %v", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, seminar.ErrAlreadyInCharge) {
			t.Fatalf("loser got %v, want ErrAlreadyInCharge", err)
		}
	}
}

func TestTheSameUserJoiningTwiceAtOnceGetsOneMembership(t *testing.T) {
	t.Parallel()
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 10)
	s := create(t, st, 1, 50)
	if ok := concurrent.Race(t, 10, seminar.ErrAlreadyMember, func(int) error { return join(st, s.ID, participant(7), "participant") }); ok != 1 {
		t.Fatalf("%d joins succeeded, want 1", ok)
	}
	var n int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM memberships WHERE seminar_id = $1 AND user_id = 7`, s.ID).Scan(&n)
	if n != 1 {
		t.Fatalf("%d memberships, want 1", n)
	}
}

func TestTheSchemaRefusesOverbookingEvenWithoutTheDomainCheck(t *testing.T) {
	t.Parallel()
	st, pool, _ := newStore(t)
	s := create(t, st, 1, 1)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO memberships (seminar_id, user_id, role) VALUES ($1, 10, 'participant')`, s.ID); err != nil {
		t.Fatal(err)
	}
	_, err := pool.Exec(ctx, `INSERT INTO memberships (seminar_id, user_id, role) VALUES ($1, 11, 'participant')`, s.ID)
	if err == nil {
		t.Fatal("second participant of a capacity-1 seminar was accepted by the schema")
	}
	if _, err := pool.Exec(ctx, `UPDATE memberships SET is_active = false, dropped_at = now() WHERE user_id = 10`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE memberships SET is_active = true, dropped_at = NULL WHERE user_id = 10`); err == nil {
		t.Fatal("a dropped participant was reactivated")
	}
}

// The statement count of each read must not grow with the data it returns.
func TestReadsIssueAConstantNumberOfStatements(t *testing.T) {
	t.Parallel()
	st, _, counter := newStore(t)
	ctx := context.Background()
	measure := func(f func()) int64 { counter.Reset(); f(); return counter.Count() }

	one := create(t, st, 1, 100)
	listOne := measure(func() { _, _ = st.List(ctx, store.ListFilter{}) })
	getSmall := measure(func() { _, _ = st.Seminar(ctx, one.ID) })
	userSmall := measure(func() { _, _ = st.MembershipsOf(ctx, 1) })

	for i := int64(2); i <= 20; i++ {
		create(t, st, i, 100)
	}
	for u := int64(100); u < 130; u++ {
		if err := join(st, one.ID, participant(u), "participant"); err != nil {
			t.Fatal(err)
		}
	}
	listMany := measure(func() { _, _ = st.List(ctx, store.ListFilter{}) })
	getBig := measure(func() { _, _ = st.Seminar(ctx, one.ID) })
	userMany := measure(func() { _, _ = st.MembershipsOf(ctx, 100) })

	t.Logf("statements: list 1 seminar=%d, 20 seminars=%d; get 0 participants=%d, 30 participants=%d; user seminars=%d/%d",
		listOne, listMany, getSmall, getBig, userSmall, userMany)
	if listOne != listMany || getSmall != getBig || userSmall != userMany {
		t.Fatalf("statement count grows with data: list %d→%d, get %d→%d, user %d→%d", listOne, listMany, getSmall, getBig, userSmall, userMany)
	}
	if listMany > 2 || getBig > 2 || userMany > 1 {
		t.Fatalf("more statements than designed: list %d, get %d, user %d", listMany, getBig, userMany)
	}
}

// Input the HTTP layer failed to refuse is still classified as bad data
// (400 upstream), never as an outage or a bug.
func TestTextPostgreSQLCannotHoldIsBadData(t *testing.T) {
	t.Parallel()
	st, _, _ := newStore(t)
	name := "\xff"
	_, err := st.List(context.Background(), store.ListFilter{NameContains: &name})
	if err == nil || !postgres.BadData(err) || postgres.Unavailable(err) {
		t.Fatalf("err %v: BadData %v, Unavailable %v", err, postgres.BadData(err), postgres.Unavailable(err))
	}
}
