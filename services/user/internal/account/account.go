// Package account holds the user service's domain: who a user is, which
// profiles they have, and the rules for signing up and changing a profile.
// It knows nothing of HTTP or SQL.
package account

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/problem"
)

// User is an account with its profiles. A user always has at least one.
type User struct {
	ID          int64
	Username    string
	Email       string
	FirstName   string
	LastName    string
	LastLogin   *time.Time
	DateJoined  time.Time
	Participant *Participant
	Instructor  *Instructor
}

// Participant is the profile of someone who joins seminars.
type Participant struct {
	ID         int64
	University string
	Accepted   bool
}

// Instructor is the profile of someone who runs seminars.
type Instructor struct {
	ID      int64
	Company string
	Year    *int
}

// Identity is what the gateway needs to know about a caller to authorise a
// request: who they are and which profiles they hold.
type Identity struct {
	UserID      int64
	Participant *ParticipantIdentity
	Instructor  bool
}

// ParticipantIdentity says whether the caller's participation is accepted.
type ParticipantIdentity struct {
	Accepted bool
}

// Summary is the part of a user shown inside seminars.
type Summary struct {
	ID        int64
	Username  string
	Email     string
	FirstName string
	LastName  string
}

// Role is the profile chosen at signup.
type Role string

// The two roles a person can sign up with.
const (
	RoleParticipant Role = "participant"
	RoleInstructor  Role = "instructor"
)

// Errors of this domain.
var (
	ErrNotFound           = problem.New(problem.NotFound, "user not found")
	ErrInvalidCredentials = problem.New(problem.Forbidden, "wrong username or password")
	ErrAlreadyParticipant = problem.New(problem.Invalid, "you are already a participant")
	ErrNotYou             = problem.New(problem.Forbidden, "you may only change your own account")
	ErrUsernameTaken      = &problem.Error{Kind: problem.Invalid, Message: "invalid input", Fields: map[string]string{"username": "is already taken"}}
	// ErrUsernameLookalike: a name that would pass for one already taken
	// (the same but for letter case or width, or confusable letters).
	ErrUsernameLookalike = &problem.Error{Kind: problem.Invalid, Message: "invalid input", Fields: map[string]string{"username": "looks too much like a username already taken"}}
)

// Limits on free-text fields. The contract caps usernames at 150; the others
// are ours, so that a 1 MiB name cannot be stored.
const (
	maxUsername = 150
	maxName     = 150
	maxEmail    = 254
	maxFreeText = 255
)

// Signup is a validated signup request.
type Signup struct {
	Username   string
	Password   string
	Email      string
	FirstName  string
	LastName   string
	Role       Role
	University string
	Accepted   bool
	Company    string
	Year       *int
}

// ParseSignup validates a signup body. Fields of the other role are ignored
// entirely, as the contract says.
func ParseSignup(obj input.Object) (Signup, error) {
	r := input.NewReader(obj)
	s := Signup{
		Username: requiredString(r, "username", validUsername),
		Password: requiredString(r, "password", nil),
		Email:    requiredString(r, "email", validEmail),
	}
	s.FirstName, s.LastName = names(r, r.String("first_name"), r.String("last_name"))

	role := r.String("role")
	switch Role(role.Value) {
	case RoleParticipant:
		s.Role = RoleParticipant
		s.University = freeText(r, "university", r.String("university"))
		s.Accepted = accepted(r)
	case RoleInstructor:
		s.Role = RoleInstructor
		s.Company = freeText(r, "company", r.String("company"))
		s.Year = year(r)
	default:
		if !r.Failed("role") {
			r.Fail("role", `must be "participant" or "instructor"`)
		}
	}
	return s, r.Err()
}

// ParseBecomeParticipant validates the body of "become a participant".
func ParseBecomeParticipant(obj input.Object) (Participant, error) {
	r := input.NewReader(obj)
	p := Participant{University: freeText(r, "university", r.String("university")), Accepted: accepted(r)}
	return p, r.Err()
}

// accepted reads "accepted": true when absent, as the contract says; null
// is not a boolean, and the contract's "may be null" does not cover it.
func accepted(r *input.Reader) bool {
	a := r.Bool("accepted")
	if a.Set && a.Null {
		r.Fail("accepted", "must be true or false")
	}
	if a.Given() {
		return a.Value
	}
	return true
}

// Update applies a partial update to u. It returns the new password when the
// body sets one. Fields of a profile u does not have are ignored; any invalid
// field fails the whole update and u must then be discarded.
func (u *User) Update(obj input.Object) (newPassword string, err error) {
	r := input.NewReader(obj)
	if f := r.String("username"); f.Set {
		u.Username = checkString(r, "username", f, validUsername)
	}
	if f := r.String("email"); f.Set {
		u.Email = checkString(r, "email", f, validEmail)
	}
	if f := r.String("password"); f.Set {
		newPassword = checkString(r, "password", f, nil)
	}
	first, last := r.String("first_name"), r.String("last_name")
	if first.Set || last.Set {
		// The pairing rule applies to what the body contains.
		fn, ln := names(r, first, last)
		if first.Set {
			u.FirstName = fn
		}
		if last.Set {
			u.LastName = ln
		}
	}
	if u.Participant != nil {
		if f := r.String("university"); f.Set {
			u.Participant.University = freeText(r, "university", f)
		}
	}
	if u.Instructor != nil {
		if _, set := obj["year"]; set {
			u.Instructor.Year = year(r)
		}
		if f := r.String("company"); f.Set {
			u.Instructor.Company = freeText(r, "company", f)
		}
	}
	return newPassword, r.Err()
}

