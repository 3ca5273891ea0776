// Package cache is seminarhub's cache-aside layer over the shared Redis.
//
// Consistency model: every cached value is stored together with the
// generation ("version") of the data it was loaded from, and is served only
// while that generation is current. Writers bump the generation after their
// transaction commits (Invalidate). A reader reads the generation BEFORE it
// loads from the database, so a slow reader that loaded old data stores it
// under the old generation, where nobody will read it again: the classic
// "slow reader repopulates a stale value after the writer's delete" race
// cannot resurrect stale data. A client that reads after its own successful
// write always sees it (read-your-writes), because the bump happens before
// the write is answered.
//
// Redis is an optimisation, never a dependency: every call has a short
// timeout, and after a failure the cache is bypassed for a second (a circuit
// breaker), so an unreachable Redis costs a request at most one timeout and
// then nothing. Invalidations missed while Redis was unreachable are made
// good by bumping a per-service epoch, which retires every stored value, as
// soon as Redis answers again.
package cache

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/singleflight"
)

// Status says where an answer came from; it is sent as X-Cache.
type Status string

// The three cache outcomes.
const (
	Hit    Status = "HIT"
	Miss   Status = "MISS"
	Bypass Status = "BYPASS"
)

// Header is the response header carrying a Status.
const Header = "X-Cache"

const (
	// genTTL outlives every value TTL, so a generation is not replaced
	// for want of use while a value stored under it can still be read.
	genTTL     = 24 * time.Hour
	epochTTL   = 30 * 24 * time.Hour
	breakerFor = time.Second
	// loadTimeout bounds a shared load (see Load).
	loadTimeout = 10 * time.Second
)

// Open connects to Redis at url (redis://host:port/db) with timeouts short
// enough that a dead Redis cannot slow a request noticeably. An empty url
// disables caching (nil client).
func Open(url string, timeout time.Duration) (*redis.Client, error) {
	if url == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = timeout, timeout, timeout, timeout
	// Retries would multiply the worst-case wait: one attempt, then the
	// breaker takes over.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.ContextTimeoutEnabled = true
	rdb := redis.NewClient(opts)
	// The caller's file and line (a stack walk) and the statement text (the
	// command with every key) are computed for every command, traced or
	// not: together ~6 % of a remembered answer's CPU in the gateway's
	// profile. The span's name still says which command it was.
	if err := redisotel.InstrumentTracing(rdb, redisotel.WithCallerEnabled(false), redisotel.WithDBStatement(false)); err != nil {
		return nil, err
	}
	return rdb, nil
}

// Entry addresses one cached value and the generation counter guarding it.
type Entry struct {
	Key string // where the value lives, e.g. "content:seminars:v1:newest"
	Gen string // its generation counter, e.g. "content:seminars:gen"
}

// Cache is one service's view of the shared Redis.
type Cache struct {
	rdb       redis.UniversalClient
	log       *slog.Logger
	namespace string

	downUntil  atomic.Int64 // unix nanoseconds; Redis is skipped until then
	epochDirty atomic.Bool  // an invalidation was lost; bump the epoch first
	flights    singleflight.Group
	limiter    *redis_rate.Limiter // the budgets of Spend and Left

	requests metric.Int64Counter
	failures metric.Int64Counter
}

// New returns a cache for the service namespace ("content", "user",
// "gateway"). rdb may be nil: then every call bypasses.
func New(rdb redis.UniversalClient, namespace string, log *slog.Logger) *Cache {
	meter := otel.Meter("github.com/seminarhub/seminarhub/platform/cache")
	requests, _ := meter.Int64Counter("cache.requests", metric.WithDescription("cache lookups by result (hit, miss, bypass)"))
	failures, _ := meter.Int64Counter("cache.redis.failures", metric.WithDescription("Redis calls that failed or timed out"))
	c := &Cache{rdb: rdb, log: log, namespace: namespace, requests: requests, failures: failures}
	if rdb != nil {
		c.limiter = redis_rate.NewLimiter(rdb)
	}
	return c
}

func (c *Cache) epochKey() string { return c.Key("epoch") }

// Key names something in this cache's namespace: Key("seminar", "7") is
// "content:seminar:7" in the content service's cache.
func (c *Cache) Key(parts ...string) string {
	return c.namespace + ":" + strings.Join(parts, ":")
}

func (c *Cache) count(ctx context.Context, name string, s Status, n int) {
	c.requests.Add(ctx, int64(n), metric.WithAttributes(attribute.String("cache", name), attribute.String("result", strings.ToLower(string(s)))))
}

// usable reports whether Redis should be tried now, first retiring every
// stored value if an invalidation was lost while it was unreachable.
func (c *Cache) usable(ctx context.Context) bool {
	if c.rdb == nil || time.Now().UnixNano() < c.downUntil.Load() {
		return false
	}
	if c.epochDirty.Load() {
		if err := c.rdb.Set(ctx, c.epochKey(), newToken(), epochTTL).Err(); err != nil {
			c.failed(ctx, "bump epoch", err)
			return false
		}
		c.epochDirty.Store(false)
		c.log.InfoContext(ctx, "redis reachable again; cache epoch bumped to retire values that missed an invalidation")
	}
	return true
}

