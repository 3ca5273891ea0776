// Package client is the user service's internal API as Go: the wire types
// its /internal/v1 endpoints speak and a typed client the gateway calls them
// with. It lives beside the server so the two cannot drift apart.
package client

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/seminarhub/seminarhub/platform/internalapi"
	"github.com/seminarhub/seminarhub/platform/wire"
)

// User is a user with profiles, without the seminar data the gateway adds.
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

// Participant profile.
type Participant struct {
	ID         int64  `json:"id"`
	University string `json:"university"`
	Accepted   bool   `json:"accepted"`
}

// Instructor profile.
type Instructor struct {
	ID      int64  `json:"id"`
	Company string `json:"company"`
	Year    *int   `json:"year"`
}

// Session is a user with a freshly issued token (signup, login).
type Session struct {
	User  User   `json:"user"`
	Token string `json:"token"`
}

// Identity is the caller behind a token.
type Identity struct {
	UserID      int64                `json:"user_id"`
	Participant *ParticipantIdentity `json:"participant"`
	Instructor  bool                 `json:"instructor"`
}

// ParticipantIdentity tells whether the caller's participation is accepted.
type ParticipantIdentity struct {
	Accepted bool `json:"accepted"`
}

// Caller converts an identity into the headers backends receive.
func (id Identity) Caller() internalapi.Caller {
	c := internalapi.Caller{UserID: id.UserID, Instructor: id.Instructor}
	if id.Participant != nil {
		c.Participant = internalapi.ParticipantPending
		if id.Participant.Accepted {
			c.Participant = internalapi.ParticipantAccepted
		}
	}
	return c
}

// Summary is the part of a user shown inside seminars.
type Summary struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// TokenRequest carries a token in a body, never in a URL that gets logged.
type TokenRequest struct {
	Token string `json:"token"`
}

// SummariesRequest asks for many users at once.
type SummariesRequest struct {
	IDs []int64 `json:"ids"`
}

// SummariesResponse answers a SummariesRequest.
type SummariesResponse struct {
	Users []Summary `json:"users"`
}

// Client calls the user service.
type Client struct{ c *internalapi.Client }

// New returns a client for the user service at base.
func New(base, secret string, timeout time.Duration) *Client {
	return &Client{c: internalapi.NewClient(base, secret, timeout)}
}

// Signup creates an account from a raw public signup body.
func (c *Client) Signup(ctx context.Context, body []byte) (s Session, err error) {
	return s, c.c.Do(ctx, http.MethodPost, "/internal/v1/users", internalapi.Caller{}, body, &s)
}

// Login checks credentials from a raw public login body.
func (c *Client) Login(ctx context.Context, body []byte) (s Session, err error) {
	return s, c.c.Do(ctx, http.MethodPost, "/internal/v1/sessions", internalapi.Caller{}, body, &s)
}

// Identify resolves a token; an unknown token is a problem.Unauthenticated.
func (c *Client) Identify(ctx context.Context, token string) (id Identity, err error) {
	return id, c.c.Do(ctx, http.MethodPost, "/internal/v1/tokens/identify", internalapi.Caller{}, TokenRequest{token}, &id)
}

// Revoke ends a token's validity.
func (c *Client) Revoke(ctx context.Context, token string) error {
	return c.c.Do(ctx, http.MethodPost, "/internal/v1/tokens/revoke", internalapi.Caller{}, TokenRequest{token}, nil)
}

// User fetches one user.
func (c *Client) User(ctx context.Context, caller internalapi.Caller, id int64) (u User, err error) {
	return u, c.c.Do(ctx, http.MethodGet, fmt.Sprintf("/internal/v1/users/%d", id), caller, nil, &u)
}

// Updated is the answer to an update: the user, and the sessions a new
// password ended (hex SHA-256 digests of their tokens) for caches to forget.
type Updated struct {
	User
	EndedSessions []string `json:"ended_sessions,omitempty"`
}

// Update applies a raw partial-update body to user id on behalf of caller
// (whose Session, if set, survives a password change).
func (c *Client) Update(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (u Updated, err error) {
	return u, c.c.Do(ctx, http.MethodPatch, fmt.Sprintf("/internal/v1/users/%d", id), caller, body, &u)
}

// BecomeParticipant adds a participant profile to the caller.
func (c *Client) BecomeParticipant(ctx context.Context, caller internalapi.Caller, body []byte) (u User, err error) {
	return u, c.c.Do(ctx, http.MethodPost, fmt.Sprintf("/internal/v1/users/%d/participant", caller.UserID), caller, body, &u)
}

// Summaries fetches many users in one call, keyed by id.
func (c *Client) Summaries(ctx context.Context, caller internalapi.Caller, ids []int64) (map[int64]Summary, error) {
	out := make(map[int64]Summary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var resp SummariesResponse
	if err := c.c.Do(ctx, http.MethodPost, "/internal/v1/users/summaries", caller, SummariesRequest{ids}, &resp); err != nil {
		return nil, err
	}
	for _, s := range resp.Users {
		out[s.ID] = s
	}
	return out, nil
}

// Healthy checks that the user service answers.
func (c *Client) Healthy(ctx context.Context) error { return c.c.Healthy(ctx) }
