package cache_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/testkit/redistest"
)

var entry = cache.Entry{Key: "test:value", Gen: "test:gen"}

func newCache(t *testing.T) (*cache.Cache, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	rdb, err := cache.Open(srv.URL, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return cache.New(rdb, "test", slog.New(slog.DiscardHandler)), srv
}

func loader(calls *atomic.Int64, value string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		calls.Add(1)
		return []byte(value), nil
	}
}

func load(t *testing.T, c *cache.Cache, calls *atomic.Int64, value string) (string, cache.Status) {
	t.Helper()
	v, o, err := c.Load(context.Background(), "test", entry, time.Minute, loader(calls, value))
	if err != nil {
		t.Fatal(err)
	}
	return string(v), o.Status
}

func TestAMissIsStoredAndThenServedAsAHit(t *testing.T) {
	c, _ := newCache(t)
	var calls atomic.Int64
	if v, s := load(t, c, &calls, "one"); v != "one" || s != cache.Miss {
		t.Fatalf("first: %q %s", v, s)
	}
	if v, s := load(t, c, &calls, "two"); v != "one" || s != cache.Hit || calls.Load() != 1 {
		t.Fatalf("second: %q %s after %d loads", v, s, calls.Load())
	}
}

func TestInvalidateMakesTheNextReadFresh(t *testing.T) {
	c, _ := newCache(t)
	var calls atomic.Int64
	load(t, c, &calls, "old")
	c.Invalidate(context.Background(), entry.Gen)
	if v, s := load(t, c, &calls, "new"); v != "new" || s != cache.Miss {
		t.Fatalf("after invalidate: %q %s", v, s)
	}
}

// Redis may evict a generation key (allkeys-lru) or let it expire. A new
// generation must never be one some stored value already carries: with a
// counter, "evicted, then bumped once" came back to the version of the
// value stored before the eviction.
func TestAnEvictedGenerationNeverMakesAnOldValueCurrent(t *testing.T) {
	for _, key := range []string{entry.Gen, "test:epoch"} {
		t.Run(key, func(t *testing.T) {
			c, srv := newCache(t)
			rdb := srv.Client(t)
			var calls atomic.Int64
			load(t, c, &calls, "v1")
			c.Invalidate(context.Background(), entry.Gen)
			load(t, c, &calls, "v2") // stored under the current generation
			if err := rdb.Del(context.Background(), key).Err(); err != nil {
				t.Fatal(err)
			}
			c.Invalidate(context.Background(), entry.Gen) // the data changed again
			if v, s := load(t, c, &calls, "v3"); v != "v3" || s != cache.Miss {
				t.Fatalf("after %s was evicted and a write: served %q (%s)", key, v, s)
			}
			if v, s := load(t, c, &calls, "v4"); v != "v3" || s != cache.Hit {
				t.Fatalf("the fresh value is not cached: %q (%s)", v, s)
			}
		})
	}
}

