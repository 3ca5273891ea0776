// Package compose builds the public v1 objects (api/openapi.yaml) out of the
// backends' answers: a seminar from the content service gets its members'
// current names from the user service, a user from the user service gets
// their seminars from the content service. Every composition makes a
// constant number of backend calls, whatever the number of users involved.
package compose

import (
	"github.com/seminarhub/seminarhub/platform/wire"
	contentclient "github.com/seminarhub/seminarhub/services/content/client"
)

// User is the public User object.
type User struct {
	ID          int64        `json:"id"`
	Username    string       `json:"username"`
	Email       string       `json:"email"`
	FirstName   string       `json:"first_name"`
	LastName    string       `json:"last_name"`
	LastLogin   *wire.Time   `json:"last_login"`
	DateJoined  wire.Time    `json:"date_joined"`
	Participant *Participant `json:"participant"`
	Instructor  *Instructor  `json:"instructor"`
}

// UserWithToken is the signup and login answer.
type UserWithToken struct {
	User
	Token string `json:"token"`
}

// Participant is the public participant profile.
type Participant struct {
	ID         int64                       `json:"id"`
	University string                      `json:"university"`
	Accepted   bool                        `json:"accepted"`
	Seminars   []contentclient.UserSeminar `json:"seminars"`
}

// Instructor is the public instructor profile.
type Instructor struct {
	ID      int64                 `json:"id"`
	Company string                `json:"company"`
	Year    *int                  `json:"year"`
	Charge  *contentclient.Charge `json:"charge"`
}

// Seminar is the public Seminar object.
type Seminar struct {
	ID           int64                `json:"id"`
	Name         string               `json:"name"`
	Capacity     int                  `json:"capacity"`
	Count        int                  `json:"count"`
	Time         string               `json:"time"`
	Online       bool                 `json:"online"`
	Instructors  []SeminarInstructor  `json:"instructors"`
	Participants []SeminarParticipant `json:"participants"`
}

// SeminarInstructor is an instructor as listed in a seminar.
type SeminarInstructor struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	JoinedAt  wire.Time `json:"joined_at"`
}

// SeminarParticipant is a participant as listed in a seminar.
type SeminarParticipant struct {
	SeminarInstructor
	IsActive  bool       `json:"is_active"`
	DroppedAt *wire.Time `json:"dropped_at"`
}

// SeminarSummary is an entry of the seminar list.
type SeminarSummary struct {
	ID               int64               `json:"id"`
	Name             string              `json:"name"`
	Instructors      []SeminarInstructor `json:"instructors"`
	ParticipantCount int                 `json:"participant_count"`
}

// SeminarCard is a seminar as a page of the list shows it: the summary and
// what people choose a seminar by. Pages are an extension, so they may say
// more; the whole-list array keeps the contract's SeminarSummary exactly.
type SeminarCard struct {
	SeminarSummary
	Capacity int    `json:"capacity"`
	Time     string `json:"time"`
	Online   bool   `json:"online"`
}

// SeminarPage is one page of the list (the opt-in pagination): Next is the
// path of the page after it, null on the last.
type SeminarPage struct {
	Next    *string       `json:"next"`
	Results []SeminarCard `json:"results"`
}
