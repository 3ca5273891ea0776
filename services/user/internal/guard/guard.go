// Package guard decides whether a signup or a login may go ahead, so that
// nobody can guess passwords, scan accounts or mass-create them — while a
// whole class behind one NAT address still signs up and in at once.
//
// Every count lives in the shared Redis (a Counter), so all replicas see
// the same ones. Four rules:
//   - Per account, whoever tries: LoginAttempts a minute (a burst of that
//     many, then one every minute/LoginAttempts); every attempt counts and
//     a success forgets them. When they are spent the account is locked
//     out, for one interval the first time and twice as long each time
//     after — up to LockoutMax — until a success or a day without one. A
//     locked-out account answers 429 even to its right password: the
//     attacker must not learn it.
//   - Per account means per exact username, as the contract compares them:
//     one account's failures never lock another.
//   - Per client address: FailedLoginsPerAddress failed logins an hour,
//     whichever accounts they were for (credential stuffing: one guess
//     each for many accounts). Only failures count.
//   - Per client address: SignupsPerAddress signups an hour. Only signups
//     made count.
//
// Refusals cost no password hashing. While Redis is unreachable nothing is
// refused (the edge's flood guard still holds).
package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/problem"
)

// Counter keeps budgets and lockouts across replicas (a *cache.Cache does).
type Counter interface {
	Spend(ctx context.Context, key string, limit cache.Limit) (bool, time.Duration)
	Left(ctx context.Context, key string, limit cache.Limit) (bool, time.Duration)
	Lock(ctx context.Context, key string, first, longest, memory time.Duration) time.Duration
	Locked(ctx context.Context, key string) time.Duration
	Forget(ctx context.Context, key string)
}

// Limits are the budgets (see the package comment). A per-address budget
// of 0 is no budget — for load and conformance tests from one address.
type Limits struct {
	LoginAttempts          int           // per account, a minute
	LockoutMax             time.Duration // the longest a lockout lasts
	FailedLoginsPerAddress int           // per client address, an hour
	SignupsPerAddress      int           // per client address, an hour
}

// lockoutMemory is how long an account's lockouts are remembered after the
// last one: a day without one starts the series over.
const lockoutMemory = 24 * time.Hour

// Guard applies Limits.
type Guard struct {
	c Counter
	l Limits
}

// New returns a guard counting in c.
func New(c Counter, l Limits) *Guard { return &Guard{c: c, l: l} }

func throttled(msg string, wait time.Duration) error {
	return &problem.Error{Kind: problem.Throttled, Message: msg, RetryAfter: wait}
}

const (
	msgAccount  = "too many login attempts for this account, try again later"
	msgFailures = "too many failed logins from your network, try again later"
	msgSignups  = "too many signups from your network, try again later"
)

// Login says whether a login for username from address may be tried.
// It counts the attempt against the account.
func (g *Guard) Login(ctx context.Context, username, address string) error {
	account := accountKey(username)
	if left := g.c.Locked(ctx, account); left > 0 {
		return throttled(msgAccount, left)
	}
	if key, limit, ok := g.failures(address); ok {
		if left, wait := g.c.Left(ctx, key, limit); !left {
			return throttled(msgFailures, wait)
		}
	}
	limit := cache.PerMinute(g.l.LoginAttempts)
	if ok, _ := g.c.Spend(ctx, account, limit); !ok {
		interval := limit.Period / time.Duration(limit.Rate)
		return throttled(msgAccount, g.c.Lock(ctx, account, interval, g.l.LockoutMax, lockoutMemory))
	}
	return nil
}

// LoginFailed counts a wrong username or password against address.
func (g *Guard) LoginFailed(ctx context.Context, address string) {
	if key, limit, ok := g.failures(address); ok {
		g.c.Spend(ctx, key, limit)
	}
}

// LoginSucceeded forgets the account's attempts and lockouts.
func (g *Guard) LoginSucceeded(ctx context.Context, username string) {
	g.c.Forget(ctx, accountKey(username))
}

// Signup says whether address may sign up once more. Only signups that are
// made count (SignedUp): one the service refused because it was busy —
// which the person tries again after its Retry-After — or for a name that
// is taken costs the address nothing. A class signing up while the
// service is short of CPU would otherwise spend its budget on retries.
func (g *Guard) Signup(ctx context.Context, address string) error {
	key, limit, ok := g.signups(address)
	if !ok {
		return nil
	}
	if ok, wait := g.c.Left(ctx, key, limit); !ok {
		return throttled(msgSignups, wait)
	}
	return nil
}

// SignedUp counts a signup that was made against its address's budget.
func (g *Guard) SignedUp(ctx context.Context, address string) {
	if key, limit, ok := g.signups(address); ok {
		g.c.Spend(ctx, key, limit)
	}
}

func (g *Guard) signups(address string) (string, cache.Limit, bool) {
	prefix, ok := network(address)
	if !ok || g.l.SignupsPerAddress == 0 {
		return "", cache.Limit{}, false
	}
	return "signups:" + prefix, cache.PerHour(g.l.SignupsPerAddress), true
}

func (g *Guard) failures(address string) (string, cache.Limit, bool) {
	prefix, ok := network(address)
	if !ok || g.l.FailedLoginsPerAddress == 0 {
		return "", cache.Limit{}, false
	}
	return "login-failures:" + prefix, cache.PerHour(g.l.FailedLoginsPerAddress), true
}

// accountKey names one account's attempts: the exact username, as the
// contract compares usernames ("Kim" and "kim" can be two accounts),
// hashed so that no username is kept in Redis.
func accountKey(username string) string {
	d := sha256.Sum256([]byte(username))
	return "login:" + hex.EncodeToString(d[:])
}

// network is what one client is counted as: its IPv4 address, or the /64
// of an IPv6 one (a single subscriber usually holds a whole /64, and
// could otherwise take a fresh address per attempt).
func network(address string) (string, bool) {
	ip, err := netip.ParseAddr(address)
	if err != nil {
		return "", false
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String(), true
	}
	return ip.String(), true
}