// The classic race: a slow reader loads the old value, a writer commits and
// invalidates, then the reader stores what it loaded. That value must never
// be served.
func TestASlowReaderCannotRepopulateAStaleValue(t *testing.T) {
	c, _ := newCache(t)
	_, _, err := c.Load(context.Background(), "test", entry, time.Minute, func(ctx context.Context) ([]byte, error) {
		c.Invalidate(ctx, entry.Gen) // the writer commits while we were loading
		return []byte("stale"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	if v, s := load(t, c, &calls, "fresh"); v != "fresh" || s != cache.Miss {
		t.Fatalf("served %q (%s): the stale value survived", v, s)
	}
}

func TestConcurrentMissesLoadOnce(t *testing.T) {
	c, _ := newCache(t)
	// The generation exists (as it does after the first write), and the
	// load outlasts by far the time 50 goroutines need to reach it (each
	// first reads Redis, queueing for the pool's connections) even on a
	// loaded CI machine: a caller arriving after the shared load finished
	// would rightly start its own.
	c.Invalidate(context.Background(), entry.Gen)
	var calls atomic.Int64
	slow := func(context.Context) ([]byte, error) {
		calls.Add(1)
		time.Sleep(2 * time.Second)
		return []byte("v"), nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, _, err := c.Load(context.Background(), "test", entry, time.Minute, slow); err != nil || string(v) != "v" {
				t.Errorf("%q %v", v, err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("loaded %d times for 50 concurrent misses", calls.Load())
	}
}

func TestLoadErrorsAreReturnedAndNotCached(t *testing.T) {
	c, _ := newCache(t)
	boom := errors.New("db down")
	if _, _, err := c.Load(context.Background(), "test", entry, time.Minute, func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	var calls atomic.Int64
	if v, s := load(t, c, &calls, "ok"); v != "ok" || s != cache.Miss {
		t.Fatalf("%q %s", v, s)
	}
}

func TestLoadManyFetchesOnlyTheMisses(t *testing.T) {
	c, _ := newCache(t)
	entries := []cache.Entry{{Key: "k1", Gen: "g1"}, {Key: "k2", Gen: "g2"}, {Key: "k3", Gen: "g3"}}
	var asked [][]int
	loadAll := func(_ context.Context, missing []int) ([][]byte, error) {
		asked = append(asked, missing)
		out := make([][]byte, len(missing))
		for j, i := range missing {
			if i != 2 { // k3 does not exist
				out[j] = []byte(entries[i].Key)
			}
		}
		return out, nil
	}
	ctx := context.Background()
	if _, o, _ := c.LoadMany(ctx, "test", entries, time.Minute, loadAll); o.Status != cache.Miss {
		t.Fatalf("cold: %s", o.Status)
	}
	c.Invalidate(ctx, "g2")
	vals, _, err := c.LoadMany(ctx, "test", entries, time.Minute, loadAll)
	if err != nil || string(vals[0]) != "k1" || string(vals[1]) != "k2" || vals[2] != nil {
		t.Fatalf("vals %q err %v", vals, err)
	}
	if len(asked) != 2 || len(asked[1]) != 2 || asked[1][0] != 1 || asked[1][1] != 2 {
		t.Fatalf("second load asked for %v, want [1 2] (k2 invalidated, k3 never cached)", asked)
	}
}

func TestRedisDownMeansBypassAndItRecoversByItself(t *testing.T) {
	c, srv := newCache(t)
	var calls atomic.Int64
	load(t, c, &calls, "v")
	srv.Stop(t)
	start := time.Now()
	for i := 0; i < 20; i++ {
		if v, s := load(t, c, &calls, "db"); v != "db" || s != cache.Bypass {
			t.Fatalf("while down: %q %s", v, s)
		}
	}
	t.Logf("20 reads with Redis down took %s in all", time.Since(start))
	srv.Start(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, s := load(t, c, &calls, "back")
		if s != cache.Bypass {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still bypassing 5s after Redis returned")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, s := load(t, c, &calls, "back"); s != cache.Hit {
		t.Fatalf("after recovery: %s", s)
	}
}

// An invalidation lost while Redis did not answer must not let the value
// stored before it come back when Redis answers again.
func TestAnInvalidationLostDuringAnOutageRetiresEverything(t *testing.T) {
	c, srv := newCache(t)
	var calls atomic.Int64
	load(t, c, &calls, "before")
	admin := srv.Client(t)
	// Redis keeps its data but stops answering for a while.
	if err := admin.Do(context.Background(), "CLIENT", "PAUSE", "600", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	c.Invalidate(context.Background(), entry.Gen)
	// Until the pause is over and the breaker lets Redis be used again,
	// reads bypass; the first one that uses Redis must not find "before".
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		v, s := load(t, c, &calls, "after")
		if s == cache.Bypass && time.Now().Before(deadline) {
			continue
		}
		if v != "after" || s != cache.Miss {
			t.Fatalf("served %q (%s) after a lost invalidation, want a fresh load (MISS)", v, s)
		}
		break
	}
}
