package cache_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
)

func loadDeps(t *testing.T, c *cache.Cache, value string) cache.Deps {
	t.Helper()
	var calls atomic.Int64
	_, o, err := c.Load(context.Background(), "test", entry, time.Minute, loader(&calls, value))
	if err != nil {
		t.Fatal(err)
	}
	return o.Deps
}

func TestDepsOfAnAnswerStayCurrentUntilAWriteReplacesAGeneration(t *testing.T) {
	c, _ := newCache(t)
	ctx := context.Background()
	deps := loadDeps(t, c, "v1")
	if len(deps) != 2 || deps[entry.Gen] == "" || deps["test:epoch"] == "" {
		t.Fatalf("deps %v, want the entry's generation and the epoch", deps)
	}
	if got := c.Current(ctx, deps); !got[0] {
		t.Fatal("deps read a moment ago are not current")
	}
	c.Invalidate(ctx, entry.Gen)
	if got := c.Current(ctx, deps); got[0] {
		t.Fatal("deps are still current after the write that retired them")
	}
}

func TestDepsOfAnEvictedGenerationAreNeverCurrentAgain(t *testing.T) {
	for _, key := range []string{entry.Gen, "test:epoch"} {
		t.Run(key, func(t *testing.T) {
			c, srv := newCache(t)
			ctx := context.Background()
			deps := loadDeps(t, c, "v1")
			if err := srv.Client(t).Del(ctx, key).Err(); err != nil {
				t.Fatal(err)
			}
			if got := c.Current(ctx, deps); got[0] {
				t.Fatal("deps current although a generation they name was evicted")
			}
			loadDeps(t, c, "v2") // recreates the generation with a new token
			if got := c.Current(ctx, deps); got[0] {
				t.Fatal("deps current again after their generation was recreated")
			}
		})
	}
}

func TestUnknownDepsAreNeverCurrentAndNothingIsWhileRedisIsDown(t *testing.T) {
	c, srv := newCache(t)
	ctx := context.Background()
	deps := loadDeps(t, c, "v1")
	if got := c.Current(ctx, nil, deps, cache.Deps{}); got[0] || !got[1] || !got[2] {
		t.Fatalf("Current(nil, deps, {}) = %v, want [false true true]", got)
	}
	srv.Kill()
	if got := c.Current(ctx, deps, cache.Deps{}); got[0] || got[1] {
		t.Fatalf("with Redis down Current = %v, want nothing current", got)
	}
}

func TestACollectorMergesThePartsAndIsUnknownIfOneIs(t *testing.T) {
	header := func(status, deps string, present bool) http.Header {
		h := http.Header{cache.Header: {status}}
		if present {
			h[cache.DepsHeader] = []string{deps}
		}
		return h
	}
	ctx, col := cache.Collect(context.Background())
	cache.Record(ctx, header("HIT", "a=1 b=2", true))
	cache.Record(ctx, header("MISS", "b=2 c=3", true))
	if got := col.Deps().String(); got != "a=1 b=2 c=3" || col.Status() != cache.Miss {
		t.Fatalf("merged %q (%s), want a=1 b=2 c=3 (MISS)", got, col.Status())
	}
	cache.Record(ctx, header("HIT", "", true)) // depends on nothing
	if col.Deps() == nil {
		t.Fatal("an answer depending on nothing made the composition unknown")
	}
	cache.Record(ctx, header("BYPASS", "", false))
	if col.Deps() != nil || col.Status() != cache.Bypass {
		t.Fatalf("a bypassed part left deps %v (%s), want unknown (BYPASS)", col.Deps(), col.Status())
	}
	if cache.ParseDeps("a=1 broken") != nil {
		t.Fatal("a malformed header parsed as known deps")
	}
}