// failed opens the breaker. Only the transition is logged, not every request.
func (c *Cache) failed(ctx context.Context, op string, err error) {
	c.failures.Add(ctx, 1, metric.WithAttributes(attribute.String("op", op)))
	was := c.downUntil.Swap(time.Now().Add(breakerFor).UnixNano())
	if was < time.Now().UnixNano() {
		c.log.WarnContext(ctx, "redis unavailable; serving from the database", "op", op, "error", err.Error(), "retry_in", breakerFor.String())
	}
}

// get reads values and their validity in one round trip: the epoch, each
// entry's generation and each value. vals[i] is nil when missing or stale;
// versions[i] is the version a freshly loaded value must be stored under;
// deps are the generations (epoch included) every answer was read under.
//
// Generations are random tokens, never counters: a generation key that
// Redis evicted (allkeys-lru) or that expired is given a new token, so no
// value stored under an earlier one can ever match again. (A counter would
// restart at 0 and count back up to a version some stale value still
// carries.) Creating a missing token costs one more round trip, rarely.
func (c *Cache) get(ctx context.Context, entries []Entry) (vals [][]byte, versions []string, deps Deps, err error) {
	keys := make([]string, 0, 1+2*len(entries))
	keys = append(keys, c.epochKey())
	for _, e := range entries {
		keys = append(keys, e.Gen)
	}
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	res, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, nil, err
	}
	// gens[0] is the epoch, gens[1+i] the generation of entries[i].
	gens := make([]string, 1+len(entries))
	for i := range gens {
		gens[i], _ = res[i].(string)
	}
	if err := c.createMissing(ctx, keys[:len(gens)], gens); err != nil {
		return nil, nil, nil, err
	}
	deps = make(Deps, len(gens))
	for i, g := range gens {
		deps[keys[i]] = g
	}
	vals = make([][]byte, len(entries))
	versions = make([]string, len(entries))
	for i := range entries {
		versions[i] = gens[0] + "." + gens[1+i]
		stored, _ := res[1+len(entries)+i].(string)
		if v, payload, ok := strings.Cut(stored, "|"); ok && v == versions[i] {
			vals[i] = []byte(payload)
		}
	}
	return vals, versions, deps, nil
}

