package httpapi

import (
	"github.com/seminarhub/seminarhub/platform/wire"
	"github.com/seminarhub/seminarhub/services/user/client"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
)

func toWire(u account.User) client.User {
	out := client.User{
		ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		LastLogin: wire.Ptr(u.LastLogin), DateJoined: wire.At(u.DateJoined),
	}
	if p := u.Participant; p != nil {
		out.Participant = &client.Participant{ID: p.ID, University: p.University, Accepted: p.Accepted}
	}
	if i := u.Instructor; i != nil {
		out.Instructor = &client.Instructor{ID: i.ID, Company: i.Company, Year: i.Year}
	}
	return out
}
