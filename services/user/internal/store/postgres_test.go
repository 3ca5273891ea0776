package store_test

import (
	"context"
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

func newStore(t *testing.T) (*store.Postgres, *pgxpool.Pool, *pgtest.Counter) {
	t.Helper()
	counter := &pgtest.Counter{}
	pool := pgtest.Migrated(t, migrations.FS, counter)
	return store.NewPostgres(pool, 0), pool, counter
}

func TestTenSimultaneousSignupsWithOneUsernameCreateOneUser(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	_, pool, _ := newStore(t)
	_, err := pool.Exec(context.Background(), `INSERT INTO users (username, email, password_hash) VALUES ('lonely', 'a@b.co', 'x')`)
	if err == nil {
		t.Fatal("a user without a profile was committed")
	}
}

func TestTokensAreStoredOnlyAsDigests(t *testing.T) {
	t.Parallel()
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

func TestBecomingAParticipantTwiceAtOnceGivesOneProfile(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
