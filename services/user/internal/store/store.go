// Package store keeps accounts. Store is what the HTTP layer calls;
// Postgres is the database behind it, and Cached puts the shared Redis in
// front of any Store — so a handler never sees a cache key, and a new write
// cannot forget the cache.
package store

import (
	"context"

	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
)

// ErrUnauthenticated means the token is unknown, revoked or expired.
var ErrUnauthenticated = problem.New(problem.Unauthenticated, "invalid or revoked token")

// Store reads and writes accounts, profiles and tokens. Both
// implementations pass the same contract tests (contract_test.go).
type Store interface {
	// CreateUser inserts the user, its profile and its first token.
	CreateUser(ctx context.Context, su account.Signup, passwordHash string, tokenDigest []byte) (account.User, error)
	// PasswordHash returns the id and stored hash for a username, or
	// (0, "") when there is no such user.
	PasswordHash(ctx context.Context, username string) (int64, string, error)
	// IssueToken stores a new token and records the login, if the password
	// hash it was verified against is still the user's.
	IssueToken(ctx context.Context, userID int64, verifiedHash string, tokenDigest []byte) (account.User, error)
	// RevokeToken deletes a token; an unknown one is not an error.
	RevokeToken(ctx context.Context, tokenDigest []byte) error
	// Identify resolves a token to its caller.
	Identify(ctx context.Context, tokenDigest []byte) (account.Identity, error)
	// User returns one user with profiles.
	User(ctx context.Context, id int64) (account.User, error)
	// UpdateUser locks the user, lets change decide (returning a new
	// password hash, or "" to keep the old one) and writes the result; a
	// new password ends every session but keepToken, whose digests it
	// returns.
	UpdateUser(ctx context.Context, id int64, keepToken []byte, change func(*account.User) (string, error)) (account.User, [][]byte, error)
	// AddParticipant gives a user a participant profile.
	AddParticipant(ctx context.Context, userID int64, p account.Participant) (account.User, error)
	// Summaries returns the users with the given ids; unknown ids are left
	// out.
	Summaries(ctx context.Context, ids []int64) ([]account.Summary, error)
}
