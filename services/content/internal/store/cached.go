package store

import (
	"context"
	"strconv"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
)

var _ Store = (*Cached)(nil)

// Cached is a Store with the shared Redis in front of its reads (see
// platform/cache for the consistency model). Every read reports how it was
// served, and which generations it was read under, to the request's
// cache.Collector; every committed write retires the generations it
// changed before it returns, so the caller's next read is fresh.
//
// What is cached, and the generations guarding it:
//   - the list and each of its pages, per order: any seminar write bumps
//     the list generation (searches by name are not cached: too many
//     variants, each rarely repeated);
//   - one seminar: writes to that seminar bump its generation;
//   - one user's seminars: that user's joins and drops bump their member
//     generation, and so does any change to the fields (the name) of a
//     seminar they belong to.
//
// Every method is written out: a method added to Store does not compile
// here until someone decides what it does to the cache.
type Cached struct {
	next  Store
	cache *cache.Cache
	ttl   time.Duration
}

// NewCached puts c in front of next; values live at most ttl.
func NewCached(next Store, c *cache.Cache, ttl time.Duration) *Cached {
	return &Cached{next: next, cache: c, ttl: ttl}
}

// shape names the encoding of the cached values: bump it when Summary,
// seminar.Seminar or UserMembership change shape, so that during a rolling
// deploy the two releases do not read each other's values.
const shape = "v1"

func (s *Cached) listGen() string { return s.cache.Key("seminars", "gen") }

func (s *Cached) seminarGen(id int64) string {
	return s.cache.Key("seminar-gen", cache.Itoa(id))
}

func (s *Cached) memberGen(userID int64) string {
	return s.cache.Key("member-gen", cache.Itoa(userID))
}

// Create implements Store.
func (s *Cached) Create(ctx context.Context, caller seminar.Caller, sem seminar.Seminar) (seminar.Seminar, error) {
	sem, err := s.next.Create(ctx, caller, sem)
	if err == nil {
		// The creator is now in charge of it: their seminars changed too.
		s.cache.Invalidate(ctx, s.listGen(), s.seminarGen(sem.ID), s.memberGen(caller.UserID))
	}
	return sem, err
}

// Change implements Store.
func (s *Cached) Change(ctx context.Context, id int64, decide func(*seminar.Seminar) (Effect, error)) (seminar.Seminar, error) {
	var effect Effect
	sem, err := s.next.Change(ctx, id, func(sem *seminar.Seminar) (Effect, error) {
		var err error
		effect, err = decide(sem)
		return effect, err
	})
	if err == nil {
		// After the commit, before the answer.
		s.cache.Invalidate(ctx, s.retired(sem, effect)...)
	}
	return sem, err
}

// retired lists the generations a committed change retires.
func (s *Cached) retired(sem seminar.Seminar, e Effect) []string {
	var gens []string
	for _, m := range []*seminar.Member{e.Join, e.Drop} {
		if m != nil {
			gens = append(gens, s.memberGen(m.UserID))
		}
	}
	if e.Fields {
		// Every member's list of seminars shows the name.
		for _, m := range sem.Members {
			gens = append(gens, s.memberGen(m.UserID))
		}
	}
	if len(gens) == 0 && !e.Fields {
		return nil // nothing changed
	}
	return append(gens, s.listGen(), s.seminarGen(sem.ID))
}

// Seminar implements Store.
func (s *Cached) Seminar(ctx context.Context, id int64) (seminar.Seminar, error) {
	e := cache.Entry{Key: s.cache.Key("seminar", shape, cache.Itoa(id)), Gen: s.seminarGen(id)}
	return cache.Value(ctx, s.cache, "seminar", e, s.ttl, func(ctx context.Context) (seminar.Seminar, error) {
		return s.next.Seminar(ctx, id)
	})
}

// List implements Store.
func (s *Cached) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	if f.NameContains != nil {
		cache.Report(ctx, cache.Outcome{Status: cache.Bypass})
		return s.next.List(ctx, f)
	}
	order, name := "newest", "seminar_list"
	if f.EarliestFirst {
		order = "earliest"
	}
	parts := []string{"seminars", shape, order}
	if f.Limit > 0 || f.After != nil {
		name = "seminar_page"
		parts = append(parts, strconv.Itoa(f.Limit))
		if f.After != nil {
			parts = append(parts, cache.Itoa(f.After.CreatedAt.UnixMicro()), cache.Itoa(f.After.ID))
		}
	}
	key := s.cache.Key(parts...)
	return cache.Value(ctx, s.cache, name, cache.Entry{Key: key, Gen: s.listGen()}, s.ttl, func(ctx context.Context) ([]Summary, error) {
		return s.next.List(ctx, f)
	})
}

// MembershipsOf implements Store.
func (s *Cached) MembershipsOf(ctx context.Context, userID int64) ([]UserMembership, error) {
	e := cache.Entry{Key: s.cache.Key("user-seminars", shape, cache.Itoa(userID)), Gen: s.memberGen(userID)}
	return cache.Value(ctx, s.cache, "user_seminars", e, s.ttl, func(ctx context.Context) ([]UserMembership, error) {
		return s.next.MembershipsOf(ctx, userID)
	})
}
