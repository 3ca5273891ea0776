package blackbox

import (
	"testing"
	"time"
)

// WaitFor polls ok every second until it holds, and fails t naming what
// did not happen once within has passed.
func WaitFor(t testing.TB, what string, within time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !ok(); time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
	}
}
