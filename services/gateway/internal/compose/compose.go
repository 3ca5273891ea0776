// Package compose builds the public v1 objects (package contract, generated
// from api/openapi.yaml) out of the backends' answers: a seminar from the
// content service gets its members' current names from the user service, a
// user from the user service gets their seminars from the content service.
// Every composition makes a constant number of backend calls, whatever the
// number of users involved.
package compose

import (
	"context"
	"fmt"

	"github.com/seminarhub/seminarhub/platform/internalapi"
	contentclient "github.com/seminarhub/seminarhub/services/content/client"
	"github.com/seminarhub/seminarhub/services/gateway/internal/contract"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// Directory looks up many users in one call.
type Directory interface {
	Summaries(ctx context.Context, caller internalapi.Caller, ids []int64) (map[int64]userclient.Summary, error)
}

// BuildSeminar puts the members' current user fields into s with one lookup.
func BuildSeminar(ctx context.Context, dir Directory, caller internalapi.Caller, s contentclient.Seminar) (contract.Seminar, error) {
	users, err := dir.Summaries(ctx, caller, memberIDs(s.Instructors, s.Participants))
	if err != nil {
		return contract.Seminar{}, err
	}
	out := contract.Seminar{
		ID: s.ID, Name: s.Name, Capacity: s.Capacity, Count: s.Count, Time: s.Time, Online: s.Online,
		Participants: make([]contract.SeminarParticipant, 0, len(s.Participants)),
	}
	if out.Instructors, err = instructors(users, s.Instructors); err != nil {
		return contract.Seminar{}, err
	}
	for _, m := range s.Participants {
		u, err := lookup(users, m.UserID)
		if err != nil {
			return contract.Seminar{}, err
		}
		out.Participants = append(out.Participants, contract.SeminarParticipant{
			ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
			JoinedAt: m.JoinedAt, IsActive: m.IsActive, DroppedAt: m.DroppedAt,
		})
	}
	return out, nil
}

// BuildSeminars composes the list with a single lookup for all instructors.
func BuildSeminars(ctx context.Context, dir Directory, caller internalapi.Caller, list []contentclient.Summary) ([]contract.SeminarSummary, error) {
	var ids []int64
	for _, s := range list {
		ids = append(ids, memberIDs(s.Instructors)...)
	}
	users, err := dir.Summaries(ctx, caller, ids)
	if err != nil {
		return nil, err
	}
	out := make([]contract.SeminarSummary, 0, len(list))
	for _, s := range list {
		in, err := instructors(users, s.Instructors)
		if err != nil {
			return nil, err
		}
		out = append(out, contract.SeminarSummary{ID: s.ID, Name: s.Name, Instructors: in, ParticipantCount: s.ParticipantCount})
	}
	return out, nil
}

// BuildCards is BuildSeminars for a page of the list.
func BuildCards(ctx context.Context, dir Directory, caller internalapi.Caller, list []contentclient.Summary) ([]contract.SeminarCard, error) {
	summaries, err := BuildSeminars(ctx, dir, caller, list)
	if err != nil {
		return nil, err
	}
	cards := make([]contract.SeminarCard, len(list))
	for i, s := range list {
		sum := summaries[i]
		cards[i] = contract.SeminarCard{
			ID: sum.ID, Name: sum.Name, Instructors: sum.Instructors, ParticipantCount: sum.ParticipantCount,
			Capacity: s.Capacity, Time: s.Time, Online: s.Online,
		}
	}
	return cards, nil
}

// BuildUser joins a user's account data with their seminars.
func BuildUser(u userclient.User, seminars contentclient.UserSeminars) contract.User {
	out := contract.User{
		ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		LastLogin: u.LastLogin, DateJoined: u.DateJoined,
	}
	if p := u.Participant; p != nil {
		list := make([]contract.ParticipantSeminar, 0, len(seminars.Participating))
		for _, s := range seminars.Participating {
			list = append(list, contract.ParticipantSeminar{ID: s.ID, Name: s.Name, JoinedAt: s.JoinedAt, IsActive: s.IsActive, DroppedAt: s.DroppedAt})
		}
		out.Participant = &contract.Participant{ID: p.ID, University: p.University, Accepted: p.Accepted, Seminars: list}
	}
	if i := u.Instructor; i != nil {
		out.Instructor = &contract.Instructor{ID: i.ID, Company: i.Company, Year: i.Year}
		if c := seminars.Charge; c != nil {
			out.Instructor.Charge = &contract.InstructorCharge{ID: c.ID, Name: c.Name, JoinedAt: c.JoinedAt}
		}
	}
	return out
}

// WithToken is the signup and login answer: the user and their new token.
// Both set last_login, so a user without one here is a bug upstream.
func WithToken(u contract.User, token string) (contract.UserWithToken, error) {
	if u.LastLogin == nil {
		return contract.UserWithToken{}, fmt.Errorf("user %d was issued a token but has no last_login", u.ID)
	}
	return contract.UserWithToken{
		ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		LastLogin: *u.LastLogin, DateJoined: u.DateJoined, Participant: u.Participant, Instructor: u.Instructor, Token: token,
	}, nil
}

func instructors(users map[int64]userclient.Summary, ms []contentclient.Member) ([]contract.SeminarInstructor, error) {
	out := make([]contract.SeminarInstructor, 0, len(ms))
	for _, m := range ms {
		u, err := lookup(users, m.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, contract.SeminarInstructor{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, JoinedAt: m.JoinedAt})
	}
	return out, nil
}

// lookup fails loudly on a member the user service does not know: users are
// never deleted, so this is a data bug, not something to paper over.
func lookup(users map[int64]userclient.Summary, id int64) (userclient.Summary, error) {
	u, ok := users[id]
	if !ok {
		return u, fmt.Errorf("seminar member %d is unknown to the user service", id)
	}
	return u, nil
}

func memberIDs(lists ...[]contentclient.Member) []int64 {
	seen := map[int64]bool{}
	var ids []int64
	for _, list := range lists {
		for _, m := range list {
			if !seen[m.UserID] {
				seen[m.UserID] = true
				ids = append(ids, m.UserID)
			}
		}
	}
	return ids
}
