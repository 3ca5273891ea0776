// Package concurrent runs the same operation from many goroutines at once,
// the shape of every "N racing requests, one winner" test.
package concurrent

import (
	"errors"
	"sync"
	"testing"
)

// Race runs op n times concurrently and returns how many succeeded. Every
// failure must be loser (the error the rule gives the losers); anything else
// fails the test.
func Race(t testing.TB, n int, loser error, op func(i int) error) int {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- op(i)
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, loser):
			t.Fatalf("a racing call failed with %v, want %v", err, loser)
		}
	}
	return ok
}
