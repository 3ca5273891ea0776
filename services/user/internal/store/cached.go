package store

import (
	"context"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
)

var _ Store = (*Cached)(nil)

// Cached is a Store with the shared Redis in front of its reads of users
// (see platform/cache for the consistency model). One generation per user
// guards everything cached about them — their summary (their names inside
// seminars) and their whole user object — and every committed change of
// the user bumps it before it returns: an update, a new participant
// profile, a login (last_login). Tokens are not cached here; the gateway
// keeps identities (services/gateway/internal/auth).
//
// Every method is written out, pass-throughs too: a method added to Store
// does not compile here until someone decides what it does to the cache.
type Cached struct {
	next  Store
	cache *cache.Cache
	ttl   time.Duration
}

// NewCached puts c in front of next; values live at most ttl.
func NewCached(next Store, c *cache.Cache, ttl time.Duration) *Cached {
	return &Cached{next: next, cache: c, ttl: ttl}
}

// shape names the encoding of the cached values: bump it when account.User
// or account.Summary change shape, so that during a rolling deploy the two
// releases do not read each other's values.
const shape = "v1"

func (s *Cached) userGen(id int64) string { return s.cache.Key("gen", cache.Itoa(id)) }

func (s *Cached) entry(kind string, id int64) cache.Entry {
	return cache.Entry{Key: s.cache.Key(kind, shape, cache.Itoa(id)), Gen: s.userGen(id)}
}

// CreateUser implements Store. Nothing cached can be about a user who did
// not exist (absent users are never cached).
func (s *Cached) CreateUser(ctx context.Context, su account.Signup, passwordHash string, tokenDigest []byte) (account.User, error) {
	return s.next.CreateUser(ctx, su, passwordHash, tokenDigest)
}

// PasswordHash implements Store: never cached, a login reads the database.
func (s *Cached) PasswordHash(ctx context.Context, username string) (int64, string, error) {
	return s.next.PasswordHash(ctx, username)
}

// RevokeToken implements Store (identities are the gateway's to forget).
func (s *Cached) RevokeToken(ctx context.Context, tokenDigest []byte) error {
	return s.next.RevokeToken(ctx, tokenDigest)
}

// Identify implements Store (identities are the gateway's to cache).
func (s *Cached) Identify(ctx context.Context, tokenDigest []byte) (account.Identity, error) {
	return s.next.Identify(ctx, tokenDigest)
}

// IssueToken implements Store.
func (s *Cached) IssueToken(ctx context.Context, userID int64, verifiedHash string, tokenDigest []byte) (account.User, error) {
	u, err := s.next.IssueToken(ctx, userID, verifiedHash, tokenDigest)
	if err == nil {
		s.cache.Invalidate(ctx, s.userGen(userID)) // last_login changed
	}
	return u, err
}

// UpdateUser implements Store.
func (s *Cached) UpdateUser(ctx context.Context, id int64, keepToken []byte, change func(*account.User) (string, error)) (account.User, [][]byte, error) {
	u, ended, err := s.next.UpdateUser(ctx, id, keepToken, change)
	if err == nil {
		s.cache.Invalidate(ctx, s.userGen(id))
	}
	return u, ended, err
}

// AddParticipant implements Store.
func (s *Cached) AddParticipant(ctx context.Context, userID int64, p account.Participant) (account.User, error) {
	u, err := s.next.AddParticipant(ctx, userID, p)
	if err == nil {
		s.cache.Invalidate(ctx, s.userGen(userID))
	}
	return u, err
}

// User implements Store.
func (s *Cached) User(ctx context.Context, id int64) (account.User, error) {
	return cache.Value(ctx, s.cache, "user", s.entry("user", id), s.ttl, func(ctx context.Context) (account.User, error) {
		return s.next.User(ctx, id)
	})
}

// Summaries implements Store: one Redis round trip for all ids, then one
// statement for those that missed.
func (s *Cached) Summaries(ctx context.Context, ids []int64) ([]account.Summary, error) {
	entries := make([]cache.Entry, len(ids))
	for i, id := range ids {
		entries[i] = s.entry("summary", id)
	}
	found, err := cache.Values(ctx, s.cache, "user_summary", entries, s.ttl, func(ctx context.Context, missing []int) ([]*account.Summary, error) {
		want := make([]int64, len(missing))
		for j, i := range missing {
			want[j] = ids[i]
		}
		list, err := s.next.Summaries(ctx, want)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]*account.Summary, len(list))
		for i := range list {
			byID[list[i].ID] = &list[i]
		}
		out := make([]*account.Summary, len(want))
		for j, id := range want {
			out[j] = byID[id]
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]account.Summary, 0, len(found))
	for _, f := range found {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out, nil
}
