package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/services/user/internal/store"
	"github.com/seminarhub/seminarhub/services/user/migrations"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
	"github.com/seminarhub/seminarhub/testkit/redistest"
	"github.com/seminarhub/seminarhub/testkit/suite"
)

// The contract every Store keeps, run against the database alone and with
// the cache in front of it: whatever a write committed, the next read sees.

func TestPostgresKeepsTheStoreContract(t *testing.T) {
	t.Parallel()
	contract(t, func(t *testing.T) store.Store {
		return store.NewPostgres(pgtest.Migrated(t, migrations.All), 0)
	})
}

func TestCachedKeepsTheStoreContract(t *testing.T) {
	t.Parallel()
	redisURL := redistest.Start(t).URL // one for every case, each in its own namespace
	contract(t, func(t *testing.T) store.Store { return cached(t, redisURL) })
}

// cached puts a cache of its own in front of a fresh database.
func cached(t *testing.T, redisURL string) *store.Cached {
	t.Helper()
	return store.NewCached(store.NewPostgres(pgtest.Migrated(t, migrations.All), 0), redistest.Cache(t, redisURL), time.Minute)
}

func contract(t *testing.T, open func(t *testing.T) store.Store) {
	cases := map[string]func(t *testing.T, st store.Store){
		"an update is seen by the user and their summary": func(t *testing.T, st store.Store) {
			u, _ := signup(t, st, "u1")
			warmUser(t, st, u.ID)
			if _, _, err := st.UpdateUser(context.Background(), u.ID, nil, func(u *account.User) (string, error) {
				u.FirstName, u.Username = "지민 🎓", "renamed"
				return "", nil
			}); err != nil {
				t.Fatal(err)
			}
			got := user(t, st, u.ID)
			sums := summaries(t, st, u.ID)
			if got.FirstName != "지민 🎓" || got.Username != "renamed" || len(sums) != 1 || sums[0].FirstName != "지민 🎓" || sums[0].Username != "renamed" {
				t.Fatalf("after the update: user %+v, summaries %+v", got, sums)
			}
		},
		"a new participant profile is seen by the user": func(t *testing.T, st store.Store) {
			u, _ := signupAs(t, st, "i", "instructor")
			warmUser(t, st, u.ID)
			if _, err := st.AddParticipant(context.Background(), u.ID, account.Participant{University: "SNU", Accepted: true}); err != nil {
				t.Fatal(err)
			}
			if got := user(t, st, u.ID); got.Participant == nil || got.Participant.University != "SNU" || !got.Participant.Accepted || got.Instructor == nil {
				t.Fatalf("after becoming a participant: %+v", got)
			}
		},
		"a login is seen by the user's last_login": func(t *testing.T, st store.Store) {
			u, _ := signup(t, st, "u1")
			warmUser(t, st, u.ID)
			_, digest := account.NewToken()
			if _, err := st.IssueToken(context.Background(), u.ID, "hash", digest); err != nil {
				t.Fatal(err)
			}
			if got := user(t, st, u.ID); got.LastLogin == nil {
				t.Fatalf("last_login after a login: %v", got.LastLogin)
			}
		},
		"summaries leave unknown ids out and keep the others": func(t *testing.T, st store.Store) {
			a, _ := signup(t, st, "a")
			b, _ := signup(t, st, "b")
			summaries(t, st, a.ID)
			got := summaries(t, st, a.ID, 999, b.ID)
			names := map[int64]string{}
			for _, s := range got {
				names[s.ID] = s.Username
			}
			if len(got) != 2 || names[a.ID] != "a" || names[b.ID] != "b" {
				t.Fatalf("summaries of %d, 999, %d: %+v", a.ID, b.ID, got)
			}
		},
		"an unknown user is not found": func(t *testing.T, st store.Store) {
			if _, err := st.User(context.Background(), 999); !errors.Is(err, account.ErrNotFound) {
				t.Fatalf("err %v, want ErrNotFound", err)
			}
		},
		"a revoked token no longer identifies": func(t *testing.T, st store.Store) {
			_, token := signup(t, st, "u1")
			if err := st.RevokeToken(context.Background(), account.TokenDigest(token)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Identify(context.Background(), account.TokenDigest(token)); !errors.Is(err, store.ErrUnauthenticated) {
				t.Fatalf("got %v", err)
			}
		},
		"login fails if the password changed after verification": func(t *testing.T, st store.Store) {
			u, _ := signup(t, st, "u1")
			_, _, err := st.UpdateUser(context.Background(), u.ID, nil, func(*account.User) (string, error) { return "new-hash", nil })
			if err != nil {
				t.Fatal(err)
			}
			_, digest := account.NewToken()
			if _, err := st.IssueToken(context.Background(), u.ID, "hash", digest); !errors.Is(err, account.ErrInvalidCredentials) {
				t.Fatalf("token issued against a stale hash: %v", err)
			}
		},
		"renaming to a taken username changes nothing": func(t *testing.T, st store.Store) {
			signup(t, st, "taken")
			u, _ := signup(t, st, "mine")
			_, _, err := st.UpdateUser(context.Background(), u.ID, nil, func(u *account.User) (string, error) {
				u.Username, u.Email = "taken", "changed@x.io"
				return "", nil
			})
			if !errors.Is(err, account.ErrUsernameTaken) {
				t.Fatalf("got %v", err)
			}
			after, _ := st.User(context.Background(), u.ID)
			if after.Username != "mine" || after.Email != "a@b.co" {
				t.Fatalf("partial update leaked: %+v", after)
			}
		},
		"a new password ends every session but the one that changed it": func(t *testing.T, st store.Store) {
			ctx := context.Background()
			u, current, other := twoSessions(t, st)
			_, stranger := signup(t, st, "u2")
			_, ended, err := st.UpdateUser(ctx, u.ID, account.TokenDigest(current), func(*account.User) (string, error) { return "new-hash", nil })
			if err != nil {
				t.Fatal(err)
			}
			if len(ended) != 1 || !bytes.Equal(ended[0], account.TokenDigest(other)) {
				t.Fatalf("ended sessions %x, want only the other one %x", ended, account.TokenDigest(other))
			}
			if _, err := st.Identify(ctx, account.TokenDigest(current)); err != nil {
				t.Fatalf("the session that changed the password ended: %v", err)
			}
			if _, err := st.Identify(ctx, account.TokenDigest(other)); !errors.Is(err, store.ErrUnauthenticated) {
				t.Fatalf("another session survived the new password: %v", err)
			}
			if _, err := st.Identify(ctx, account.TokenDigest(stranger)); err != nil {
				t.Fatalf("another user's session ended: %v", err)
			}
		},
		"an update without a new password ends no session": func(t *testing.T, st store.Store) {
			ctx := context.Background()
			u, _, other := twoSessions(t, st)
			if _, _, err := st.UpdateUser(ctx, u.ID, nil, func(u *account.User) (string, error) { u.Email = "new@b.co"; return "", nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Identify(ctx, account.TokenDigest(other)); err != nil {
				t.Fatalf("a session ended without a password change: %v", err)
			}
		},
	}
	suite.Run(t, open, cases)
}

func signup(t *testing.T, st store.Store, username string) (account.User, string) {
	t.Helper()
	return signupAs(t, st, username, "participant")
}

func signupAs(t *testing.T, st store.Store, username, role string) (account.User, string) {
	t.Helper()
	su, err := account.ParseSignup(input.Object{
		"username": []byte(`"` + username + `"`), "password": []byte(`"pw"`),
		"email": []byte(`"a@b.co"`), "role": []byte(`"` + role + `"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	token, digest := account.NewToken()
	u, err := st.CreateUser(context.Background(), su, "hash", digest)
	if err != nil {
		t.Fatal(err)
	}
	return u, token
}

// twoSessions signs a user up and logs them in once more: the signup's
// token and the login's.
func twoSessions(t *testing.T, st store.Store) (u account.User, current, other string) {
	t.Helper()
	u, current = signup(t, st, "u1")
	other, digest := account.NewToken()
	if _, err := st.IssueToken(context.Background(), u.ID, "hash", digest); err != nil {
		t.Fatal(err)
	}
	return u, current, other
}

func user(t *testing.T, st store.Store, id int64) account.User {
	t.Helper()
	u, err := st.User(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func summaries(t *testing.T, st store.Store, ids ...int64) []account.Summary {
	t.Helper()
	s, err := st.Summaries(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// warmUser reads everything a write could leave stale, so that a cache in
// front has it stored before the write.
func warmUser(t *testing.T, st store.Store, id int64) {
	t.Helper()
	user(t, st, id)
	summaries(t, st, id)
}
