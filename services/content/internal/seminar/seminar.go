// Package seminar holds the content service's domain: seminars, their
// memberships, and who may create, change, join or drop them. It decides;
// the store persists what it decided, inside a transaction that holds the
// seminar's row lock, and the schema re-checks the invariants.
package seminar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/problem"
)

// Role of a member in a seminar.
type Role string

// The two membership roles.
const (
	Participant Role = "participant"
	Instructor  Role = "instructor"
)

// Seminar with all its memberships, ordered by joining time.
type Seminar struct {
	ID        int64
	Name      string
	Capacity  int
	Count     int
	Time      string // "HH:MM"
	Online    bool
	CreatedAt time.Time
	Members   []Member
}

// Member is one user's membership. Instructors never drop, so for them
// Active is always true.
type Member struct {
	ID        int64
	UserID    int64
	Role      Role
	JoinedAt  time.Time
	Active    bool
	DroppedAt *time.Time
}

// Caller is the authenticated user acting on a seminar, as far as the
// seminar rules care. The HTTP layer builds it from whatever carried the
// identity; the rules never see a header.
type Caller struct {
	UserID      int64
	Instructor  bool // holds an instructor profile
	Participant ParticipantProfile
}

// ParticipantProfile is where a caller's participant profile stands.
type ParticipantProfile int

const (
	// NoParticipantProfile means the caller cannot join as a participant.
	NoParticipantProfile ParticipantProfile = iota
	// PendingParticipant is a profile whose participation is not accepted.
	PendingParticipant
	// AcceptedParticipant may join seminars as a participant.
	AcceptedParticipant
)

// Errors of this domain, with the contract's status for each.
var (
	ErrNotFound            = problem.New(problem.NotFound, "seminar not found")
	ErrNotInstructor       = problem.New(problem.Forbidden, "only instructors can do this")
	ErrNotInCharge         = problem.New(problem.Forbidden, "only an instructor in charge of this seminar can change it")
	ErrAlreadyMember       = problem.New(problem.Invalid, "you already joined this seminar (dropped participants cannot rejoin)")
	ErrNotParticipant      = problem.New(problem.Forbidden, "only participants can do this")
	ErrNotAccepted         = problem.New(problem.Forbidden, "your participation has not been accepted")
	ErrFull                = problem.New(problem.Invalid, "this seminar is full")
	ErrAlreadyInCharge     = problem.New(problem.Invalid, "you are already in charge of a seminar")
	ErrInstructorCantDrop  = problem.New(problem.Forbidden, "instructors of a seminar cannot drop it")
	ErrCapacityBelowActive = &problem.Error{Kind: problem.Invalid, Message: "invalid input",
		Fields: map[string]string{"capacity": "is below the number of active participants"}}
)

const maxName = 100

// New validates a create request. The caller becomes the seminar's
// instructor in charge; whether they already lead another seminar is decided
// by the database when the membership is inserted.
func New(caller Caller, obj input.Object) (Seminar, error) {
	if !caller.Instructor {
		return Seminar{}, ErrNotInstructor
	}
	s := Seminar{Online: true}
	r := input.NewReader(obj)
	for _, name := range []string{"name", "capacity", "count", "time"} {
		if _, ok := obj[name]; !ok {
			r.Fail(name, "is required")
		}
	}
	s.apply(r)
	return s, r.Err()
}

// Update applies a partial update by an instructor in charge.
func (s *Seminar) Update(caller Caller, obj input.Object) error {
	if m := s.member(caller.UserID); m == nil || m.Role != Instructor {
		return ErrNotInCharge
	}
	r := input.NewReader(obj)
	s.apply(r)
	if err := r.Err(); err != nil {
		return err
	}
	if s.Capacity < s.ActiveParticipants() {
		return ErrCapacityBelowActive
	}
	return nil
}

// apply reads whichever seminar fields are present into s.
func (s *Seminar) apply(r *input.Reader) {
	if f := r.String("name"); f.Set && !r.Failed("name") {
		switch n := utf8.RuneCountInString(f.Value); {
		case f.Null || strings.TrimSpace(f.Value) == "":
			r.Fail("name", "is required")
		case n > maxName:
			r.Fail("name", "must be at most %d characters", maxName)
		default:
			s.Name = f.Value
		}
	}
	if v, ok := positive(r, "capacity"); ok {
		s.Capacity = v
	}
	if v, ok := positive(r, "count"); ok {
		s.Count = v
	}
	if f := r.String("time"); f.Set && !r.Failed("time") {
		if t, ok := ParseTime(f.Value); ok {
			s.Time = t
		} else {
			r.Fail("time", `must be a 24-hour time "HH:MM"`)
		}
	}
	if f := r.Bool("online"); f.Set && !r.Failed("online") {
		if f.Null {
			r.Fail("online", "must be true or false")
		} else {
			s.Online = f.Value
		}
	}
}

func positive(r *input.Reader, name string) (int, bool) {
	f := r.Int(name)
	switch {
	case !f.Set || r.Failed(name):
		return 0, false
	case f.Null:
		r.Fail(name, "is required")
	case f.Value <= 0:
		r.Fail(name, "must be a positive integer")
	default:
		return f.Value, true
	}
	return 0, false
}

// ParseTime accepts "HH:MM" (and "H:MM") on a 24-hour clock and returns it
// as "HH:MM".
func ParseTime(s string) (string, bool) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 {
		return "", false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 ||
		strings.ContainsAny(s, "+- ") {
		return "", false
	}
	return fmt.Sprintf("%02d:%02d", h, m), true
}

// Join decides a join request, checking in the contract's order. It returns
// the membership to insert. "Already in charge of another seminar" is left
// to the database's unique index (see the store), which also settles races.
func (s *Seminar) Join(caller Caller, obj input.Object) (Member, error) {
	r := input.NewReader(obj)
	role := Role(r.String("role").Value)
	if role != Participant && role != Instructor {
		return Member{}, problem.Field("role", `must be "participant" or "instructor"`)
	}
	if s.member(caller.UserID) != nil {
		return Member{}, ErrAlreadyMember
	}
	if role == Participant {
		switch {
		case caller.Participant == NoParticipantProfile:
			return Member{}, ErrNotParticipant
		case caller.Participant != AcceptedParticipant:
			return Member{}, ErrNotAccepted
		case s.ActiveParticipants() >= s.Capacity:
			return Member{}, ErrFull
		}
	} else if !caller.Instructor {
		return Member{}, ErrNotInstructor
	}
	return Member{UserID: caller.UserID, Role: role, Active: true}, nil
}

// Drop decides a drop request. It returns the membership to deactivate, or
// nil when nothing changes (not a member, or already dropped).
func (s *Seminar) Drop(caller Caller) (*Member, error) {
	if caller.Participant == NoParticipantProfile {
		return nil, ErrNotParticipant
	}
	m := s.member(caller.UserID)
	switch {
	case m == nil:
		return nil, nil
	case m.Role == Instructor:
		return nil, ErrInstructorCantDrop
	case !m.Active:
		return nil, nil
	}
	m.Active = false
	return m, nil
}

// ActiveParticipants counts participants who have not dropped.
func (s *Seminar) ActiveParticipants() int {
	n := 0
	for _, m := range s.Members {
		if m.Role == Participant && m.Active {
			n++
		}
	}
	return n
}

func (s *Seminar) member(userID int64) *Member {
	for i := range s.Members {
		if s.Members[i].UserID == userID {
			return &s.Members[i]
		}
	}
	return nil
}
