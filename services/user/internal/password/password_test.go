package password_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/services/user/internal/password"
)

func TestPasswordsAreHashedAndVerified(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(1)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil || strings.Contains(hash, "correct horse") || !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("hash %q err %v", hash, err)
	}
	for _, c := range []struct {
		plain, hash string
		want        bool
	}{{"correct horse", hash, true}, {"wrong", hash, false}, {"x", "", false}} {
		if ok, err := h.Matches(ctx, c.plain, c.hash); ok != c.want || err != nil {
			t.Errorf("Matches(%q, %q) = %v, %v; want %v", c.plain, c.hash, ok, err, c.want)
		}
	}
}

func TestNeverMoreHashesRunAtOnceThanThereAreSlots(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(2)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "pw"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if h.Peak() > 2 || h.Peak() < 1 {
		t.Fatalf("at most %d hashes ran at once; want 1 or 2 (the slots)", h.Peak())
	}
}

// A caller is refused at once when the callers ahead of it already fill
// its time: it does no hashing and is told when to come back.
func TestACallerWhoseDeadlineTheQueueWouldPassIsRefusedWithoutHashing(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := h.Hash(ctx, "pw")
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Busy || p.RetryAfter <= 0 {
		t.Fatalf("hash with 1 ms to go: %v; want a Busy problem with a time to come back", err)
	}
	if h.Peak() != 0 {
		t.Fatalf("a refused caller hashed (%d ran at once)", h.Peak())
	}
}

func TestACallerWhoLeavesStopsWaiting(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("hash for a caller already gone: %v; want context.Canceled", err)
	}
}
