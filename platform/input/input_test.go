package input_test

import (
	"errors"
	"testing"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/problem"
)

func read(t *testing.T, body string) *input.Reader {
	t.Helper()
	obj, err := input.ParseObject([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return input.NewReader(obj)
}

func TestParseObjectTreatsAnEmptyBodyAsAnEmptyObject(t *testing.T) {
	t.Parallel()
	for _, b := range []string{"", "  \n", "{}"} {
		obj, err := input.ParseObject([]byte(b))
		if err != nil || len(obj) != 0 {
			t.Fatalf("%q: %v %v", b, obj, err)
		}
	}
}

func TestParseObjectRejectsAnythingButAnObject(t *testing.T) {
	t.Parallel()
	for _, b := range []string{"[]", "null", `"s"`, "1", "{", `{"a":1}x`, "true"} {
		if _, err := input.ParseObject([]byte(b)); !errors.Is(err, input.ErrNotObject) {
			t.Errorf("%q: %v", b, err)
		}
	}
}

func TestIntAcceptsIntegersAndDigitStrings(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]int{`{"n":10}`: 10, `{"n":"10"}`: 10, `{"n":"007"}`: 7, `{"n":-4}`: -4} {
		r := read(t, body)
		if f := r.Int("n"); !f.Given() || f.Value != want || r.Err() != nil {
			t.Errorf("%s: %+v %v", body, f, r.Err())
		}
	}
}

func TestIntRejectsEverythingElse(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`"ten"`, `1.5`, `true`, `"-4"`, `" 4"`, `"1e2"`, `1e2`, `[]`, `99999999999`} {
		r := read(t, `{"n":`+v+`}`)
		r.Int("n")
		p, ok := problem.As(r.Err())
		if !ok || p.Fields["n"] == "" {
			t.Errorf("%s accepted", v)
		}
	}
}

func TestIntTreatsNullAndEmptyStringAsNoInformation(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`null`, `""`} {
		r := read(t, `{"n":`+v+`}`)
		if f := r.Int("n"); !f.Set || !f.Null || r.Err() != nil {
			t.Errorf("%s: %+v %v", v, f, r.Err())
		}
	}
}

func TestBoolAcceptsBooleansAndTheirStringsInAnyCase(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{`{"b":true}`: true, `{"b":"TRUE"}`: true, `{"b":"False"}`: false, `{"b":false}`: false} {
		r := read(t, body)
		if f := r.Bool("b"); !f.Given() || f.Value != want || r.Err() != nil {
			t.Errorf("%s: %+v", body, f)
		}
	}
	for _, v := range []string{`"yes"`, `1`, `"1"`, `"t"`} {
		r := read(t, `{"b":`+v+`}`)
		r.Bool("b")
		if r.Err() == nil {
			t.Errorf("%s accepted", v)
		}
	}
}

func TestStringRejectsNonStrings(t *testing.T) {
	t.Parallel()
	r := read(t, `{"s":5}`)
	r.String("s")
	if r.Err() == nil {
		t.Fatal("a number was accepted as a string")
	}
}

func TestTheFirstProblemPerFieldWins(t *testing.T) {
	t.Parallel()
	r := read(t, `{}`)
	r.Fail("a", "first")
	r.Fail("a", "second")
	p, _ := problem.As(r.Err())
	if p.Fields["a"] != "first" || p.Kind != problem.Invalid {
		t.Fatalf("%+v", p)
	}
}

func TestStringRejectsNULCharacters(t *testing.T) {
	t.Parallel()
	r := read(t, `{"s":"a\u0000b"}`)
	r.String("s")
	if p, ok := problem.As(r.Err()); !ok || p.Fields["s"] == "" {
		t.Fatalf("NUL accepted: %v", r.Err())
	}
}
