package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
)

func TestABudgetAllowsABurstThenRefusesWithTheWait(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if ok, _ := c.Spend(ctx, "k", cache.PerMinute(5)); !ok {
			t.Fatalf("event %d of a burst of 5 refused", i+1)
		}
	}
	ok, wait := c.Spend(ctx, "k", cache.PerMinute(5))
	if ok || wait <= 0 || wait > 12*time.Second {
		t.Fatalf("sixth event: allowed %v, wait %s; want refused with a wait up to 12s", ok, wait)
	}
	if ok, _ := c.Spend(ctx, "other", cache.PerMinute(5)); !ok {
		t.Fatal("another key shares the budget")
	}
}

func TestLookingAtABudgetSpendsNothing(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	limit := cache.PerHour(3)
	for i := 0; i < 10; i++ {
		if ok, _ := c.Left(ctx, "k", limit); !ok {
			t.Fatalf("look %d at an untouched budget of 3: none left", i+1)
		}
	}
	for i := 0; i < 3; i++ {
		c.Spend(ctx, "k", limit)
	}
	ok, wait := c.Left(ctx, "k", limit)
	// One event of 3 an hour comes back every 20 minutes.
	if ok || wait < 19*time.Minute || wait > 20*time.Minute {
		t.Fatalf("after spending 3 of 3 an hour: left %v, wait %s; want none, back in ~20m", ok, wait)
	}
}

func TestForgettingABudgetGivesItBackWhole(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		c.Spend(ctx, "k", cache.PerMinute(5))
	}
	c.Forget(ctx, "k")
	for i := 0; i < 5; i++ {
		if ok, _ := c.Spend(ctx, "k", cache.PerMinute(5)); !ok {
			t.Fatalf("event %d after forgetting refused", i+1)
		}
	}
}

func TestEachLockoutLastsTwiceTheOneBeforeUpToTheLongest(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	const first, longest = 40 * time.Millisecond, 200 * time.Millisecond
	var got []time.Duration
	for i := 0; i < 5; i++ {
		got = append(got, c.Lock(ctx, "k", first, longest, time.Hour))
		waitUnlocked(t, c, "k")
	}
	want := []time.Duration{40, 80, 160, 200, 200}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("lockouts lasted %v; want %v ms", got, want)
		}
	}
}

func TestALockoutAlreadyOnIsNotCountedAgain(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	first := c.Lock(ctx, "k", time.Second, time.Hour, time.Hour)
	again := c.Lock(ctx, "k", time.Second, time.Hour, time.Hour)
	if first != time.Second || again <= 0 || again > time.Second {
		t.Fatalf("lock, lock again while on: %s, %s; want 1s, then what is left of it", first, again)
	}
	if left := c.Locked(ctx, "k"); left <= 0 || left > time.Second {
		t.Fatalf("Locked: %s; want what is left of the 1s lockout", left)
	}
	c.Forget(ctx, "k")
	if left := c.Locked(ctx, "k"); left != 0 {
		t.Fatalf("Locked after Forget: %s", left)
	}
	if next := c.Lock(ctx, "k", time.Second, time.Hour, time.Hour); next != time.Second {
		t.Fatalf("the first lockout after Forget lasts %s; want 1s again", next)
	}
}

func TestBudgetsAndLocksAllowEverythingWhileRedisIsDown(t *testing.T) {
	c, srv := newCache(t)
	ctx := context.Background()
	c.Lock(ctx, "locked", time.Hour, time.Hour, time.Hour)
	srv.Kill()
	for i := 0; i < 20; i++ {
		if ok, _ := c.Spend(ctx, "k", cache.PerMinute(5)); !ok {
			t.Fatal("Spend refused with Redis down")
		}
		if ok, _ := c.Left(ctx, "k", cache.PerMinute(5)); !ok {
			t.Fatal("Left refused with Redis down")
		}
	}
	if left := c.Locked(ctx, "locked"); left != 0 {
		t.Fatalf("locked for %s with Redis down", left)
	}
}

func waitUnlocked(t *testing.T, c *cache.Cache, key string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Locked(context.Background(), key) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the lock did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
