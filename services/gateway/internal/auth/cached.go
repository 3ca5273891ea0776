package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
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
// A warm request costs two Redis round trips and no call to the user service.
type Cached struct {
	users Identifier
	cache *cache.Cache
	ttl   time.Duration
}

// NewCached wraps users with a cache whose entries live at most ttl.
func NewCached(users Identifier, c *cache.Cache, ttl time.Duration) *Cached {
	return &Cached{users: users, cache: c, ttl: ttl}
}

func tokenEntry(token string) cache.Entry {
	d := sha256.Sum256([]byte(token)) // never the token itself in Redis
	h := hex.EncodeToString(d[:])
	return cache.Entry{Key: "gateway:token:" + h, Gen: "gateway:token-gen:" + h}
}

func identityEntry(userID int64) cache.Entry {
	id := cache.Itoa(userID)
	return cache.Entry{Key: "gateway:identity:" + id, Gen: "gateway:identity-gen:" + id}
}

// Identify implements Identifier.
func (c *Cached) Identify(ctx context.Context, token string) (userclient.Identity, error) {
	var fresh *userclient.Identity
	uid, _, err := c.cache.Load(ctx, "token", tokenEntry(token), c.ttl, func(ctx context.Context) ([]byte, error) {
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
	// participant profile is final. Otherwise step 2's own miss (generation
	// first, then load) fills the entry safely on the next request.
	if fresh != nil {
		if fresh.Participant != nil {
			c.rememberIdentity(ctx, *fresh)
		}
		return *fresh, nil
	}
	userID, err := strconv.ParseInt(string(uid), 10, 64)
	if err != nil {
		return userclient.Identity{}, fmt.Errorf("cached token entry %q: %w", uid, err)
	}
	raw, _, err := c.cache.Load(ctx, "identity", identityEntry(userID), c.ttl, func(ctx context.Context) ([]byte, error) {
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
	return id, json.Unmarshal(raw, &id)
}

// Remember caches a token issued by signup or login together with the
// identity the same answer described, so the first authenticated request
// needs no lookup. Safe for the same reason as above: the token→user link
// never changes; the identity is stored only when it cannot be stale — at
// signup (nobody else holds a token yet that could add a profile) or when it
// already has its participant profile.
func (c *Cached) Remember(ctx context.Context, token string, id userclient.Identity, signup bool) {
	c.cache.Prime(ctx, tokenEntry(token), c.ttl, []byte(cache.Itoa(id.UserID)))
	if signup || id.Participant != nil {
		c.rememberIdentity(ctx, id)
	}
}

func (c *Cached) rememberIdentity(ctx context.Context, id userclient.Identity) {
	if raw, err := json.Marshal(id); err == nil {
		c.cache.Prime(ctx, identityEntry(id.UserID), c.ttl, raw)
	}
}

// ForgetToken retires a token at once (logout).
func (c *Cached) ForgetToken(ctx context.Context, token string) {
	c.cache.Invalidate(ctx, tokenEntry(token).Gen)
}

// ForgetUser retires the identity of every token of a user (new profile,
// password change).
func (c *Cached) ForgetUser(ctx context.Context, userID int64) {
	c.cache.Invalidate(ctx, identityEntry(userID).Gen)
}
