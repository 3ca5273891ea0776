package guard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/services/user/internal/guard"
	"github.com/seminarhub/seminarhub/testkit/redistest"
)

var shipped = guard.Limits{LoginAttempts: 10, LockoutMax: 15 * time.Minute, FailedLoginsPerAddress: 100, SignupsPerAddress: 300}

func newGuard(t *testing.T, l guard.Limits) *guard.Guard {
	t.Helper()
	srv := redistest.Start(t)
	return guard.New(redistest.Cache(t, srv.URL), l)
}

// retryAfter is the wait a refusal names; it fails the test if err is not
// a refusal (429).
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Throttled || p.RetryAfter <= 0 {
		t.Fatalf("got %v; want a 429 with a time to come back", err)
	}
	return p.RetryAfter
}

func TestOneAccountsFailuresNeverLockAnotherWhoseNameDiffersInCase(t *testing.T) {
	g := newGuard(t, shipped)
	ctx := context.Background()
	for range 10 {
		if err := g.Login(ctx, "UQ_2959F2DF3E", ""); err != nil {
			t.Fatal(err)
		}
	}
	retryAfter(t, g.Login(ctx, "UQ_2959F2DF3E", ""))
	if err := g.Login(ctx, "uq_2959f2df3e", ""); err != nil {
		t.Fatalf("the other account is refused: %v", err)
	}
}

func TestTheFirstLockoutLastsOneLoginInterval(t *testing.T) {
	g := newGuard(t, shipped)
	ctx := context.Background()
	for range 10 {
		_ = g.Login(ctx, "kim", "")
	}
	if wait := retryAfter(t, g.Login(ctx, "kim", "")); wait != 6*time.Second {
		t.Fatalf("first lockout: %s; want 6s (a minute / 10 attempts)", wait)
	}
	// Asking again during the lockout neither extends nor counts it.
	if wait := retryAfter(t, g.Login(ctx, "kim", "")); wait > 6*time.Second {
		t.Fatalf("asked again: %s", wait)
	}
}

// 600 attempts a minute: one every 100 ms, so the lockouts of this test
// are 100, 200, 400 ms and then the longest, 500 ms.
func TestEachLockoutOfAnAccountLastsTwiceTheOneBeforeUpToTheLongest(t *testing.T) {
	g := newGuard(t, guard.Limits{LoginAttempts: 600, LockoutMax: 500 * time.Millisecond})
	ctx := context.Background()
	var got []time.Duration
	for len(got) < 5 {
		err := g.Login(ctx, "kim", "")
		if err == nil {
			continue
		}
		got = append(got, retryAfter(t, err))
		time.Sleep(got[len(got)-1]) // the lockout ends
	}
	want := []time.Duration{100, 200, 400, 500, 500}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("lockouts: %v; want %v ms", got, want)
		}
	}
}

func TestASuccessfulLoginStartsTheLockoutsOver(t *testing.T) {
	g := newGuard(t, guard.Limits{LoginAttempts: 600, LockoutMax: time.Minute})
	ctx := context.Background()
	lockout := func() time.Duration {
		for {
			if err := g.Login(ctx, "kim", ""); err != nil {
				return retryAfter(t, err)
			}
		}
	}
	first := lockout()
	time.Sleep(first)
	if second := lockout(); second != 2*first {
		t.Fatalf("second lockout %s after a first of %s", second, first)
	}
	g.LoginSucceeded(ctx, "kim")
	if again := lockout(); again != first {
		t.Fatalf("the lockout after a success lasts %s; want %s again", again, first)
	}
}

// Credential stuffing: one guess each for many accounts from one address.
func TestFailedLoginsFromOneAddressMeetItsBudgetWhateverTheAccounts(t *testing.T) {
	g := newGuard(t, shipped)
	ctx := context.Background()
	const stuffer, neighbour = "203.0.113.7", "203.0.113.8"
	for i := range 100 {
		account := fmt.Sprintf("victim%d", i)
		if err := g.Login(ctx, account, stuffer); err != nil {
			t.Fatalf("guess %d refused: %v", i+1, err)
		}
		g.LoginFailed(ctx, stuffer)
	}
	// 100 an hour: the next comes back in 36 s.
	if wait := retryAfter(t, g.Login(ctx, "victim100", stuffer)); wait > 36*time.Second {
		t.Fatalf("wait %s; want at most 36s", wait)
	}
	if err := g.Login(ctx, "victim100", neighbour); err != nil {
		t.Fatalf("another address is refused: %v", err)
	}
}

