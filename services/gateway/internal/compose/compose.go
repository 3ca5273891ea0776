package compose

import (
	"context"
	"fmt"

	"github.com/seminarhub/seminarhub/platform/internalapi"
	contentclient "github.com/seminarhub/seminarhub/services/content/client"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// Directory looks up many users in one call.
type Directory interface {
	Summaries(ctx context.Context, caller internalapi.Caller, ids []int64) (map[int64]userclient.Summary, error)
}

// BuildSeminar puts the members' current user fields into s with one lookup.
func BuildSeminar(ctx context.Context, dir Directory, caller internalapi.Caller, s contentclient.Seminar) (Seminar, error) {
	users, err := dir.Summaries(ctx, caller, memberIDs(s.Instructors, s.Participants))
	if err != nil {
		return Seminar{}, err
	}
	out := Seminar{
		ID: s.ID, Name: s.Name, Capacity: s.Capacity, Count: s.Count, Time: s.Time, Online: s.Online,
		Participants: make([]SeminarParticipant, 0, len(s.Participants)),
	}
	if out.Instructors, err = instructors(users, s.Instructors); err != nil {
		return Seminar{}, err
	}
	for _, m := range s.Participants {
		u, err := lookup(users, m.UserID)
		if err != nil {
			return Seminar{}, err
		}
		out.Participants = append(out.Participants, SeminarParticipant{
			SeminarInstructor: person(u, m), IsActive: m.IsActive, DroppedAt: m.DroppedAt,
		})
	}
	return out, nil
}

// BuildSeminars composes the list with a single lookup for all instructors.
func BuildSeminars(ctx context.Context, dir Directory, caller internalapi.Caller, list []contentclient.Summary) ([]SeminarSummary, error) {
	var ids []int64
	for _, s := range list {
		ids = append(ids, memberIDs(s.Instructors)...)
	}
	users, err := dir.Summaries(ctx, caller, ids)
	if err != nil {
		return nil, err
	}
	out := make([]SeminarSummary, 0, len(list))
	for _, s := range list {
		in, err := instructors(users, s.Instructors)
		if err != nil {
			return nil, err
		}
		out = append(out, SeminarSummary{ID: s.ID, Name: s.Name, Instructors: in, ParticipantCount: s.ParticipantCount})
	}
	return out, nil
}

// BuildCards is BuildSeminars for a page of the list.
func BuildCards(ctx context.Context, dir Directory, caller internalapi.Caller, list []contentclient.Summary) ([]SeminarCard, error) {
	summaries, err := BuildSeminars(ctx, dir, caller, list)
	if err != nil {
		return nil, err
	}
	cards := make([]SeminarCard, len(list))
	for i, s := range list {
		cards[i] = SeminarCard{SeminarSummary: summaries[i], Capacity: s.Capacity, Time: s.Time, Online: s.Online}
	}
	return cards, nil
}

// BuildUser joins a user's account data with their seminars.
func BuildUser(u userclient.User, seminars contentclient.UserSeminars) User {
	out := User{
		ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		LastLogin: u.LastLogin, DateJoined: u.DateJoined,
	}
	if p := u.Participant; p != nil {
		list := seminars.Participating
		if list == nil {
			list = []contentclient.UserSeminar{}
		}
		out.Participant = &Participant{ID: p.ID, University: p.University, Accepted: p.Accepted, Seminars: list}
	}
	if i := u.Instructor; i != nil {
		out.Instructor = &Instructor{ID: i.ID, Company: i.Company, Year: i.Year, Charge: seminars.Charge}
	}
	return out
}

func instructors(users map[int64]userclient.Summary, ms []contentclient.Member) ([]SeminarInstructor, error) {
	out := make([]SeminarInstructor, 0, len(ms))
	for _, m := range ms {
		u, err := lookup(users, m.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, person(u, m))
	}
	return out, nil
}

func person(u userclient.Summary, m contentclient.Member) SeminarInstructor {
	return SeminarInstructor{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, JoinedAt: m.JoinedAt}
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
