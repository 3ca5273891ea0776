// Package suite runs one set of behaviours against every implementation of
// an interface (the plain store and the cached one, say): each case is a
// parallel subtest on a fresh subject.
package suite

import "testing"

// Run runs each case against a subject open makes for it.
func Run[S any](t *testing.T, open func(t *testing.T) S, cases map[string]func(t *testing.T, s S)) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc(t, open(t))
		})
	}
}
