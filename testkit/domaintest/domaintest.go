// Package domaintest has the helpers the domain packages' tests share:
// request bodies from JSON text, and the assertion that an error is the 400
// the contract wants for a given field.
package domaintest

import (
	"testing"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/problem"
)

// Body parses a JSON request body, failing the test if it is not an object.
func Body(t testing.TB, s string) input.Object {
	t.Helper()
	obj, err := input.ParseObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// WantFieldError fails unless err is a 400 with a message for field.
func WantFieldError(t testing.TB, err error, field string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid || p.Fields[field] == "" {
		t.Fatalf("want a 400 about %q, got %v", field, err)
	}
}
