// Package problem is how domain code says "this request breaks a rule"
// without knowing about HTTP. The HTTP layer maps each Kind to the status the
// contract gives it.
package problem

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// Kind classifies a broken rule.
type Kind int

const (
	// Invalid is input that breaks a rule, or a rule about the data's state (400).
	Invalid Kind = iota + 1
	// Forbidden means the caller may not do this (403).
	Forbidden
	// NotFound means the thing addressed does not exist (404).
	NotFound
	// Unauthenticated means no valid credentials (401).
	Unauthenticated
	// Throttled means too many attempts; try again after RetryAfter (429).
	Throttled
	// Busy means the service is at capacity for this kind of work and
	// refused the request instead of finishing it too late; the same
	// request may succeed after RetryAfter (503).
	Busy
)

// Error is a rule violation a person can read, optionally per field.
type Error struct {
	Kind    Kind
	Message string
	Fields  map[string]string
	// RetryAfter, for Throttled and Busy: when another attempt may succeed.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for n := range e.Fields {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+" "+e.Fields[n])
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Is makes errors.Is match on Kind and Message, so sentinel errors work.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Message == e.Message
}

// ErrUnavailable marks a dependency that did not answer — a database, Redis
// or another service (503). It is not a broken rule: the same request may
// succeed shortly. Adapters wrap their own outage errors with it, so the HTTP
// layer can answer 503 without knowing what a database is.
var ErrUnavailable = errors.New("service temporarily unavailable")

// New builds an error of a kind.
func New(kind Kind, msg string) *Error { return &Error{Kind: kind, Message: msg} }

// Field builds a 400 about one field.
func Field(field, msg string) *Error {
	return &Error{Kind: Invalid, Message: "invalid input", Fields: map[string]string{field: msg}}
}

// As extracts a *Error.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}
