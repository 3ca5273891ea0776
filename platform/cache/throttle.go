package cache

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
)

// Throttle lets an event for key happen at most perMinute times a minute
// (a burst of perMinute, then one every minute/perMinute), counted in Redis
// so every replica shares the count (GCRA, github.com/go-redis/redis_rate).
// When it refuses, retryAfter says when the next event would be allowed.
//
// While Redis is unreachable everything is allowed: a throttle is a brake
// on abuse, not a gate the service stops at (the edge's per-address limits
// still hold).
func (c *Cache) Throttle(ctx context.Context, key string, perMinute int) (allowed bool, retryAfter time.Duration) {
	if !c.usable(ctx) {
		return true, 0
	}
	res, err := c.limiter.Allow(ctx, c.throttleKey(key), redis_rate.PerMinute(perMinute))
	if err != nil {
		if ctx.Err() == nil {
			c.failed(ctx, "throttle", err)
		}
		return true, 0
	}
	return res.Allowed > 0, res.RetryAfter
}

// ResetThrottle forgets the events counted for key.
func (c *Cache) ResetThrottle(ctx context.Context, key string) {
	if !c.usable(ctx) {
		return
	}
	if err := c.limiter.Reset(context.WithoutCancel(ctx), c.throttleKey(key)); err != nil {
		c.failed(ctx, "throttle reset", err)
	}
}

func (c *Cache) throttleKey(key string) string { return c.namespace + ":throttle:" + key }
