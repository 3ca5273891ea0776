package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/problem"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// Cached resolves tokens through the shared cache in two steps, because the
// two facts change for different reasons:
//
//  1. token → user id never changes while the token lives; it is retired by
//     logout (a per-token generation).
//  2. user id → identity (profiles, accepted) changes when the user becomes a
//     participant or changes their password; that retires it for every token
//     of the user at once (a per-user generation).
//
// Resolved through Redis, a request costs two round trips and no call to
// the user service. On top of that, each replica remembers the identities
// it resolved, with the generations they were read under, and trusts one
// only after checking those generations in a single round trip
// (Authenticate) — the same round trip that checks a remembered answer.
//
// While the user service cannot answer (its database is down), a token this
// gateway resolved within the last staleFor is still honoured — if nothing
// that retires it (logout, a new password, a changed profile) happened
// since, which the same generations show: stale-if-error, so sessions keep
// reading what the caches can answer during an outage, and every write
// fails with 503 as it must.
type Cached struct {
	users    Identifier
	cache    *cache.Cache
	log      *slog.Logger
	ttl      time.Duration
	memory   *lru.Cache[string, remembered]
	maxAge   time.Duration
	staleFor time.Duration
}

// remembered is an identity this replica resolved, and what it depends on.
type remembered struct {
	id      userclient.Identity
	deps    cache.Deps
	at      time.Time
	staleAt time.Time // when its stale-if-error copy was last written
}

// NewCached wraps users with a cache whose Redis entries live at most ttl;
// up to size identities are also remembered in memory, each for at most
// maxAge (and never longer than ttl); a resolved identity stands in for
// an unreachable user service for up to staleFor.
func NewCached(users Identifier, c *cache.Cache, log *slog.Logger, ttl time.Duration, size int, maxAge, staleFor time.Duration) *Cached {
	memory, err := lru.New[string, remembered](size)
	if err != nil {
		panic(err) // only for size <= 0, which config validation rules out
	}
	return &Cached{users: users, cache: c, log: log, ttl: ttl, memory: memory, maxAge: min(maxAge, ttl), staleFor: staleFor}
}

