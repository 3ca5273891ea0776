// Package password hashes and checks passwords. It is apart from the account
// rules because it is a choice of algorithm and library, not a rule: the
// domain stays standard-library only.
//
// Hashing is the most expensive thing the product does — argon2id holds
// 19 MiB and ~40 ms of a CPU per hash — so it runs through a Hasher: a fixed
// number of hashes at once, callers queued in order, and a caller that
// cannot be served before its deadline refused at once (problem.Busy, 503
// with Retry-After) instead of burning CPU for an answer nobody will read.
package password

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/semaphore"

	"github.com/seminarhub/seminarhub/platform/problem"
)

// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes): no bcrypt
// 72-byte truncation, and memory-hard against GPU guessing.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// MemoryPerHash is what one hash holds while it runs: the service's memory
// is its base plus slots × this (docs/capacity.md).
const MemoryPerHash = 19 << 20

// reserve is the time an answer still needs after its hash: a token
// written, the gateway's composition, the way back.
const reserve = 100 * time.Millisecond

// margin is what a caller must have left beyond its queue's turns: its own
// hash, twice as long as the average (a hash can take longer than the
// average on a machine that got busier meanwhile), and the reserve.
// Admitting too many turns into timeouts for everyone; refusing one too
// many costs that one a retry.
func margin(cost time.Duration) time.Duration { return 2*cost + reserve }

// queueWait is how long the callers ahead of one keep it waiting: their
// turns, a quarter more for the same reason.
func (h *Hasher) queueWait(ahead int64, cost time.Duration) time.Duration {
	return time.Duration(ahead/h.size) * cost * 5 / 4
}

// Hasher runs hashes through a fixed number of slots.
type Hasher struct {
	slots *semaphore.Weighted
	size  int64
	// queued counts callers admitted and not yet done (waiting or hashing).
	queued atomic.Int64
	// cost is a moving average of one hash's duration (ns), as measured
	// here, under whatever load the machine is under: what a caller in
	// the queue will wait per slot turn.
	cost    atomic.Int64
	running atomic.Int64
	peak    atomic.Int64
	done    atomic.Int64
	dummy   string

	hashes   metric.Int64Counter
	refusals metric.Int64Counter
}

// NewHasher returns a Hasher running at most slots hashes at once — the
// CPUs the process may use (runtime.GOMAXPROCS, which Go takes from the
// container's CPU limit): more at once would only make each slower.
func NewHasher(slots int) *Hasher {
	h := &Hasher{slots: semaphore.NewWeighted(int64(slots)), size: int64(slots)}
	// One hash at start: the first cost estimate, and the hash a login of
	// an unknown user is checked against.
	start := time.Now()
	dummy, err := argon2id.CreateHash("seminarhub timing equaliser", passwordParams)
	if err != nil {
		panic("password: no random salt: " + err.Error()) // crypto/rand cannot fail on Linux
	}
	h.dummy = dummy
	h.cost.Store(int64(time.Since(start)))

	meter := otel.Meter("github.com/seminarhub/seminarhub/services/user/internal/password")
	h.hashes, _ = meter.Int64Counter("password.hashes", metric.WithDescription("password hashes computed"))
	h.refusals, _ = meter.Int64Counter("password.refusals",
		metric.WithDescription("password work refused because it could not finish before its caller's deadline, by when (on arrival, while queued, at its turn)"))
	_, _ = meter.Int64ObservableGauge("password.queue", metric.WithDescription("callers waiting for or running a password hash"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(h.queued.Load())
			return nil
		}))
	_, _ = meter.Int64ObservableGauge("password.slots", metric.WithDescription("password hashes allowed at once"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(h.size)
			return nil
		}))
	return h
}

// Slots is how many hashes run at once.
func (h *Hasher) Slots() int { return int(h.size) }

// Peak is the most hashes that ever ran at once.
func (h *Hasher) Peak() int { return int(h.peak.Load()) }

// Hashes is how many hashes have run for callers.
func (h *Hasher) Hashes() int { return int(h.done.Load()) }

// Hash returns a salted, encoded argon2id hash of plain.
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	var hash string
	err := h.run(ctx, func() (err error) {
		hash, err = argon2id.CreateHash(plain, passwordParams)
		return err
	})
	return hash, err
}

// Matches checks plain against hash. An empty hash (unknown user) is
// checked against a hash of nothing anyone knows, so a failed login costs
// the same either way and does not tell which usernames exist.
func (h *Hasher) Matches(ctx context.Context, plain, hash string) (bool, error) {
	if hash == "" {
		return false, h.run(ctx, func() error {
			_, err := argon2id.ComparePasswordAndHash(plain, h.dummy)
			return err
		})
	}
	var ok bool
	err := h.run(ctx, func() (err error) {
		ok, err = argon2id.ComparePasswordAndHash(plain, hash)
		return err
	})
	return ok && err == nil, err
}

// run admits work, or refuses it with problem.Busy when its caller's
// deadline would pass first: on arrival, when the callers ahead of it
// already fill the time left; while queued, when its turn has not come in
// time; and at its turn, when hashes have become slower meanwhile.
func (h *Hasher) run(ctx context.Context, work func() error) error {
	ahead := h.queued.Add(1) - 1
	defer h.queued.Add(-1)
	cost := time.Duration(h.cost.Load())
	deadline, bounded := ctx.Deadline()
	// The callers ahead go size at a time; then this one's turn.
	if bounded && time.Until(deadline) < h.queueWait(ahead, cost)+margin(cost) {
		return h.refuse(ctx, "arrival", ahead, cost)
	}
	// Wait no longer than leaves time for the hash and the answer, so a
	// caller whose turn comes too late still hears why, in time.
	wait := ctx
	if bounded {
		var cancel context.CancelFunc
		wait, cancel = context.WithDeadline(ctx, deadline.Add(-margin(cost)))
		defer cancel()
	}
	if err := h.slots.Acquire(wait, 1); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the caller is gone
		}
		return h.refuse(ctx, "queued", ahead, cost)
	}
	defer h.slots.Release(1)
	// The turn came in time by the cost known on arrival; a machine that
	// got busier while this caller queued has raised the cost since, and a
	// hash begun now could end past the deadline.
	if cost := time.Duration(h.cost.Load()); bounded && time.Until(deadline) < margin(cost) {
		return h.refuse(ctx, "turn", 0, cost)
	}

	raise(&h.peak, h.running.Add(1))
	start := time.Now()
	err := work()
	took := time.Since(start)
	h.running.Add(-1)
	h.done.Add(1)
	h.hashes.Add(ctx, 1)
	// An exponentially weighted moving average (1/8 new): steady enough
	// for one slow hash not to turn callers away, quick enough to follow
	// a machine that got busier.
	for {
		old := h.cost.Load()
		if h.cost.CompareAndSwap(old, old+(int64(took)-old)/8) {
			break
		}
	}
	return err
}

// refuse answers a caller that would be served too late: come back when
// the queue that was ahead of it has drained.
func (h *Hasher) refuse(ctx context.Context, when string, ahead int64, cost time.Duration) error {
	h.refusals.Add(ctx, 1, metric.WithAttributes(attribute.String("when", when)))
	return &problem.Error{
		Kind:       problem.Busy,
		Message:    "many people are signing in right now, try again in a few seconds",
		RetryAfter: time.Duration(ahead/h.size+1) * cost,
	}
}

// raise sets v to n when n is larger.
func raise(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}
