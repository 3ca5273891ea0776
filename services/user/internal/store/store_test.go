package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/services/user/internal/store"
	"github.com/seminarhub/seminarhub/services/user/migrations"
	"github.com/seminarhub/seminarhub/testkit/concurrent"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

func newStore(t *testing.T) (*store.Store, *pgxpool.Pool, *pgtest.Counter) {
	t.Helper()
	counter := &pgtest.Counter{}
	pool := pgtest.Migrated(t, migrations.FS, counter)
	return store.New(pool, 0), pool, counter
}

func signup(t *testing.T, st *store.Store, username string) (account.User, string) {
	t.Helper()
	su, err := account.ParseSignup(input.Object{
		"username": []byte(`"` + username + `"`), "password": []byte(`"pw"`),
		"email": []byte(`"a@b.co"`), "role": []byte(`"participant"`),
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

func TestTenSimultaneousSignupsWithOneUsernameCreateOneUser(t *testing.T) {
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 10)
	su, _ := account.ParseSignup(input.Object{"username": []byte(`"same"`), "password": []byte(`"pw"`), "email": []byte(`"a@b.co"`), "role": []byte(`"instructor"`)})
	ok := concurrent.Race(t, 10, account.ErrUsernameTaken, func(int) error {
		_, digest := account.NewToken()
		_, err := st.CreateUser(context.Background(), su, "hash", digest)
		return err
	})
	var users, profiles, tokens int
	_ = pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM instructors), (SELECT count(*) FROM tokens)`).Scan(&users, &profiles, &tokens)
	if ok != 1 || users != 1 || profiles != 1 || tokens != 1 {
		t.Fatalf("%d signups succeeded; rows: %d users, %d profiles, %d tokens; want all 1", ok, users, profiles, tokens)
	}
}

func TestTheSchemaRefusesAUserWithoutAProfile(t *testing.T) {
	_, pool, _ := newStore(t)
	_, err := pool.Exec(context.Background(), `INSERT INTO users (username, email, password_hash) VALUES ('lonely', 'a@b.co', 'x')`)
	if err == nil {
		t.Fatal("a user without a profile was committed")
	}
}

func TestTokensAreStoredOnlyAsDigests(t *testing.T) {
	st, pool, _ := newStore(t)
	_, token := signup(t, st, "u1")
	var n int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM tokens WHERE digest = $1 OR encode(digest, 'hex') = $2`, []byte(token), token).Scan(&n)
	if n != 0 {
		t.Fatal("the plain token is in the database")
	}
	id, err := st.Identify(context.Background(), account.TokenDigest(token))
	if err != nil || id.Participant == nil || !id.Participant.Accepted || id.Instructor {
		t.Fatalf("identity %+v err %v", id, err)
	}
}

func TestARevokedTokenNoLongerIdentifies(t *testing.T) {
	st, _, _ := newStore(t)
	_, token := signup(t, st, "u1")
	if err := st.RevokeToken(context.Background(), account.TokenDigest(token)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Identify(context.Background(), account.TokenDigest(token)); !errors.Is(err, store.ErrUnauthenticated) {
		t.Fatalf("got %v", err)
	}
}

func TestLoginFailsIfThePasswordChangedAfterVerification(t *testing.T) {
	st, _, _ := newStore(t)
	u, _ := signup(t, st, "u1")
	_, _, err := st.UpdateUser(context.Background(), u.ID, nil, func(*account.User) (string, error) { return "new-hash", nil })
	if err != nil {
		t.Fatal(err)
	}
	_, digest := account.NewToken()
	if _, err := st.IssueToken(context.Background(), u.ID, "hash", digest); !errors.Is(err, account.ErrInvalidCredentials) {
		t.Fatalf("token issued against a stale hash: %v", err)
	}
}

func TestRenamingToATakenUsernameChangesNothing(t *testing.T) {
	st, _, _ := newStore(t)
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
}

func TestBecomingAParticipantTwiceAtOnceGivesOneProfile(t *testing.T) {
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 5)
	su, _ := account.ParseSignup(input.Object{"username": []byte(`"i"`), "password": []byte(`"pw"`), "email": []byte(`"a@b.co"`), "role": []byte(`"instructor"`)})
	_, digest := account.NewToken()
	u, err := st.CreateUser(context.Background(), su, "hash", digest)
	if err != nil {
		t.Fatal(err)
	}
	ok := concurrent.Race(t, 5, account.ErrAlreadyParticipant, func(int) error {
		_, err := st.AddParticipant(context.Background(), u.ID, account.Participant{Accepted: true})
		return err
	})
	if ok != 1 {
		t.Fatalf("%d succeeded, want 1", ok)
	}
}

func TestSummariesIsOneStatementForAnyNumberOfUsers(t *testing.T) {
	st, _, counter := newStore(t)
	var ids []int64
	for i := 0; i < 30; i++ {
		u, _ := signup(t, st, fmt.Sprintf("user%d", i))
		ids = append(ids, u.ID)
	}
	counter.Reset()
	one, _ := st.Summaries(context.Background(), ids[:1])
	single := counter.Count()
	counter.Reset()
	all, _ := st.Summaries(context.Background(), ids)
	many := counter.Count()
	t.Logf("statements: summaries of 1 user=%d, of 30 users=%d", single, many)
	if len(one) != 1 || len(all) != 30 || single != 1 || many != 1 {
		t.Fatalf("got %d/%d users with %d/%d statements", len(one), len(all), single, many)
	}
}

// twoSessions signs a user up and logs them in once more: the signup's
// token and the login's.
func twoSessions(t *testing.T, st *store.Store) (u account.User, current, other string) {
	t.Helper()
	u, current = signup(t, st, "u1")
	other, digest := account.NewToken()
	if _, err := st.IssueToken(context.Background(), u.ID, "hash", digest); err != nil {
		t.Fatal(err)
	}
	return u, current, other
}

func TestANewPasswordEndsEverySessionButTheOneThatChangedIt(t *testing.T) {
	st, _, _ := newStore(t)
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
}

func TestAnUpdateWithoutANewPasswordEndsNoSession(t *testing.T) {
	st, _, _ := newStore(t)
	ctx := context.Background()
	u, _, other := twoSessions(t, st)
	if _, _, err := st.UpdateUser(ctx, u.ID, nil, func(u *account.User) (string, error) { u.Email = "new@b.co"; return "", nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Identify(ctx, account.TokenDigest(other)); err != nil {
		t.Fatalf("a session ended without a password change: %v", err)
	}
}
