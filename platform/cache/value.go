package cache

import (
	"context"
	"encoding/json"
	"time"
)

// Value is Load for a Go value: stored as JSON, decoded on a hit, and how
// it was served reported to the context's Collector (see Report). A stored
// value that no longer decodes (another release stored another shape under
// the same key) is a miss, never an error: the value is loaded afresh.
func Value[T any](ctx context.Context, c *Cache, name string, e Entry, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	var v T
	loaded := false
	body, outcome, err := c.Load(ctx, name, e, ttl, func(ctx context.Context) ([]byte, error) {
		x, err := load(ctx)
		if err != nil {
			return nil, err
		}
		// Singleflight runs this in the caller that leads the flight: it
		// keeps its value, the waiters decode the bytes.
		v, loaded = x, true
		return json.Marshal(x)
	})
	if err != nil {
		return v, err
	}
	if loaded || json.Unmarshal(body, &v) == nil {
		Report(ctx, outcome)
		return v, nil
	}
	Report(ctx, bypass())
	return load(ctx)
}

// Values is LoadMany for Go values: out[i] is entries[i]'s value, nil when
// it does not exist. load receives the indexes that missed and returns
// their values in that order (nil for "does not exist", which is not
// cached).
func Values[T any](ctx context.Context, c *Cache, name string, entries []Entry, ttl time.Duration, load func(ctx context.Context, missing []int) ([]*T, error)) ([]*T, error) {
	loadAll := func(ctx context.Context) ([]*T, error) {
		all := make([]int, len(entries))
		for i := range all {
			all[i] = i
		}
		return load(ctx, all)
	}
	bodies, outcome, err := c.LoadMany(ctx, name, entries, ttl, func(ctx context.Context, missing []int) ([][]byte, error) {
		vals, err := load(ctx, missing)
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(vals))
		for i, v := range vals {
			if v == nil {
				continue
			}
			if out[i], err = json.Marshal(v); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(entries))
	for i, b := range bodies {
		if b == nil {
			continue
		}
		out[i] = new(T)
		if json.Unmarshal(b, out[i]) != nil {
			Report(ctx, bypass())
			return loadAll(ctx)
		}
	}
	Report(ctx, outcome)
	return out, nil
}
