package cache_test

import (
	"context"
	"testing"
	"time"
)

func TestAThrottleAllowsABurstThenRefusesWithTheWait(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if ok, _ := c.Throttle(ctx, "k", 5); !ok {
			t.Fatalf("attempt %d of a burst of 5 refused", i+1)
		}
	}
	ok, wait := c.Throttle(ctx, "k", 5)
	if ok || wait <= 0 || wait > 12*time.Second {
		t.Fatalf("sixth attempt: allowed %v, wait %s; want refused with a wait up to 12s", ok, wait)
	}
	if ok, _ := c.Throttle(ctx, "other", 5); !ok {
		t.Fatal("another key shares the count")
	}
}

func TestResettingAThrottleForgetsItsCount(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		c.Throttle(ctx, "k", 5)
	}
	c.ResetThrottle(ctx, "k")
	for i := 0; i < 5; i++ {
		if ok, _ := c.Throttle(ctx, "k", 5); !ok {
			t.Fatalf("attempt %d after a reset refused", i+1)
		}
	}
}

func TestAThrottleAllowsEverythingWhileRedisIsDown(t *testing.T) {
	c, srv := newCache(t)
	ctx := context.Background()
	srv.Kill()
	for i := 0; i < 20; i++ {
		if ok, _ := c.Throttle(ctx, "k", 5); !ok {
			t.Fatal("refused with Redis down")
		}
	}
}