// createMissing gives every empty generation (gens[0] is the epoch) a
// fresh token in place, unless another process just did (SET NX GET, Redis
// 7.0 or later: the winner's token is used).
func (c *Cache) createMissing(ctx context.Context, keys, gens []string) error {
	var missing []int
	for i, g := range gens {
		if g == "" {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	pipe := c.rdb.Pipeline()
	cmds := make([]*redis.StatusCmd, len(missing))
	for j, i := range missing {
		ttl := genTTL
		if i == 0 {
			ttl = epochTTL
		}
		gens[i] = newToken()
		cmds[j] = pipe.SetArgs(ctx, keys[i], gens[i], redis.SetArgs{Mode: "NX", Get: true, TTL: ttl})
	}
	_, _ = pipe.Exec(ctx) // each command's own error is read below
	for j, i := range missing {
		switch prev, err := cmds[j].Result(); {
		case errors.Is(err, redis.Nil): // ours was set
		case err != nil:
			return err
		default: // another process set it first
			gens[i] = prev
		}
	}
	return nil
}

// newToken is a generation nobody has used: 128 random bits.
func newToken() string { return rand.Text() }

func (c *Cache) set(ctx context.Context, entries []Entry, versions []string, vals [][]byte, ttl time.Duration) {
	pipe := c.rdb.Pipeline()
	for i, e := range entries {
		if vals[i] != nil {
			pipe.Set(ctx, e.Key, versions[i]+"|"+string(vals[i]), ttl)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
		c.failed(ctx, "set", err)
	}
}

// Outcome says how an answer was served: Status for X-Cache, and the Deps
// it was read under (nil when Redis was bypassed) for whoever caches the
// answer further up (the gateway).
type Outcome struct {
	Status Status
	Deps   Deps
}

// SetHeaders reports the outcome on an internal answer: X-Cache, and
// X-Cache-Deps when the answer can be validated later.
func (o Outcome) SetHeaders(h http.Header) {
	h.Set(Header, string(o.Status))
	if o.Deps != nil {
		h.Set(DepsHeader, o.Deps.String())
	}
}

func bypass() Outcome { return Outcome{Status: Bypass} }

// Load returns the value of e, from Redis when current, otherwise from load
// (then stored for ttl). Concurrent misses of one entry in this process run
// load once (no stampede on a hot key).
func (c *Cache) Load(ctx context.Context, name string, e Entry, ttl time.Duration, load func(context.Context) ([]byte, error)) ([]byte, Outcome, error) {
	if !c.usable(ctx) {
		c.count(ctx, name, Bypass, 1)
		v, err := load(ctx)
		return v, bypass(), err
	}
	vals, versions, deps, err := c.get(ctx, []Entry{e})
	if err != nil && ctx.Err() != nil {
		// The client went away; that says nothing about Redis.
		return nil, bypass(), ctx.Err()
	}
	if err != nil {
		c.failed(ctx, "get", err)
		c.count(ctx, name, Bypass, 1)
		v, err := load(ctx)
		return v, bypass(), err
	}
	if vals[0] != nil {
		c.count(ctx, name, Hit, 1)
		return vals[0], Outcome{Hit, deps}, nil
	}
	c.count(ctx, name, Miss, 1)
	// The flight is keyed by version too: a caller that saw a newer
	// generation must not be handed a value loaded for an older one.
	v, err, _ := c.flights.Do(e.Key+"@"+versions[0], func() (any, error) {
		// Every waiter shares this load: it must not die with the first
		// caller's request if that client hangs up.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		data, err := load(lctx)
		if err != nil {
			return nil, err
		}
		c.set(lctx, []Entry{e}, versions, [][]byte{data}, ttl)
		return data, nil
	})
	if err != nil {
		return nil, Outcome{Status: Miss}, err
	}
	// Read before the load, so the value is at least as new as deps say.
	return v.([]byte), Outcome{Miss, deps}, nil
}

// LoadMany is Load for many entries in one Redis round trip: load receives
// the indexes that missed and returns their values in that order (nil for
// "does not exist", which is not cached).
func (c *Cache) LoadMany(ctx context.Context, name string, entries []Entry, ttl time.Duration, load func(ctx context.Context, missing []int) ([][]byte, error)) ([][]byte, Outcome, error) {
	all := func() ([][]byte, error) {
		idx := make([]int, len(entries))
		for i := range idx {
			idx[i] = i
		}
		return load(ctx, idx)
	}
	if len(entries) == 0 {
		return nil, Outcome{Hit, Deps{}}, nil
	}
	if !c.usable(ctx) {
		c.count(ctx, name, Bypass, len(entries))
		v, err := all()
		return v, bypass(), err
	}
	vals, versions, deps, err := c.get(ctx, entries)
	if err != nil && ctx.Err() != nil {
		return nil, bypass(), ctx.Err()
	}
	if err != nil {
		c.failed(ctx, "get", err)
		c.count(ctx, name, Bypass, len(entries))
		v, err := all()
		return v, bypass(), err
	}
	var missing []int
	for i, v := range vals {
		if v == nil {
			missing = append(missing, i)
		}
	}
	c.count(ctx, name, Hit, len(entries)-len(missing))
	if len(missing) == 0 {
		return vals, Outcome{Hit, deps}, nil
	}
	c.count(ctx, name, Miss, len(missing))
	loaded, err := load(ctx, missing)
	if err != nil {
		return nil, Outcome{Status: Miss}, err
	}
	if len(loaded) != len(missing) {
		return nil, Outcome{Status: Miss}, fmt.Errorf("cache: loader returned %d values for %d keys", len(loaded), len(missing))
	}
	fresh := make([][]byte, len(entries))
	for j, i := range missing {
		vals[i], fresh[i] = loaded[j], loaded[j]
	}
	c.set(ctx, entries, versions, fresh, ttl)
	return vals, Outcome{Miss, deps}, nil
}

// Prime stores value for e under its current generation and returns the
// generations it was stored under (nil when Redis was not used). Only for
// values that cannot be stale at this moment (the caller knows why);
// everything else goes through Load, which reads the generation before
// loading.
func (c *Cache) Prime(ctx context.Context, e Entry, ttl time.Duration, value []byte) Deps {
	if !c.usable(ctx) {
		return nil
	}
	_, versions, deps, err := c.get(ctx, []Entry{e})
	if err != nil {
		if ctx.Err() == nil {
			c.failed(ctx, "get", err)
		}
		return nil
	}
	c.set(ctx, []Entry{e}, versions, [][]byte{value}, ttl)
	return deps
}

// Invalidate bumps generations after a committed write, so that no value
// loaded before the write is served again. If Redis cannot be reached the
// loss is remembered and repaired (epoch bump) before Redis is used again.
func (c *Cache) Invalidate(ctx context.Context, gens ...string) {
	if c.rdb == nil || len(gens) == 0 {
		return
	}
	if time.Now().UnixNano() < c.downUntil.Load() {
		c.epochDirty.Store(true)
		return
	}
	// Detached from the request: a client that hangs up right after its
	// write must not leave the cache stale.
	ctx = context.WithoutCancel(ctx)
	pipe := c.rdb.Pipeline()
	for _, g := range gens {
		pipe.Set(ctx, g, newToken(), genTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.epochDirty.Store(true)
		c.failed(ctx, "invalidate", err)
	}
}

// Itoa formats ids for keys.
func Itoa(id int64) string { return strconv.FormatInt(id, 10) }