// PasswordIn returns the new password an update body sets, or "" when it
// sets none or an invalid one (Update then says why), so that the slow
// hashing can be done before the update's transaction instead of inside it.
func PasswordIn(obj input.Object) string {
	r := input.NewReader(obj)
	if f := r.String("password"); f.Given() && r.Err() == nil {
		return f.Value
	}
	return ""
}

func requiredString(r *input.Reader, name string, valid func(string) string) string {
	return checkString(r, name, r.String(name), valid)
}

func checkString(r *input.Reader, name string, f input.Field[string], valid func(string) string) string {
	if r.Failed(name) {
		return ""
	}
	if !f.Given() || f.Value == "" {
		r.Fail(name, "is required")
		return ""
	}
	if valid != nil {
		if msg := valid(f.Value); msg != "" {
			r.Fail(name, "%s", msg)
		}
	}
	return f.Value
}

// names applies the first/last name rules: letters only, and both or neither.
func names(r *input.Reader, first, last input.Field[string]) (string, string) {
	check := func(name string, f input.Field[string]) string {
		if utf8.RuneCountInString(f.Value) > maxName {
			r.Fail(name, "must be at most %d characters", maxName)
		}
		for _, c := range f.Value {
			if !unicode.IsLetter(c) {
				r.Fail(name, "may contain only letters")
				break
			}
		}
		return f.Value
	}
	fn, ln := check("first_name", first), check("last_name", last)
	if (fn == "") != (ln == "") && !r.Failed("first_name") && !r.Failed("last_name") {
		missing := "last_name"
		if fn == "" {
			missing = "first_name"
		}
		r.Fail(missing, "is required when %s is given", map[string]string{"first_name": "last_name", "last_name": "first_name"}[missing])
	}
	return fn, ln
}

func freeText(r *input.Reader, name string, f input.Field[string]) string {
	if utf8.RuneCountInString(f.Value) > maxFreeText {
		r.Fail(name, "must be at most %d characters", maxFreeText)
	}
	return f.Value
}

func year(r *input.Reader) *int {
	f := r.Int("year")
	if !f.Given() || r.Failed("year") {
		return nil
	}
	if f.Value < 0 {
		r.Fail("year", "must be 0 or more")
		return nil
	}
	y := f.Value
	return &y
}

func validUsername(s string) string {
	if utf8.RuneCountInString(s) > maxUsername {
		return "must be at most 150 characters"
	}
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && !strings.ContainsRune("@.+-_", c) {
			return "may contain only letters, digits and @ . + - _"
		}
	}
	if scripts := scriptsOf(s); !mixableScripts(scripts) {
		return "may not mix " + strings.Join(scripts, " and ") + " letters: names that do can pass for someone else's"
	}
	return ""
}

// scriptsOf lists the scripts of s's letters and digits, sorted. Digits 0–9
// and punctuation (Common) and combining marks (Inherited) belong to every
// script and are left out.
func scriptsOf(s string) []string {
	var found []string
	for _, c := range s {
		name := scriptOf(c)
		if name != "" && !slices.Contains(found, name) {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	return found
}

func scriptOf(c rune) string {
	if c < utf8.RuneSelf {
		if unicode.IsLetter(c) {
			return "Latin"
		}
		return ""
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, c) {
			if name == "Common" || name == "Inherited" {
				return ""
			}
			return name
		}
	}
	return ""
}

// mixableScripts applies the "moderately restrictive" level of Unicode
// Technical Standard #39 (section 5.2): one script; or Latin with the
// scripts written together in Chinese, Japanese or Korean; or Latin and
// one other script — except Cyrillic and Greek, whose letters pass for
// Latin ones (Cyrillic "і" in "pі_x").
func mixableScripts(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, together := range [][]string{
		{"Han", "Hiragana", "Katakana", "Latin"},
		{"Bopomofo", "Han", "Latin"},
		{"Han", "Hangul", "Latin"},
	} {
		if coveredBy(scripts, together) {
			return true
		}
	}
	return len(scripts) == 2 && slices.Contains(scripts, "Latin") &&
		!slices.Contains(scripts, "Cyrillic") && !slices.Contains(scripts, "Greek")
}

func coveredBy(scripts, set []string) bool {
	for _, s := range scripts {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}

func validEmail(s string) string {
	const msg = "must be a valid e-mail address"
	if len(s) > maxEmail {
		return msg
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return msg
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return msg
	}
	return ""
}
