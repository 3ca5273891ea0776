package cache

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limit is a budget of events: Burst at once, then Rate more every Period.
// Budgets are counted in the shared Redis with GCRA
// (github.com/go-redis/redis_rate), so every replica spends from the same
// one.
type Limit = redis_rate.Limit

// PerMinute is a budget of n events at once, then n a minute.
func PerMinute(n int) Limit { return redis_rate.PerMinute(n) }

// PerHour is a budget of n events at once, then n an hour.
func PerHour(n int) Limit { return redis_rate.PerHour(n) }

// Spend counts one event against key's budget. When the budget is spent it
// refuses, and retryAfter says when the next event would be allowed.
//
// While Redis is unreachable everything is allowed: a budget is a brake on
// abuse, not a gate the service stops at (the edge's per-address limits
// still hold).
func (c *Cache) Spend(ctx context.Context, key string, limit Limit) (allowed bool, retryAfter time.Duration) {
	if !c.usable(ctx) {
		return true, 0
	}
	res, err := c.limiter.Allow(ctx, c.throttleKey(key), limit)
	if err != nil {
		c.throttleFailed(ctx, "throttle", err)
		return true, 0
	}
	return res.Allowed > 0, res.RetryAfter
}

// Left reports whether key's budget still holds one event, spending
// nothing; when it does not, retryAfter says when it will.
func (c *Cache) Left(ctx context.Context, key string, limit Limit) (allowed bool, retryAfter time.Duration) {
	if !c.usable(ctx) {
		return true, 0
	}
	// A cost of 0 only reads the budget.
	res, err := c.limiter.AllowN(ctx, c.throttleKey(key), limit, 0)
	if err != nil {
		c.throttleFailed(ctx, "throttle", err)
		return true, 0
	}
	if res.Remaining >= 1 {
		return true, 0
	}
	// ResetAfter is when the whole burst is back; one event is back
	// Burst-1 emission intervals sooner.
	interval := limit.Period / time.Duration(limit.Rate)
	return false, max(0, res.ResetAfter-time.Duration(limit.Burst-1)*interval)
}

// lockScript locks KEYS[1] for ARGV[1] ms × 2^(lockouts so far), at most
// ARGV[2] ms; the count of lockouts (KEYS[2]) is forgotten ARGV[3] ms after
// the last one. A key already locked stays as it is: concurrent refusals
// of one lockout count once.
var lockScript = redis.NewScript(`
local left = redis.call("PTTL", KEYS[1])
if left > 0 then return left end
local strikes = redis.call("INCR", KEYS[2])
redis.call("PEXPIRE", KEYS[2], ARGV[3])
local ms = tonumber(ARGV[1]) * 2 ^ (strikes - 1)
if ms > tonumber(ARGV[2]) then ms = tonumber(ARGV[2]) end
ms = math.max(1, math.floor(ms))
redis.call("SET", KEYS[1], strikes, "PX", ms)
return ms
`)

// Lock locks key, or reports the lock it is under. Each lockout of key
// lasts twice the one before — first, 2×first, 4×first… at most longest —
// as long as the previous one was less than memory ago. Forget ends the
// series. Redis unreachable: nothing is locked.
func (c *Cache) Lock(ctx context.Context, key string, first, longest, memory time.Duration) time.Duration {
	if !c.usable(ctx) {
		return 0
	}
	ms, err := lockScript.Run(ctx, c.rdb, []string{c.lockKey(key), c.strikesKey(key)},
		first.Milliseconds(), longest.Milliseconds(), memory.Milliseconds()).Int64()
	if err != nil {
		c.throttleFailed(ctx, "lock", err)
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// Locked returns how much longer key is locked (0: it is not).
func (c *Cache) Locked(ctx context.Context, key string) time.Duration {
	if !c.usable(ctx) {
		return 0
	}
	left, err := c.rdb.PTTL(ctx, c.lockKey(key)).Result()
	if err != nil {
		c.throttleFailed(ctx, "lock", err)
		return 0
	}
	return max(0, left)
}

// Forget forgets key's budget, its lock and its lockouts.
func (c *Cache) Forget(ctx context.Context, key string) {
	if !c.usable(ctx) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	err := c.limiter.Reset(ctx, c.throttleKey(key))
	if err == nil {
		err = c.rdb.Del(ctx, c.lockKey(key), c.strikesKey(key)).Err()
	}
	if err != nil {
		c.throttleFailed(ctx, "throttle reset", err)
	}
}

func (c *Cache) throttleFailed(ctx context.Context, op string, err error) {
	if ctx.Err() == nil {
		c.failed(ctx, op, err)
	}
}

func (c *Cache) throttleKey(key string) string { return c.namespace + ":throttle:" + key }
func (c *Cache) lockKey(key string) string     { return c.namespace + ":lock:" + key }
func (c *Cache) strikesKey(key string) string  { return c.namespace + ":lockouts:" + key }
