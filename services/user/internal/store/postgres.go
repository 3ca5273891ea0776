package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/services/user/internal/lookalike"
)

// Postgres is the user database. Every write is one transaction; the
// schema's constraints are the last word on uniqueness and profiles.
type Postgres struct {
	pool     *pgxpool.Pool
	tokenTTL time.Duration
}

// NewPostgres wraps a pool. tokenTTL 0 means tokens live until logout.
func NewPostgres(pool *pgxpool.Pool, tokenTTL time.Duration) *Postgres {
	return &Postgres{pool: pool, tokenTTL: tokenTTL}
}

var readCommitted = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}

// One statement returns a user with both profiles; LEFT JOINs because either
// profile may be missing.
const selectUser = `
SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.last_login, u.date_joined,
       p.id, p.university, p.accepted, i.id, i.company, i.year
FROM users u
LEFT JOIN participants p ON p.user_id = u.id
LEFT JOIN instructors i ON i.user_id = u.id
WHERE u.id = $1`

func scanUser(row pgx.Row) (account.User, error) {
	var (
		u                   account.User
		pID, iID            *int64
		university, company *string
		accepted            *bool
		year                *int32
	)
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.LastLogin, &u.DateJoined,
		&pID, &university, &accepted, &iID, &company, &year)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, account.ErrNotFound
	}
	if err != nil {
		return u, err
	}
	if pID != nil {
		u.Participant = &account.Participant{ID: *pID, University: *university, Accepted: *accepted}
	}
	if iID != nil {
		u.Instructor = &account.Instructor{ID: *iID, Company: *company}
		if year != nil {
			y := int(*year)
			u.Instructor.Year = &y
		}
	}
	return u, nil
}

func (s *Postgres) expiry() *time.Time {
	if s.tokenTTL <= 0 {
		return nil
	}
	t := time.Now().Add(s.tokenTTL)
	return &t
}

// CreateUser inserts the user, its profile and its first token in one
// transaction: a failure anywhere leaves nothing behind.
func (s *Postgres) CreateUser(ctx context.Context, su account.Signup, passwordHash string, tokenDigest []byte) (account.User, error) {
	var u account.User
	err := postgres.Tx(ctx, s.pool, readCommitted, func(tx pgx.Tx) error {
		var id int64
		folded, skeleton := lookalike.Keys(su.Username)
		err := tx.QueryRow(ctx, `
			INSERT INTO users (username, email, password_hash, first_name, last_name, last_login, lookalike_folded, lookalike_skeleton)
			VALUES ($1, $2, $3, $4, $5, now(), $6, $7) RETURNING id`,
			su.Username, su.Email, passwordHash, su.FirstName, su.LastName, folded, skeleton).Scan(&id)
		if err := usernameTaken(err); err != nil {
			return err
		}
		if su.Role == account.RoleParticipant {
			_, err = tx.Exec(ctx, `INSERT INTO participants (user_id, university, accepted) VALUES ($1, $2, $3)`,
				id, su.University, su.Accepted)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO instructors (user_id, company, year) VALUES ($1, $2, $3)`,
				id, su.Company, su.Year)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tokens (digest, user_id, expires_at) VALUES ($1, $2, $3)`,
			tokenDigest, id, s.expiry()); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, selectUser, id))
		return err
	})
	return u, err
}

// usernameTaken turns a refusal of the username's unique indexes into the
// rule it enforces (invariant 4, and no look-alikes): racing signups or
// renames to one name, or to two that look alike, give one success and
// one 400.
func usernameTaken(err error) error {
	switch {
	case postgres.ConstraintViolated(err, "users_username_key"):
		return account.ErrUsernameTaken
	case postgres.ConstraintViolated(err, "users_lookalike_folded_key"), postgres.ConstraintViolated(err, "users_lookalike_skeleton_key"):
		return account.ErrUsernameLookalike
	}
	return err
}

// PasswordHash returns the user id and stored hash for a username, or
// (0, "") when there is no such user.
func (s *Postgres) PasswordHash(ctx context.Context, username string) (int64, string, error) {
	var id int64
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT id, password_hash FROM users WHERE username = $1`, username).Scan(&id, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	return id, hash, err
}

// IssueToken stores a new token and records the login. The password was
// verified outside this transaction (hashing is slow and must not hold a
// connection); the INSERT only succeeds if the hash it was verified against is
// still current, so a password changed in between cannot be bypassed.
func (s *Postgres) IssueToken(ctx context.Context, userID int64, verifiedHash string, tokenDigest []byte) (account.User, error) {
	var u account.User
	err := postgres.Tx(ctx, s.pool, readCommitted, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE users SET last_login = now() WHERE id = $1 AND password_hash = $2`, userID, verifiedHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return account.ErrInvalidCredentials
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tokens (digest, user_id, expires_at) VALUES ($1, $2, $3)`,
			tokenDigest, userID, s.expiry()); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRow(ctx, selectUser, userID))
		return err
	})
	return u, err
}

// RevokeToken deletes a token; revoking an unknown token is not an error.
func (s *Postgres) RevokeToken(ctx context.Context, tokenDigest []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM tokens WHERE digest = $1`, tokenDigest)
	return err
}

