package seminar_test

import (
	"errors"
	"testing"

	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
	"github.com/seminarhub/seminarhub/testkit/domaintest"
)

var (
	teacher  = seminar.Caller{UserID: 1, Instructor: true}
	student  = seminar.Caller{UserID: 2, Participant: seminar.AcceptedParticipant}
	pending  = seminar.Caller{UserID: 3, Participant: seminar.PendingParticipant}
	outsider = seminar.Caller{UserID: 4, Instructor: true}
)

var (
	body       = domaintest.Body
	fieldError = domaintest.WantFieldError
)

func TestCreateCoercesStringNumbersAndDefaultsOnlineToTrue(t *testing.T) {
	t.Parallel()
	s, err := seminar.New(teacher, body(t, `{"name":"Go","capacity":"40","count":5,"time":"9:05"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Go" || s.Capacity != 40 || s.Count != 5 || s.Time != "09:05" || !s.Online {
		t.Fatalf("got %+v", s)
	}
}

func TestCreateAcceptsStringBooleansInAnyCase(t *testing.T) {
	t.Parallel()
	s, err := seminar.New(teacher, body(t, `{"name":"Go","capacity":1,"count":1,"time":"00:00","online":"FALSE"}`))
	if err != nil || s.Online {
		t.Fatalf("online=%v err=%v", s.Online, err)
	}
}

func TestCreateByANonInstructorIsForbiddenBeforeValidation(t *testing.T) {
	t.Parallel()
	_, err := seminar.New(student, body(t, `{}`))
	if !errors.Is(err, seminar.ErrNotInstructor) {
		t.Fatalf("got %v", err)
	}
}

func TestCreateRejectsEachInvalidField(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"name":     `{"name":"","capacity":1,"count":1,"time":"10:00"}`,
		"capacity": `{"name":"a","capacity":"ten","count":1,"time":"10:00"}`,
		"count":    `{"name":"a","capacity":1,"count":1.5,"time":"10:00"}`,
		"time":     `{"name":"a","capacity":1,"count":1,"time":"25:00"}`,
		"online":   `{"name":"a","capacity":1,"count":1,"time":"10:00","online":"yes"}`,
	}
	for field, b := range cases {
		t.Run(field, func(t *testing.T) {
			_, err := seminar.New(teacher, body(t, b))
			fieldError(t, err, field)
		})
	}
}

func TestCreateRequiresEveryRequiredField(t *testing.T) {
	t.Parallel()
	_, err := seminar.New(teacher, body(t, `{}`))
	for _, f := range []string{"name", "capacity", "count", "time"} {
		fieldError(t, err, f)
	}
}

func TestCreateRejectsZeroAndNegativeAndBooleanNumbers(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`0`, `-3`, `true`, `"-3"`, `"1e3"`, `"3.0"`} {
		_, err := seminar.New(teacher, body(t, `{"name":"a","capacity":`+v+`,"count":1,"time":"10:00"}`))
		fieldError(t, err, "capacity")
	}
}

func TestCreateRejectsNamesLongerThanOneHundredCharacters(t *testing.T) {
	t.Parallel()
	long := make([]byte, 101)
	for i := range long {
		long[i] = 'a'
	}
	_, err := seminar.New(teacher, body(t, `{"name":"`+string(long)+`","capacity":1,"count":1,"time":"10:00"}`))
	fieldError(t, err, "name")
}

func TestParseTimeAcceptsOnlyTwentyFourHourClockTimes(t *testing.T) {
	t.Parallel()
	good := map[string]string{"14:30": "14:30", "0:00": "00:00", "23:59": "23:59"}
	for in, want := range good {
		if got, ok := seminar.ParseTime(in); !ok || got != want {
			t.Errorf("%q: got %q %v", in, got, ok)
		}
	}
	for _, in := range []string{"25:00", "2pm", "12:60", "12", "12:5", "-1:00", "12:30:00", ""} {
		if _, ok := seminar.ParseTime(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func newSeminar(capacity int, members ...seminar.Member) *seminar.Seminar {
	ms := append([]seminar.Member{{UserID: teacher.UserID, Role: seminar.Instructor, Active: true}}, members...)
	return &seminar.Seminar{ID: 9, Name: "S", Capacity: capacity, Count: 1, Time: "10:00", Online: true, Members: ms}
}

func TestJoinChecksRoleFirst(t *testing.T) {
	t.Parallel()
	_, err := newSeminar(1).Join(student, body(t, `{"role":"guest"}`))
	fieldError(t, err, "role")
}

func TestJoinRefusesAnExistingOrDroppedMemberBeforeProfileChecks(t *testing.T) {
	t.Parallel()
	dropped := seminar.Member{UserID: pending.UserID, Role: seminar.Participant}
	_, err := newSeminar(5, dropped).Join(pending, body(t, `{"role":"participant"}`))
	if !errors.Is(err, seminar.ErrAlreadyMember) {
		t.Fatalf("got %v", err)
	}
}

func TestJoinAsParticipantNeedsAnAcceptedParticipantProfile(t *testing.T) {
	t.Parallel()
	s := newSeminar(5)
	if _, err := s.Join(outsider, body(t, `{"role":"participant"}`)); !errors.Is(err, seminar.ErrNotParticipant) {
		t.Fatalf("no profile: %v", err)
	}
	if _, err := s.Join(pending, body(t, `{"role":"participant"}`)); !errors.Is(err, seminar.ErrNotAccepted) {
		t.Fatalf("not accepted: %v", err)
	}
}

func TestJoinAsParticipantIsRefusedWhenFull(t *testing.T) {
	t.Parallel()
	s := newSeminar(1, seminar.Member{UserID: 50, Role: seminar.Participant, Active: true})
	if _, err := s.Join(student, body(t, `{"role":"participant"}`)); !errors.Is(err, seminar.ErrFull) {
		t.Fatalf("got %v", err)
	}
}

func TestDroppedParticipantsDoNotCountAgainstCapacity(t *testing.T) {
	t.Parallel()
	s := newSeminar(1, seminar.Member{UserID: 50, Role: seminar.Participant, Active: false})
	m, err := s.Join(student, body(t, `{"role":"participant"}`))
	if err != nil || m.UserID != student.UserID || m.Role != seminar.Participant || !m.Active {
		t.Fatalf("member %+v err %v", m, err)
	}
}

func TestJoinAsInstructorNeedsAnInstructorProfile(t *testing.T) {
	t.Parallel()
	if _, err := newSeminar(5).Join(student, body(t, `{"role":"instructor"}`)); !errors.Is(err, seminar.ErrNotInstructor) {
		t.Fatalf("got %v", err)
	}
}

func TestDropRules(t *testing.T) {
	t.Parallel()
	s := newSeminar(5, seminar.Member{UserID: student.UserID, Role: seminar.Participant, Active: true})
	if _, err := s.Drop(outsider); !errors.Is(err, seminar.ErrNotParticipant) {
		t.Fatalf("no participant profile: %v", err)
	}
	both := seminar.Caller{UserID: teacher.UserID, Instructor: true, Participant: seminar.AcceptedParticipant}
	if _, err := s.Drop(both); !errors.Is(err, seminar.ErrInstructorCantDrop) {
		t.Fatalf("instructor of the seminar: %v", err)
	}
	if m, err := s.Drop(pending); m != nil || err != nil {
		t.Fatalf("non-member: %v %v", m, err)
	}
	m, err := s.Drop(student)
	if err != nil || m == nil || m.Active {
		t.Fatalf("active participant: %+v %v", m, err)
	}
	if m, err := s.Drop(student); m != nil || err != nil {
		t.Fatalf("already dropped: %v %v", m, err)
	}
}

func TestUpdateIsOnlyForTheInstructorInCharge(t *testing.T) {
	t.Parallel()
	s := newSeminar(5)
	for _, c := range []seminar.Caller{outsider, student} {
		if err := s.Update(c, body(t, `{"name":"x"}`)); !errors.Is(err, seminar.ErrNotInCharge) {
			t.Fatalf("caller %d: %v", c.UserID, err)
		}
	}
}

func TestUpdateRefusesCapacityBelowActiveParticipants(t *testing.T) {
	t.Parallel()
	s := newSeminar(5,
		seminar.Member{UserID: 50, Role: seminar.Participant, Active: true},
		seminar.Member{UserID: 51, Role: seminar.Participant, Active: true},
		seminar.Member{UserID: 52, Role: seminar.Participant, Active: false})
	fieldError(t, s.Update(teacher, body(t, `{"capacity":1}`)), "capacity")
	if err := s.Update(teacher, body(t, `{"capacity":"2"}`)); err != nil || s.Capacity != 2 {
		t.Fatalf("capacity 2: %v (capacity %d)", err, s.Capacity)
	}
}

func TestUpdateWithAnEmptyBodyChangesNothing(t *testing.T) {
	t.Parallel()
	s := newSeminar(5)
	before := *s
	if err := s.Update(teacher, body(t, ``)); err != nil {
		t.Fatal(err)
	}
	if s.Name != before.Name || s.Capacity != before.Capacity || s.Count != before.Count || s.Time != before.Time || s.Online != before.Online {
		t.Fatalf("changed: %+v", s)
	}
}
