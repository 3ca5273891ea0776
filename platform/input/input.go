// Package input reads JSON request bodies the way the v1 contract coerces
// them: clients written for HTML forms send numbers and booleans as strings,
// so "10" is an integer and "TRUE" a boolean, while "ten", 1.5 and true are not
// integers. A Reader collects one message per bad field so a client can show
// every problem at once.
package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/seminarhub/seminarhub/platform/problem"
)

// Object is a request body: field name to raw JSON value.
type Object map[string]json.RawMessage

// ErrNotObject is returned for bodies that are not a JSON object.
var ErrNotObject = errors.New("request body must be a JSON object")

// ParseObject decodes a body; an absent or blank body counts as {}.
func ParseObject(raw []byte) (Object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Object{}, nil
	}
	if raw[0] != '{' {
		return nil, ErrNotObject
	}
	var obj Object
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, ErrNotObject
	}
	if obj == nil {
		obj = Object{}
	}
	return obj, nil
}

// Field is one optional value: Set when the key is present, Null when its
// value is JSON null.
type Field[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// Given reports a present, non-null value.
func (f Field[T]) Given() bool { return f.Set && !f.Null }

// Reader reads typed fields from an Object and remembers the problems.
type Reader struct {
	obj      Object
	problems map[string]string
}

// NewReader starts reading obj.
func NewReader(obj Object) *Reader { return &Reader{obj: obj, problems: map[string]string{}} }

// Fail records a problem with a field (the first problem per field wins).
func (r *Reader) Fail(field, format string, args ...any) {
	if _, seen := r.problems[field]; !seen {
		r.problems[field] = fmt.Sprintf(format, args...)
	}
}

// Failed reports whether the field already has a problem.
func (r *Reader) Failed(field string) bool { _, ok := r.problems[field]; return ok }

// Err returns a problem.Error (400) listing every failed field, or nil.
func (r *Reader) Err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return &problem.Error{Kind: problem.Invalid, Message: "invalid input", Fields: r.problems}
}

func (r *Reader) raw(name string) (json.RawMessage, bool, bool) {
	v, ok := r.obj[name]
	if !ok {
		return nil, false, false
	}
	return v, true, bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// String reads a string field. JSON null counts as "no information" (Null).
func (r *Reader) String(name string) Field[string] {
	v, set, null := r.raw(name)
	if !set || null {
		return Field[string]{Set: set, Null: null}
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		r.Fail(name, "must be a string")
		return Field[string]{Set: true}
	}
	// PostgreSQL text cannot hold NUL; refuse it here as bad input rather
	// than let the database fail the request with a 500.
	if strings.ContainsRune(s, 0) {
		r.Fail(name, "must not contain NUL characters")
		return Field[string]{Set: true}
	}
	return Field[string]{Set: true, Value: s}
}

// Int reads an integer: a JSON integer or a string of decimal digits, within
// PostgreSQL's integer range. "" is reported as Null, like null, so that
// "optional, may be null" fields treat both as no information.
func (r *Reader) Int(name string) Field[int] {
	v, set, null := r.raw(name)
	if !set || null {
		return Field[int]{Set: set, Null: null}
	}
	var text string
	switch {
	case json.Unmarshal(v, &text) == nil:
		if text == "" {
			return Field[int]{Set: true, Null: true}
		}
		if strings.TrimLeft(text, "0123456789") != "" {
			r.Fail(name, "must be an integer")
			return Field[int]{Set: true}
		}
	default:
		text = string(bytes.TrimSpace(v))
		if strings.TrimLeft(strings.TrimPrefix(text, "-"), "0123456789") != "" || text == "-" {
			r.Fail(name, "must be an integer")
			return Field[int]{Set: true}
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n > math.MaxInt32 || n < math.MinInt32 {
		r.Fail(name, "is out of range")
		return Field[int]{Set: true}
	}
	return Field[int]{Set: true, Value: int(n)}
}

// Bool reads a boolean: JSON true/false or "true"/"false" in any case.
func (r *Reader) Bool(name string) Field[bool] {
	v, set, null := r.raw(name)
	if !set || null {
		return Field[bool]{Set: set, Null: null}
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return Field[bool]{Set: true, Value: b}
	}
	var text string
	if json.Unmarshal(v, &text) == nil {
		switch strings.ToLower(text) {
		case "true":
			return Field[bool]{Set: true, Value: true}
		case "false":
			return Field[bool]{Set: true, Value: false}
		}
	}
	r.Fail(name, "must be true or false")
	return Field[bool]{Set: true}
}
