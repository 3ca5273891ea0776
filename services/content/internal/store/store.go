// Package store keeps seminars and memberships. Store is what the HTTP
// layer calls; Postgres is the database behind it, and Cached puts the
// shared Redis in front of any Store — so a handler never sees a cache key,
// and a new write cannot forget the cache.
package store

import (
	"context"
	"time"

	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
)

// Store reads and writes seminars. Both implementations pass the same
// contract tests (contract_test.go).
type Store interface {
	// Create inserts a seminar with its creator as instructor in charge.
	Create(ctx context.Context, caller seminar.Caller, s seminar.Seminar) (seminar.Seminar, error)
	// Change locks seminar id, lets decide look at a consistent, exclusive
	// snapshot of it and writes the effect decide returns.
	Change(ctx context.Context, id int64, decide func(*seminar.Seminar) (Effect, error)) (seminar.Seminar, error)
	// Seminar reads one seminar with its memberships.
	Seminar(ctx context.Context, id int64) (seminar.Seminar, error)
	// List returns seminar summaries, filtered and ordered by f.
	List(ctx context.Context, f ListFilter) ([]Summary, error)
	// MembershipsOf lists every seminar a user belongs to, oldest first.
	MembershipsOf(ctx context.Context, userID int64) ([]UserMembership, error)
}

// Summary is a seminar in the list.
type Summary struct {
	ID                 int64
	Name               string
	Capacity           int
	Time               string // "HH:MM"
	Online             bool
	ActiveParticipants int
	Instructors        []seminar.Member
	At                 Position // where it sits in the list
}

// Position is a seminar's place in the list order (created_at, then id):
// a keyset cursor. A page that starts after a position is the same page
// however many seminars were created meanwhile — they sort before it in
// newest-first order and after it in earliest-first.
type Position struct {
	CreatedAt time.Time
	ID        int64
}

// UserMembership is one seminar a user belongs to, for their profile page.
type UserMembership struct {
	SeminarID   int64
	SeminarName string
	Member      seminar.Member
}

// Effect is what a domain decision asks the store to write.
type Effect struct {
	Fields bool            // the seminar's own fields changed
	Join   *seminar.Member // a membership to insert
	Drop   *seminar.Member // a membership to mark dropped
}

// ListFilter selects and orders the seminar list.
type ListFilter struct {
	NameContains  *string
	EarliestFirst bool
	After         *Position // start after this one (nil: from the start)
	Limit         int       // at most this many (0: all)
}