func TestOnlyFailedLoginsSpendTheAddressBudget(t *testing.T) {
	g := newGuard(t, guard.Limits{LoginAttempts: 10, LockoutMax: time.Minute, FailedLoginsPerAddress: 3})
	ctx := context.Background()
	for i := range 50 {
		if err := g.Login(ctx, fmt.Sprintf("student%d", i), "198.51.100.1"); err != nil {
			t.Fatalf("login %d of a class behind one address refused: %v", i+1, err)
		}
		g.LoginSucceeded(ctx, fmt.Sprintf("student%d", i))
	}
}

func TestAnIPv6ClientIsCountedByItsSlash64(t *testing.T) {
	g := newGuard(t, guard.Limits{LoginAttempts: 10, LockoutMax: time.Minute, FailedLoginsPerAddress: 2})
	ctx := context.Background()
	g.LoginFailed(ctx, "2001:db8:1:2::1")
	g.LoginFailed(ctx, "2001:db8:1:2::ffff")
	retryAfter(t, g.Login(ctx, "kim", "2001:db8:1:2:aaaa::3"))
	if err := g.Login(ctx, "kim", "2001:db8:1:3::1"); err != nil {
		t.Fatalf("the next /64 is refused: %v", err)
	}
}

func TestSignupsFromOneAddressMeetAnHourlyBudget(t *testing.T) {
	g := newGuard(t, shipped)
	ctx := context.Background()
	for i := range 300 {
		if err := g.Signup(ctx, "192.0.2.1"); err != nil {
			t.Fatalf("signup %d of a class of 300 refused: %v", i+1, err)
		}
		g.SignedUp(ctx, "192.0.2.1")
	}
	if wait := retryAfter(t, g.Signup(ctx, "192.0.2.1")); wait > 12*time.Second {
		t.Fatalf("wait %s; want at most 12s (300 an hour)", wait)
	}
	if err := g.Signup(ctx, "192.0.2.2"); err != nil {
		t.Fatalf("another address is refused: %v", err)
	}
}

// A signup the service refused (busy, a taken name) or never finished
// costs the address nothing: a class retrying after Retry-After while the
// service is short of CPU keeps its whole budget.
func TestOnlySignupsMadeSpendTheBudget(t *testing.T) {
	g := newGuard(t, shipped)
	ctx := context.Background()
	for i := range 1000 {
		if err := g.Signup(ctx, "192.0.2.1"); err != nil {
			t.Fatalf("attempt %d, no signup made yet, refused: %v", i+1, err)
		}
	}
	for range 300 {
		g.SignedUp(ctx, "192.0.2.1")
	}
	retryAfter(t, g.Signup(ctx, "192.0.2.1"))
}

func TestABudgetOfZeroIsNoBudget(t *testing.T) {
	g := newGuard(t, guard.Limits{LoginAttempts: 10, LockoutMax: time.Minute})
	ctx := context.Background()
	for range 500 {
		if err := g.Signup(ctx, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		g.SignedUp(ctx, "192.0.2.1")
		g.LoginFailed(ctx, "192.0.2.1")
	}
	if err := g.Login(ctx, "kim", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
}

func TestASuccessfulLoginForgetsTheAttempts(t *testing.T) {
	g := newGuard(t, shipped)
	ctx := context.Background()
	for range 9 {
		_ = g.Login(ctx, "kim", "")
	}
	g.LoginSucceeded(ctx, "kim")
	for i := range 10 {
		if err := g.Login(ctx, "kim", ""); err != nil {
			t.Fatalf("attempt %d after a success refused: %v", i+1, err)
		}
	}
	retryAfter(t, g.Login(ctx, "kim", ""))
}
