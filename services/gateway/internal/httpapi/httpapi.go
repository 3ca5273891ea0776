// Package httpapi is the public v1 API (api/openapi.yaml). Handlers check
// the request's shape (body size, JSON object, path ids), call the backend
// that owns the data — which validates and runs one transaction — and compose
// the answer with data from the other backend.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"github.com/seminarhub/seminarhub/platform/buildinfo"
	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/internalapi"
	"github.com/seminarhub/seminarhub/platform/problem"
	contentclient "github.com/seminarhub/seminarhub/services/content/client"
	"github.com/seminarhub/seminarhub/services/gateway/internal/answers"
	"github.com/seminarhub/seminarhub/services/gateway/internal/auth"
	"github.com/seminarhub/seminarhub/services/gateway/internal/compose"
	"github.com/seminarhub/seminarhub/services/gateway/internal/contract"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// Users is the part of the user service the gateway uses.
type Users interface {
	auth.Identifier
	compose.Directory
	Signup(ctx context.Context, body []byte) (userclient.Session, error)
	Login(ctx context.Context, body []byte) (userclient.Session, error)
	Revoke(ctx context.Context, token string) error
	User(ctx context.Context, caller internalapi.Caller, id int64) (userclient.User, error)
	Update(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (userclient.Updated, error)
	BecomeParticipant(ctx context.Context, caller internalapi.Caller, body []byte) (userclient.User, error)
	Healthy(ctx context.Context) error
}

// Content is the part of the content service the gateway uses.
type Content interface {
	Create(ctx context.Context, caller internalapi.Caller, body []byte) (contentclient.Seminar, error)
	Update(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (contentclient.Seminar, error)
	Get(ctx context.Context, caller internalapi.Caller, id int64) (contentclient.Seminar, error)
	List(ctx context.Context, caller internalapi.Caller, q contentclient.ListQuery) ([]contentclient.Summary, error)
	Page(ctx context.Context, caller internalapi.Caller, q contentclient.ListQuery, limit, cursor string) (contentclient.SummaryPage, error)
	Join(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (contentclient.Seminar, error)
	Drop(ctx context.Context, caller internalapi.Caller, id int64) (contentclient.Seminar, error)
	UserSeminars(ctx context.Context, caller internalapi.Caller, userID int64) (contentclient.UserSeminars, error)
	Healthy(ctx context.Context) error
}

type api struct {
	log     *slog.Logger
	users   Users
	content Content
	cache   *cache.Cache
	auth    *auth.Cached
	answers *answers.Store
}

// Memory sizes what each replica keeps in memory (see package answers and
// auth.Cached): identities cached in Redis live IdentityTTL; at most
// Answers answers and Identities identities are kept in memory, each at
// most MaxAge.
type Memory struct {
	IdentityTTL         time.Duration
	Answers, Identities int
	MaxAge              time.Duration
	// StaleIdentity is how long a resolved identity is honoured while the
	// user service cannot answer (see auth.Cached).
	StaleIdentity time.Duration
}

var (
	errUserNotFound    = problem.New(problem.NotFound, "user not found")
	errSeminarNotFound = problem.New(problem.NotFound, "seminar not found")
	errNotYou          = problem.New(problem.Forbidden, "you may only change your own account")
)

// New builds the public handler.
func New(log *slog.Logger, users Users, content Content, c *cache.Cache, m Memory) http.Handler {
	a := &api{
		log: log, users: users, content: content, cache: c,
		auth:    auth.NewCached(users, c, log, m.IdentityTTL, m.Identities, m.MaxAge, m.StaleIdentity),
		answers: answers.NewStore(m.Answers, m.MaxAge),
	}
	r := httpx.NewEngine("gateway", log)
	r.Match(httpx.GETAndHEAD, "/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	r.Match(httpx.GETAndHEAD, "/version", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"version": buildinfo.Version, "commit": buildinfo.CommitOrVCS()})
	})

	// The edge puts the address it saw in X-Real-IP, replacing any a
	// client sent, and nothing but the edge reaches the gateway (a unix
	// socket locally, NetworkPolicy in a cluster): that is the address
	// the user service's per-address budgets count.
	r.TrustedPlatform = "X-Real-IP"

	v1 := r.Group("/api/v1", noStore)
	v1.POST("/user", clientAddress, a.signup)
	v1.PUT("/user/login", clientAddress, a.login)

	authed := v1.Group("", a.authenticate)
	authed.POST("/user/logout", a.logout)
	authed.POST("/user/participant", a.becomeParticipant)
	authed.Match(httpx.GETAndHEAD, "/user/:id", a.getUser)
	authed.PUT("/user/:id", a.updateUser)

	authed.POST("/seminar", a.createSeminar)
	authed.Match(httpx.GETAndHEAD, "/seminar", a.listSeminars)
	authed.Match(httpx.GETAndHEAD, "/seminar/:id", a.getSeminar)
	authed.PUT("/seminar/:id", a.updateSeminar)
	authed.POST("/seminar/:id/user", a.joinSeminar)
	authed.DELETE("/seminar/:id/user", a.dropSeminar)
	return httpx.StripTrailingSlash(r)
}

func (a *api) fail(c *gin.Context, err error) { httpx.Fail(c, a.log, err) }

// noStore keeps every API answer out of every cache, browsers' included:
// each carries a token or personal data (emails appear in users, seminars
// and the list alike). Clients that keep their own copy can still ask
// with If-None-Match.
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// clientAddress passes the client's address on to the backends.
func clientAddress(c *gin.Context) {
	c.Request = c.Request.WithContext(internalapi.WithClientAddress(c.Request.Context(), c.ClientIP()))
	c.Next()
}

// body reads the request body and checks that it is a JSON object (or
// empty); the backend that owns the data validates the fields.
func body(c *gin.Context) ([]byte, bool) {
	raw, ok := httpx.ReadRaw(c)
	if !ok {
		return nil, false
	}
	if _, err := input.ParseObject(raw); err != nil {
		httpx.Abort(c, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return raw, true
}

func caller(c *gin.Context) internalapi.Caller { return auth.Identity(c).Caller() }

// --- users ---

func (a *api) signup(c *gin.Context) {
	raw, ok := body(c)
	if !ok {
		return
	}
	s, err := a.users.Signup(c, raw)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.auth.Remember(c, s.Token, identityOf(s.User), true)
	// A new user belongs to no seminar yet: no need to ask the content service.
	out, err := compose.WithToken(compose.BuildUser(s.User, contentclient.UserSeminars{}), s.Token)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (a *api) login(c *gin.Context) {
	raw, ok := body(c)
	if !ok {
		return
	}
	s, err := a.users.Login(c, raw)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.auth.Remember(c, s.Token, identityOf(s.User), false)
	seminars, err := a.content.UserSeminars(c, internalapi.Caller{UserID: s.User.ID}, s.User.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out, err := compose.WithToken(compose.BuildUser(s.User, seminars), s.Token)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (a *api) logout(c *gin.Context) {
	if err := a.users.Revoke(c, auth.TokenOf(c)); err != nil {
		a.fail(c, err)
		return
	}
	a.auth.ForgetToken(c, auth.TokenOf(c))
	c.JSON(http.StatusOK, gin.H{})
}

func (a *api) getUser(c *gin.Context) {
	me := caller(c)
	id := me.UserID
	if p := c.Param("id"); p != "me" {
		var ok bool
		if id, ok = httpx.PositiveID(p); !ok {
			a.fail(c, errUserNotFound)
			return
		}
	}
	a.answer(c, func(ctx context.Context) (any, error) {
		// The account and the seminars come from different services: ask both at once.
		var u userclient.User
		var seminars contentclient.UserSeminars
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { u, err = a.users.User(ctx, me, id); return err })
		g.Go(func() (err error) { seminars, err = a.content.UserSeminars(ctx, me, id); return err })
		if err := g.Wait(); err != nil {
			return nil, err
		}
		return compose.BuildUser(u, seminars), nil
	})
}

func (a *api) updateUser(c *gin.Context) {
	me := caller(c)
	if p := c.Param("id"); p != "me" {
		id, ok := httpx.PositiveID(p)
		if !ok {
			a.fail(c, errUserNotFound)
			return
		}
		if id != me.UserID {
			a.fail(c, errNotYou)
			return
		}
	}
	raw, ok := body(c)
	if !ok {
		return
	}
	// The user service keeps this session alive through a password change
	// and ends every other one.
	withSession := me
	withSession.Session = auth.TokenOf(c)
	u, err := a.users.Update(c, withSession, me.UserID, raw)
	if err != nil {
		a.fail(c, err)
		return
	}
	// The sessions a new password ended must stop working at once, in
	// every replica: their token generations go. The identity (profiles)
	// may have changed too; telling which updates touch it is not worth it.
	a.auth.ForgetSessions(c, u.EndedSessions)
	a.auth.ForgetUser(c, me.UserID)
	a.respondUser(c, http.StatusOK, me, u.User)
}

func (a *api) becomeParticipant(c *gin.Context) {
	me := caller(c)
	raw, ok := body(c)
	if !ok {
		return
	}
	u, err := a.users.BecomeParticipant(c, me, raw)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.auth.ForgetUser(c, me.UserID)
	a.respondUser(c, http.StatusCreated, me, u)
}

func (a *api) respondUser(c *gin.Context, status int, me internalapi.Caller, u userclient.User) {
	seminars, err := a.content.UserSeminars(c, me, u.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(status, compose.BuildUser(u, seminars))
}

// --- seminars ---

func (a *api) createSeminar(c *gin.Context) {
	raw, ok := body(c)
	if !ok {
		return
	}
	me := caller(c)
	s, err := a.content.Create(c, me, raw)
	a.respondSeminar(c, http.StatusCreated, me, s, err)
}

func (a *api) seminarID(c *gin.Context) (int64, bool) {
	id, ok := httpx.PositiveID(c.Param("id"))
	if !ok {
		a.fail(c, errSeminarNotFound)
	}
	return id, ok
}

func (a *api) updateSeminar(c *gin.Context) {
	a.changeSeminar(c, http.StatusOK, a.content.Update)
}

func (a *api) getSeminar(c *gin.Context) {
	id, ok := a.seminarID(c)
	if !ok {
		return
	}
	me := caller(c)
	a.answer(c, func(ctx context.Context) (any, error) {
		s, err := a.content.Get(ctx, me, id)
		if err != nil {
			return nil, err
		}
		return compose.BuildSeminar(ctx, a.users, me, s)
	})
}

func (a *api) joinSeminar(c *gin.Context) {
	a.changeSeminar(c, http.StatusCreated, a.content.Join)
}

// changeSeminar sends a write with a body to seminar :id and answers with
// the seminar it left.
func (a *api) changeSeminar(c *gin.Context, status int, send func(context.Context, internalapi.Caller, int64, []byte) (contentclient.Seminar, error)) {
	id, ok := a.seminarID(c)
	if !ok {
		return
	}
	raw, ok := body(c)
	if !ok {
		return
	}
	me := caller(c)
	s, err := send(c, me, id, raw)
	a.respondSeminar(c, status, me, s, err)
}

func (a *api) dropSeminar(c *gin.Context) {
	id, ok := a.seminarID(c)
	if !ok {
		return
	}
	me := caller(c)
	s, err := a.content.Drop(c, me, id)
	a.respondSeminar(c, http.StatusOK, me, s, err)
}

func (a *api) respondSeminar(c *gin.Context, status int, me internalapi.Caller, s contentclient.Seminar, err error) {
	if err != nil {
		a.fail(c, err)
		return
	}
	out, err := compose.BuildSeminar(c, a.users, me, s)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(status, out)
}

func (a *api) listSeminars(c *gin.Context) {
	me := caller(c)
	q := contentclient.ListQuery{Order: c.Query("order")}
	if name, ok := c.GetQuery("name"); ok {
		q.Name = &name
	}
	if _, paged := c.GetQuery("limit"); paged {
		a.listPage(c, me, q)
		return
	}
	a.answer(c, func(ctx context.Context) (any, error) {
		list, err := a.content.List(ctx, me, q)
		if err != nil {
			return nil, err
		}
		return compose.BuildSeminars(ctx, a.users, me, list)
	})
}

// listPage answers the opt-in paginated list (?limit=, then the cursor
// each page names as "next"): DRF's cursor pagination shape, so clients
// that never send limit keep getting the whole array.
func (a *api) listPage(c *gin.Context, me internalapi.Caller, q contentclient.ListQuery) {
	limit := c.Query("limit")
	a.answer(c, func(ctx context.Context) (any, error) {
		page, err := a.content.Page(ctx, me, q, limit, c.Query("cursor"))
		if err != nil {
			return nil, err
		}
		results, err := compose.BuildCards(ctx, a.users, me, page.Results)
		if err != nil {
			return nil, err
		}
		out := contract.SeminarPage{Results: results}
		if page.Next != "" {
			// Only what selects the list: the link is the same for every
			// request that shares this answer.
			next := url.Values{"limit": {limit}, "cursor": {page.Next}}
			if q.Order == "earliest" {
				next.Set("order", "earliest")
			}
			if q.Name != nil {
				next.Set("name", *q.Name)
			}
			link := "/api/v1/seminar/?" + next.Encode()
			out.Next = &link
		}
		return out, nil
	})
}

// identityOf is the identity a user object describes.
func identityOf(u userclient.User) userclient.Identity {
	id := userclient.Identity{UserID: u.ID, Instructor: u.Instructor != nil}
	if u.Participant != nil {
		id.Participant = &userclient.ParticipantIdentity{Accepted: u.Participant.Accepted}
	}
	return id
}
