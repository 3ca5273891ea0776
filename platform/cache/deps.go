package cache

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DepsHeader carries an internal answer's Deps from a backend to the
// gateway, as "key=token key=token …".
const DepsHeader = "X-Cache-Deps"

// Deps are the generations an answer was read under: generation key →
// token. The answer is current exactly while every one of those keys still
// holds its token — every write that could change the answer replaces one
// (Invalidate), and a key Redis evicted reads as missing, which matches no
// token. A nil Deps means "unknown" (Redis was bypassed): such an answer
// can never be shown to be current. An empty, non-nil Deps depends on
// nothing.
//
// This is what lets a cache further up (the gateway keeps finished answers
// in memory) stay exactly as fresh as the services' own caches: it checks
// the tokens in one round trip instead of asking the services.
type Deps map[string]string

// Merge is the union of parts: what an answer composed of them depends on.
// Unknown if any part is.
func Merge(parts ...Deps) Deps {
	out := Deps{}
	for _, p := range parts {
		if p == nil {
			return nil
		}
		for k, v := range p {
			out[k] = v
		}
	}
	return out
}

// String is the header form, sorted so equal Deps print the same.
func (d Deps) String() string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(d[k])
	}
	return b.String()
}

// ParseDeps reads the header form; anything malformed is unknown (nil).
func ParseDeps(s string) Deps {
	d := Deps{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || v == "" {
			return nil
		}
		d[k] = v
	}
	return d
}

// A Collector gathers the Deps and X-Cache of every internal answer one
// composed answer is built from (see Collect).
type Collector struct {
	mu      sync.Mutex
	deps    Deps
	unknown bool
	status  Status
}

type collectorKey struct{}

// Collect returns a context whose internal calls record their answers'
// Deps into the returned Collector (internalapi.Client does, for every
// successful answer): an answer composed from several services depends on
// the union of what each part depended on.
func Collect(ctx context.Context) (context.Context, *Collector) {
	col := &Collector{deps: Deps{}}
	return context.WithValue(ctx, collectorKey{}, col), col
}

// Record adds one internal answer's headers to the context's Collector, if
// any. An answer without X-Cache-Deps makes the whole composition unknown.
func Record(ctx context.Context, h http.Header) {
	var d Deps
	if _, present := h[DepsHeader]; present { // present but empty: depends on nothing
		d = ParseDeps(h.Get(DepsHeader))
	}
	Report(ctx, Outcome{Status: Status(h.Get(Header)), Deps: d})
}

// Report adds how one read was served to the context's Collector, if any.
// A cached store reports here, so the HTTP layer can tell its callers how
// an answer was served without ever seeing a cache key. Nil Deps (a read
// that bypassed Redis) make the whole answer unknown.
func Report(ctx context.Context, o Outcome) {
	col, ok := ctx.Value(collectorKey{}).(*Collector)
	if !ok {
		return
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	col.status = worse(col.status, o.Status)
	if o.Deps == nil {
		col.unknown = true
		return
	}
	for k, v := range o.Deps {
		col.deps[k] = v
	}
}

// Outcome is everything recorded so far, as one answer's outcome.
func (col *Collector) Outcome() Outcome { return Outcome{Status: col.Status(), Deps: col.Deps()} }

// worse ranks outcomes for a composition: one bypassed part makes the
// whole a BYPASS, else one miss a MISS; only all hits are a HIT. A part
// that said nothing counts as a bypass.
func worse(a, b Status) Status {
	rank := map[Status]int{"": 0, Hit: 1, Miss: 2, Bypass: 3}
	if _, known := rank[b]; !known || b == "" {
		b = Bypass
	}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Status is how the parts recorded so far were served, worst first
// (HIT when nothing was recorded: nothing needed loading).
func (col *Collector) Status() Status {
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.status == "" {
		return Hit
	}
	return col.status
}

// Deps is the union recorded so far; nil if any part was unknown.
func (col *Collector) Deps() Deps {
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.unknown {
		return nil
	}
	return Merge(col.deps)
}

// Current reports, in one Redis round trip for all of them, whether each of
// deps still holds. Unknown (nil) Deps are never current; neither is
// anything while Redis is unreachable — the caller then does the work it
// hoped to skip.
func (c *Cache) Current(ctx context.Context, deps ...Deps) []bool {
	out := make([]bool, len(deps))
	if !c.usable(ctx) {
		return out
	}
	var keys []string
	index := map[string]int{}
	for _, d := range deps {
		for k := range d {
			if _, seen := index[k]; !seen {
				index[k] = len(keys)
				keys = append(keys, k)
			}
		}
	}
	var tokens []string
	if len(keys) > 0 {
		var ok bool
		if tokens, ok = c.Generations(ctx, keys...); !ok {
			return out
		}
	}
	for i, d := range deps {
		out[i] = d != nil
		for k, want := range d {
			if tokens[index[k]] != want {
				out[i] = false
				break
			}
		}
	}
	return out
}

// Keep stores value under key for ttl as it is, outside the generation
// scheme: for values whose validity the reader checks itself (say, with
// Deps stored inside and Current). Best effort, like everything here.
func (c *Cache) Keep(ctx context.Context, key string, value []byte, ttl time.Duration) {
	if !c.usable(ctx) {
		return
	}
	if err := c.rdb.Set(context.WithoutCancel(ctx), key, value, ttl).Err(); err != nil {
		c.failed(ctx, "keep", err)
	}
}

// Kept returns what Keep stored under key, if Redis has it.
func (c *Cache) Kept(ctx context.Context, key string) ([]byte, bool) {
	if !c.usable(ctx) {
		return nil, false
	}
	v, err := c.rdb.Get(ctx, key).Bytes()
	if err != nil {
		if !errors.Is(err, redis.Nil) && ctx.Err() == nil {
			c.failed(ctx, "kept", err)
		}
		return nil, false
	}
	return v, true
}

// Generations reads the current tokens of generation keys in one round
// trip ("" for a key Redis does not have); ok is false when Redis could
// not be asked.
func (c *Cache) Generations(ctx context.Context, keys ...string) (tokens []string, ok bool) {
	if !c.usable(ctx) || len(keys) == 0 {
		return nil, false
	}
	res, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		if ctx.Err() == nil {
			c.failed(ctx, "generations", err)
		}
		return nil, false
	}
	tokens = make([]string, len(res))
	for i, v := range res {
		tokens[i], _ = v.(string)
	}
	return tokens, true
}