// tokenHash names a token in Redis and in memory: never the token itself.
func tokenHash(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

func tokenEntry(token string) cache.Entry { return tokenEntryOf(tokenHash(token)) }

func tokenEntryOf(hash string) cache.Entry {
	return cache.Entry{Key: "gateway:token:" + hash, Gen: "gateway:token-gen:" + hash}
}

// Authenticate resolves token to an identity. When this replica remembers
// the token, also(userID) names the Deps of something else the caller
// wants checked (a remembered answer); the identity and that are checked
// together in one Redis round trip, and alsoCurrent reports the second.
// Otherwise the token is resolved through Identify and alsoCurrent is false.
func (c *Cached) Authenticate(ctx context.Context, token string, also func(userID int64) cache.Deps) (id userclient.Identity, alsoCurrent bool, err error) {
	h := tokenHash(token)
	if r, ok := c.memory.Get(h); ok && time.Since(r.at) <= c.maxAge {
		var other cache.Deps
		if also != nil {
			other = also(r.id.UserID)
		}
		if current := c.cache.Current(ctx, r.deps, other); current[0] {
			return r.id, current[1], nil
		}
		c.memory.Remove(h)
	}
	id, err = c.Identify(ctx, token)
	return id, false, err
}

func identityEntry(userID int64) cache.Entry {
	id := cache.Itoa(userID)
	return cache.Entry{Key: "gateway:identity:" + id, Gen: "gateway:identity-gen:" + id}
}

// Identify implements Identifier: through the caches, and when the user
// service is unreachable, from the stale-if-error copy.
func (c *Cached) Identify(ctx context.Context, token string) (userclient.Identity, error) {
	id, err := c.identify(ctx, token)
	if !errors.Is(err, problem.ErrUnavailable) {
		return id, err
	}
	stale, staleErr := c.stale(ctx, token)
	if staleErr != nil {
		if errors.Is(staleErr, problem.ErrUnavailable) {
			return id, err // the user service's own failure says more
		}
		return id, staleErr
	}
	c.log.WarnContext(ctx, "user service unavailable: honouring a recent identity (stale-if-error)", "user_id", stale.UserID)
	return stale, nil
}

func (c *Cached) identify(ctx context.Context, token string) (userclient.Identity, error) {
	var fresh *userclient.Identity
	uid, tokenOutcome, err := c.cache.Load(ctx, "token", tokenEntry(token), c.ttl, func(ctx context.Context) ([]byte, error) {
		id, err := c.users.Identify(ctx, token)
		if err != nil {
			return nil, err
		}
		fresh = &id
		return []byte(cache.Itoa(id.UserID)), nil
	})
	if err != nil {
		return userclient.Identity{}, err
	}
	// This request asked the user service itself. Its answer can be stored
	// as the identity only if it cannot be stale: profiles are only ever
	// gained and "accepted" never changes, so an identity that already has a
	// participant profile is final — and then remembered at once, like a
	// login's. Otherwise step 2's own miss (generation first, then load)
	// fills the entry safely on the next request.
	if fresh != nil {
		if fresh.Participant != nil {
			c.remember(ctx, token, *fresh, cache.Merge(tokenOutcome.Deps, c.primeIdentity(ctx, *fresh)))
		}
		return *fresh, nil
	}
	userID, err := strconv.ParseInt(string(uid), 10, 64)
	if err != nil {
		return userclient.Identity{}, fmt.Errorf("cached token entry %q: %w", uid, err)
	}
	raw, idOutcome, err := c.cache.Load(ctx, "identity", identityEntry(userID), c.ttl, func(ctx context.Context) ([]byte, error) {
		id, err := c.users.Identify(ctx, token)
		if err != nil {
			return nil, err
		}
		return json.Marshal(id)
	})
	if err != nil {
		return userclient.Identity{}, err
	}
	var id userclient.Identity
	if err := json.Unmarshal(raw, &id); err != nil {
		return userclient.Identity{}, err
	}
	c.remember(ctx, token, id, cache.Merge(tokenOutcome.Deps, idOutcome.Deps))
	return id, nil
}

// remember keeps an identity in memory if it can be checked later, and
// refreshes its stale-if-error copy in Redis about once a minute.
func (c *Cached) remember(ctx context.Context, token string, id userclient.Identity, deps cache.Deps) {
	if deps == nil {
		return
	}
	h := tokenHash(token)
	r := remembered{id: id, deps: deps, at: time.Now()}
	if old, ok := c.memory.Peek(h); ok && old.deps.String() == deps.String() {
		r.staleAt = old.staleAt
	}
	if c.staleFor > 0 && time.Since(r.staleAt) > staleRefresh {
		if raw, err := json.Marshal(staleCopy{Identity: id, Deps: deps}); err == nil {
			c.cache.Keep(ctx, staleKey(h), raw, c.staleFor)
			r.staleAt = time.Now()
		}
	}
	c.memory.Add(h, r)
}

// staleRefresh is how often an active session's stale-if-error copy is
// rewritten: its window is staleFor from the last write.
const staleRefresh = time.Minute

// staleCopy is an identity kept for stale-if-error, with the generations
// that say whether it may still be honoured.
type staleCopy struct {
	Identity userclient.Identity `json:"identity"`
	Deps     cache.Deps          `json:"deps"`
}

func staleKey(hash string) string { return "gateway:identity-stale:" + hash }

// errRevoked answers a token whose session is known to have ended.
var errRevoked = problem.New(problem.Unauthenticated, "invalid or revoked token")

// stale decides from token's stale-if-error copy while the user service
// cannot: every generation unchanged → honour it; the token's own
// generation replaced (a logout, a new password) → revoked; anything else
// (a changed profile, an evicted key, no copy) → unknown, the caller's 503.
func (c *Cached) stale(ctx context.Context, token string) (userclient.Identity, error) {
	unknown := fmt.Errorf("%w: no recent identity to stand in", problem.ErrUnavailable)
	if c.staleFor <= 0 {
		return userclient.Identity{}, unknown
	}
	h := tokenHash(token)
	raw, ok := c.cache.Kept(ctx, staleKey(h))
	if !ok {
		return userclient.Identity{}, unknown
	}
	var s staleCopy
	if json.Unmarshal(raw, &s) != nil || s.Deps == nil {
		return userclient.Identity{}, unknown
	}
	keys := make([]string, 0, len(s.Deps))
	for k := range s.Deps {
		keys = append(keys, k)
	}
	now, ok := c.cache.Generations(ctx, keys...)
	if !ok {
		return userclient.Identity{}, unknown
	}
	current := true
	for i, k := range keys {
		if now[i] == s.Deps[k] {
			continue
		}
		if k == tokenEntryOf(h).Gen && now[i] != "" {
			return userclient.Identity{}, errRevoked
		}
		current = false
	}
	if !current {
		return userclient.Identity{}, unknown
	}
	return s.Identity, nil
}

// Remember caches a token issued by signup or login together with the
// identity the same answer described, so the first authenticated request
// needs no lookup. Safe for the same reason as above: the token→user link
// never changes; the identity is stored only when it cannot be stale — at
// signup (nobody else holds a token yet that could add a profile) or when it
// already has its participant profile.
func (c *Cached) Remember(ctx context.Context, token string, id userclient.Identity, signup bool) {
	tokenDeps := c.cache.Prime(ctx, tokenEntry(token), c.ttl, []byte(cache.Itoa(id.UserID)))
	if signup || id.Participant != nil {
		c.remember(ctx, token, id, cache.Merge(tokenDeps, c.primeIdentity(ctx, id)))
	}
}

func (c *Cached) primeIdentity(ctx context.Context, id userclient.Identity) cache.Deps {
	raw, err := json.Marshal(id)
	if err != nil {
		return nil
	}
	return c.cache.Prime(ctx, identityEntry(id.UserID), c.ttl, raw)
}

// ForgetToken retires a token at once (logout), in this replica's memory
// and, through its generation, in every other's.
func (c *Cached) ForgetToken(ctx context.Context, token string) {
	c.memory.Remove(tokenHash(token))
	c.cache.Invalidate(ctx, tokenEntry(token).Gen)
}

// ForgetSessions retires the tokens of ended sessions, named by their
// hex SHA-256 digests (what tokenHash computes), everywhere at once.
func (c *Cached) ForgetSessions(ctx context.Context, digests []string) {
	gens := make([]string, 0, len(digests))
	for _, h := range digests {
		c.memory.Remove(h)
		gens = append(gens, tokenEntryOf(h).Gen)
	}
	c.cache.Invalidate(ctx, gens...)
}

// ForgetUser retires the identity of every token of a user (new profile,
// password change).
func (c *Cached) ForgetUser(ctx context.Context, userID int64) {
	c.cache.Invalidate(ctx, identityEntry(userID).Gen)
}
