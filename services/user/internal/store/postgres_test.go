package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/services/user/internal/store"
	"github.com/seminarhub/seminarhub/services/user/migrations"
	"github.com/seminarhub/seminarhub/testkit/concurrent"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

func newStore(t *testing.T) (*store.Postgres, *pgxpool.Pool, *pgtest.Counter) {
	t.Helper()
	counter := &pgtest.Counter{}
	pool := pgtest.Migrated(t, migrations.All, counter)
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

func TestAUsernameThatLooksLikeOneTakenIsRefused(t *testing.T) {
	t.Parallel()
	st, _, _ := newStore(t)
	for _, taken := range []string{"UQ_2959F2DF3E", "ab_1", "pay", "Ian"} {
		signup(t, st, taken)
	}
	for _, alike := range []string{"uq_2959f2df3e", "ａb_1", "AB_l", "рау", "lan"} {
		_, digest := account.NewToken()
		_, err := st.CreateUser(context.Background(), parse(t, alike), "hash", digest)
		if !errors.Is(err, account.ErrUsernameLookalike) {
			t.Errorf("signup %q: %v; want it refused as a look-alike", alike, err)
		}
	}
}

func TestRenamingIntoSomeoneElsesLookAlikeIsRefusedIntoOnesOwnIsNot(t *testing.T) {
	t.Parallel()
	st, _, _ := newStore(t)
	kim, _ := signup(t, st, "kim")
	lee, _ := signup(t, st, "lee")
	rename := func(id int64, name string) error {
		_, _, err := st.UpdateUser(context.Background(), id, nil, func(u *account.User) (string, error) {
			u.Username = name
			return "", nil
		})
		return err
	}
	if err := rename(lee.ID, "KIM"); !errors.Is(err, account.ErrUsernameLookalike) {
		t.Fatalf("lee renamed to KIM: %v; want refused", err)
	}
	if err := rename(kim.ID, "Kim"); err != nil {
		t.Fatalf("kim renamed to Kim: %v", err)
	}
	if err := rename(lee.ID, "kim"); !errors.Is(err, account.ErrUsernameLookalike) {
		t.Fatalf("lee renamed to kim, now that kim is Kim: %v; want refused", err)
	}
}

func TestSimultaneousSignupsOfLookAlikeNamesCreateOneUser(t *testing.T) {
	t.Parallel()
	st, pool, _ := newStore(t)
	pgtest.Warm(t, pool, 6)
	names := []string{"same", "SAME", "Same", "ｓａｍｅ", "ＳＡＭＥ", "sAmE"}
	ok := concurrent.Race(t, len(names), account.ErrUsernameTaken, func(i int) error {
		_, digest := account.NewToken()
		_, err := st.CreateUser(context.Background(), parse(t, names[i]), "hash", digest)
		return err
	})
	var users int
	_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&users)
	if ok != 1 || users != 1 {
		t.Fatalf("%d signups succeeded, %d users; want 1", ok, users)
	}
}

// Accounts made before the rule may look alike: the migration keeps both,
// gives the forms to the earlier one and says what it found; from then on
// nobody can take a third.
func TestTheLookAlikeMigrationKeepsExistingLookAlikesAndTheEarlierHoldsTheName(t *testing.T) {
	t.Parallel()
	pool := pgtest.Migrated(t, postgres.Migrations{SQL: migrations.All.SQL}) // version 1 only
	ctx := context.Background()
	for _, name := range []string{"kim", "KIM", "lee"} {
		_, err := pool.Exec(ctx, `
			WITH u AS (INSERT INTO users (username, email, password_hash) VALUES ($1, 'a@b.co', 'x') RETURNING id)
			INSERT INTO participants (user_id) SELECT id FROM u`, name)
		if err != nil {
			t.Fatal(err)
		}
	}
	var logged bytes.Buffer
	if err := postgres.Migrate(ctx, pool, migrations.All, slog.New(slog.NewJSONHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	rows, _ := pool.Query(ctx, `SELECT username, lookalike_folded IS NOT NULL AND lookalike_skeleton IS NOT NULL FROM users`)
	for rows.Next() {
		var name string
		var has bool
		_ = rows.Scan(&name, &has)
		held[name] = has
	}
	if len(held) != 3 || !held["kim"] || held["KIM"] || !held["lee"] {
		t.Fatalf("who holds their name's forms: %v; want kim and lee, not the later KIM", held)
	}
	if !strings.Contains(logged.String(), `"look_alikes":1`) {
		t.Fatalf("the migration did not report the look-alike: %s", logged.String())
	}
	_, digest := account.NewToken()
	if _, err := store.NewPostgres(pool, 0).CreateUser(ctx, parse(t, "Kim"), "hash", digest); !errors.Is(err, account.ErrUsernameLookalike) {
		t.Fatalf("a third Kim: %v; want refused", err)
	}
}

func parse(t *testing.T, username string) account.Signup {
	t.Helper()
	su, err := account.ParseSignup(input.Object{"username": []byte(`"` + username + `"`), "password": []byte(`"pw"`), "email": []byte(`"a@b.co"`), "role": []byte(`"participant"`)})
	if err != nil {
		t.Fatal(err)
	}
	return su
}
