// Package client is the content service's internal API as Go: the wire
// types of /internal/v1 and a typed client for the gateway. Members carry
// user ids only; the gateway adds the users' current names.
package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/seminarhub/seminarhub/platform/internalapi"
	"github.com/seminarhub/seminarhub/platform/wire"
)

// Member is a membership as seen inside a seminar.
type Member struct {
	UserID    int64      `json:"user_id"`
	JoinedAt  wire.Time  `json:"joined_at"`
	IsActive  bool       `json:"is_active"`
	DroppedAt *wire.Time `json:"dropped_at"`
}

// Seminar with its instructors and participants, each ordered by joined_at.
type Seminar struct {
	ID           int64    `json:"id"`
	Name         string   `json:"name"`
	Capacity     int      `json:"capacity"`
	Count        int      `json:"count"`
	Time         string   `json:"time"`
	Online       bool     `json:"online"`
	Instructors  []Member `json:"instructors"`
	Participants []Member `json:"participants"`
}

// Summary is a seminar in the list.
type Summary struct {
	ID               int64    `json:"id"`
	Name             string   `json:"name"`
	Capacity         int      `json:"capacity"`
	Time             string   `json:"time"`
	Online           bool     `json:"online"`
	Instructors      []Member `json:"instructors"`
	ParticipantCount int      `json:"participant_count"`
}

// UserSeminar is a seminar a user takes part in.
type UserSeminar struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	JoinedAt  wire.Time  `json:"joined_at"`
	IsActive  bool       `json:"is_active"`
	DroppedAt *wire.Time `json:"dropped_at"`
}

// Charge is the seminar an instructor is in charge of.
type Charge struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	JoinedAt wire.Time `json:"joined_at"`
}

// UserSeminars is everything the content service knows about one user.
type UserSeminars struct {
	Participating []UserSeminar `json:"participating"`
	Charge        *Charge       `json:"charge"`
}

// SummaryPage is one page of the list: Next is the opaque cursor of the
// page after it ("" on the last page).
type SummaryPage struct {
	Results []Summary `json:"results"`
	Next    string    `json:"next"`
}

// ListQuery selects the seminar list.
type ListQuery struct {
	Name  *string
	Order string
}

func (q ListQuery) values() url.Values {
	v := url.Values{}
	if q.Name != nil {
		v.Set("name", *q.Name)
	}
	if q.Order != "" {
		v.Set("order", q.Order)
	}
	return v
}

// Client calls the content service.
type Client struct{ c *internalapi.Client }

// New returns a client for the content service at base.
func New(base, secret string, timeout time.Duration) *Client {
	return &Client{c: internalapi.NewClient(base, secret, timeout)}
}

// Create opens a seminar from a raw public body.
func (c *Client) Create(ctx context.Context, caller internalapi.Caller, body []byte) (s Seminar, err error) {
	return s, c.c.Do(ctx, http.MethodPost, "/internal/v1/seminars", caller, body, &s)
}

// Update changes a seminar from a raw public body.
func (c *Client) Update(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (s Seminar, err error) {
	return s, c.c.Do(ctx, http.MethodPatch, fmt.Sprintf("/internal/v1/seminars/%d", id), caller, body, &s)
}

// Get reads one seminar.
func (c *Client) Get(ctx context.Context, caller internalapi.Caller, id int64) (s Seminar, err error) {
	return s, c.c.Do(ctx, http.MethodGet, fmt.Sprintf("/internal/v1/seminars/%d", id), caller, nil, &s)
}

// List reads the whole seminar list.
func (c *Client) List(ctx context.Context, caller internalapi.Caller, q ListQuery) (list []Summary, err error) {
	path := "/internal/v1/seminars"
	if v := q.values(); len(v) > 0 {
		path += "?" + v.Encode()
	}
	return list, c.c.Do(ctx, http.MethodGet, path, caller, nil, &list)
}

// Page reads limit seminars of the list after cursor ("": from the start).
// Both pass through as the public request gave them: the content service
// owns their rules (and answers 400 naming the field).
func (c *Client) Page(ctx context.Context, caller internalapi.Caller, q ListQuery, limit, cursor string) (p SummaryPage, err error) {
	v := q.values()
	v.Set("limit", limit)
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	return p, c.c.Do(ctx, http.MethodGet, "/internal/v1/seminar-pages?"+v.Encode(), caller, nil, &p)
}

// Join adds the caller to a seminar from a raw public body.
func (c *Client) Join(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (s Seminar, err error) {
	return s, c.c.Do(ctx, http.MethodPost, fmt.Sprintf("/internal/v1/seminars/%d/members", id), caller, body, &s)
}

// Drop removes the caller from a seminar.
func (c *Client) Drop(ctx context.Context, caller internalapi.Caller, id int64) (s Seminar, err error) {
	return s, c.c.Do(ctx, http.MethodDelete, fmt.Sprintf("/internal/v1/seminars/%d/members", id), caller, nil, &s)
}

// UserSeminars reads a user's memberships.
func (c *Client) UserSeminars(ctx context.Context, caller internalapi.Caller, userID int64) (us UserSeminars, err error) {
	return us, c.c.Do(ctx, http.MethodGet, fmt.Sprintf("/internal/v1/users/%d/seminars", userID), caller, nil, &us)
}

// Healthy checks that the content service answers.
func (c *Client) Healthy(ctx context.Context) error { return c.c.Healthy(ctx) }