// Identify resolves a token to its caller in one statement.
func (s *Postgres) Identify(ctx context.Context, tokenDigest []byte) (account.Identity, error) {
	var (
		id       account.Identity
		accepted *bool
	)
	err := s.pool.QueryRow(ctx, `
		SELECT t.user_id, p.accepted, i.id IS NOT NULL
		FROM tokens t
		LEFT JOIN participants p ON p.user_id = t.user_id
		LEFT JOIN instructors i ON i.user_id = t.user_id
		WHERE t.digest = $1 AND (t.expires_at IS NULL OR t.expires_at > now())`,
		tokenDigest).Scan(&id.UserID, &accepted, &id.Instructor)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, ErrUnauthenticated
	}
	if accepted != nil {
		id.Participant = &account.ParticipantIdentity{Accepted: *accepted}
	}
	return id, err
}

// User returns one user with profiles.
func (s *Postgres) User(ctx context.Context, id int64) (account.User, error) {
	return scanUser(s.pool.QueryRow(ctx, selectUser, id))
}

// UpdateUser locks the user's row, lets change decide (it returns a new
// password hash, or "" to keep the old one), and writes the result. The lock
// makes concurrent updates of one user apply one after the other instead of
// silently overwriting each other's fields. A new password ends every
// session of the user but the one making the change (keepToken, a token
// digest) in the same transaction — whoever knew the old password is out —
// and their digests are returned, so caches can forget them at once.
func (s *Postgres) UpdateUser(ctx context.Context, id int64, keepToken []byte, change func(*account.User) (string, error)) (account.User, [][]byte, error) {
	var (
		u     account.User
		ended [][]byte
	)
	err := postgres.Tx(ctx, s.pool, readCommitted, func(tx pgx.Tx) error {
		var err error
		ended = nil // a retried transaction starts over
		u, err = scanUser(tx.QueryRow(ctx, selectUser+` FOR UPDATE OF u`, id))
		if err != nil {
			return err
		}
		newHash, err := change(&u)
		if err != nil {
			return err
		}
		// The look-alike forms follow the name; an unchanged name keeps
		// its own (a look-alike kept from before the rule holds none).
		folded, skeleton := lookalike.Keys(u.Username)
		_, err = tx.Exec(ctx, `
			UPDATE users SET username = $2, email = $3, first_name = $4, last_name = $5,
			                 password_hash = COALESCE(NULLIF($6, ''), password_hash),
			                 lookalike_folded = CASE WHEN username = $2 THEN lookalike_folded ELSE $7 END,
			                 lookalike_skeleton = CASE WHEN username = $2 THEN lookalike_skeleton ELSE $8 END
			WHERE id = $1`, id, u.Username, u.Email, u.FirstName, u.LastName, newHash, folded, skeleton)
		if err := usernameTaken(err); err != nil {
			return err
		}
		if newHash != "" {
			rows, err := tx.Query(ctx, `DELETE FROM tokens WHERE user_id = $1 AND digest IS DISTINCT FROM $2 RETURNING digest`, id, keepToken)
			if err != nil {
				return err
			}
			if ended, err = pgx.CollectRows(rows, pgx.RowTo[[]byte]); err != nil {
				return err
			}
		}
		if p := u.Participant; p != nil {
			if _, err := tx.Exec(ctx, `UPDATE participants SET university = $2 WHERE user_id = $1`, id, p.University); err != nil {
				return err
			}
		}
		if i := u.Instructor; i != nil {
			if _, err := tx.Exec(ctx, `UPDATE instructors SET company = $2, year = $3 WHERE user_id = $1`, id, i.Company, i.Year); err != nil {
				return err
			}
		}
		return nil
	})
	return u, ended, err
}

// AddParticipant gives a user a participant profile. The unique constraint on
// participants.user_id, not a prior SELECT, decides "already a participant",
// so two racing requests give one 201 and one 400.
func (s *Postgres) AddParticipant(ctx context.Context, userID int64, p account.Participant) (account.User, error) {
	var u account.User
	err := postgres.Tx(ctx, s.pool, readCommitted, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO participants (user_id, university, accepted) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO NOTHING`, userID, p.University, p.Accepted)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return account.ErrAlreadyParticipant
		}
		u, err = scanUser(tx.QueryRow(ctx, selectUser, userID))
		return err
	})
	return u, err
}

// Summaries returns the users with the given ids in one statement, however
// many ids there are. Unknown ids are left out.
func (s *Postgres) Summaries(ctx context.Context, ids []int64) ([]account.Summary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, username, email, first_name, last_name FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.Summary, error) {
		var su account.Summary
		err := r.Scan(&su.ID, &su.Username, &su.Email, &su.FirstName, &su.LastName)
		return su, err
	})
}
