package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/services/user/client"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/services/user/internal/guard"
	"github.com/seminarhub/seminarhub/services/user/internal/httpapi"
	"github.com/seminarhub/seminarhub/services/user/internal/password"
	"github.com/seminarhub/seminarhub/services/user/internal/store"
	"github.com/seminarhub/seminarhub/services/user/migrations"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
	"github.com/seminarhub/seminarhub/testkit/redistest"
)

// The user service alone, on a real PostgreSQL and Redis, called the way
// the gateway calls it (its client, with a deadline).

const secret = "component-test-internal-secret"

type service struct {
	st     store.Store
	hasher *password.Hasher
	url    string
}

// newService starts the service with its pool's connections already open:
// what is measured is the hashing, not PostgreSQL handshakes on a loaded
// machine.
func newService(t *testing.T, slots int) *service {
	t.Helper()
	pool := pgtest.Migrated(t, migrations.All)
	pgtest.Warm(t, pool, int(pool.Config().MaxConns))
	st := store.NewPostgres(pool, 0)
	c := redistest.Cache(t, redistest.Start(t).URL)
	hasher := password.NewHasher(slots)
	base := config.Base{InternalSecret: secret, RequestTimeout: 10 * time.Second}
	g := guard.New(c, guard.Limits{LoginAttempts: 10, LockoutMax: time.Minute})
	srv := httptest.NewServer(httpapi.New(slog.New(slog.DiscardHandler), base, st, g, hasher))
	t.Cleanup(srv.Close)
	return &service{st: st, hasher: hasher, url: srv.URL}
}

// accounts creates n participants with password "pw", straight in the store.
func (s *service) accounts(t *testing.T, n int) []string {
	t.Helper()
	hash, err := s.hasher.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("student%03d", i)
		_, digest := account.NewToken()
		su := account.Signup{Username: names[i], Email: names[i] + "@snu.ac.kr", Role: account.RoleParticipant, Accepted: true}
		if _, err := s.st.CreateUser(context.Background(), su, hash, digest); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// A class logs in at once, more of them than the hashing slots can serve
// before the gateway gives up: those who can be served are, in turn, the
// others are refused at once with a time to come back — no hash computed
// for them, no answer after the deadline.
func TestABurstOfLoginsBeyondThePoolIsServedInTurnAndTheRestRefusedInTime(t *testing.T) {
	s := newService(t, 2)
	names := s.accounts(t, 100)
	hashesBefore := s.hasher.Hashes()

	// Time for about 30 hashes per slot, whatever this machine's speed
	// (the race detector slows argon2id several times; other packages'
	// tests may share the CPU): 100 callers on 2 slots cannot all make it.
	var took []time.Duration
	for range 3 {
		start := time.Now()
		if _, err := s.hasher.Hash(context.Background(), "pw"); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	deadline := max(2*time.Second, 30*took[1])
	hashesBefore += 3
	users := client.New(s.url, secret, deadline)

	type outcome struct {
		err  error
		took time.Duration
	}
	results := make([]outcome, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			begun := time.Now()
			_, err := users.Login(context.Background(), []byte(`{"username":"`+name+`","password":"pw"}`))
			results[i] = outcome{err, time.Since(begun)}
		})
	}
	wg.Wait()

	admitted, refused := 0, 0
	for i, r := range results {
		if r.err == nil {
			admitted++
			continue
		}
		p, ok := problem.As(r.err)
		if !ok || p.Kind != problem.Busy || p.RetryAfter < time.Second {
			t.Fatalf("login %d: %v; want success or a 503 with Retry-After", i, r.err)
		}
		if r.took >= deadline {
			t.Errorf("login %d refused after %s, past its %s deadline", i, r.took, deadline)
		}
		refused++
	}
	if admitted == 0 || refused == 0 {
		t.Fatalf("%d admitted, %d refused; want some of each from 100 callers on 2 slots in %s", admitted, refused, deadline)
	}
	if s.hasher.Peak() > 2 {
		t.Errorf("%d hashes ran at once; the pool has 2 slots", s.hasher.Peak())
	}
	if hashed := s.hasher.Hashes() - hashesBefore; hashed != admitted {
		t.Errorf("%d hashes for %d admitted logins: refused callers cost hashing", hashed, admitted)
	}
	t.Logf("100 logins, 2 slots, %s deadline: %d admitted, %d refused", deadline, admitted, refused)
}
