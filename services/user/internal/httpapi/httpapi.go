// Package httpapi is the user service's internal HTTP API. Each handler
// validates its input through the account domain, runs one store call (one
// transaction) and answers with the client package's wire types.
package httpapi

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/internalapi"
	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/services/user/client"
	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/services/user/internal/guard"
	"github.com/seminarhub/seminarhub/services/user/internal/password"
	"github.com/seminarhub/seminarhub/services/user/internal/store"
)

type api struct {
	log   *slog.Logger
	store store.Store
	guard *guard.Guard // signup and login budgets, shared by every replica
	// hasher does every password hash, a bounded number at once. Handlers
	// give it the request's context, not gin's Context: it derives a
	// deadline timer, and one that fires as the request ends would read
	// the gin.Context while gin reuses it (a data race -race found).
	hasher *password.Hasher
}

// New builds the service's HTTP handler over st (a cached store in
// production: see store.Cached). Signups and logins go through g; every
// password is hashed by h.
func New(log *slog.Logger, base config.Base, st store.Store, g *guard.Guard, h *password.Hasher) http.Handler {
	a := &api{log: log, store: st, guard: g, hasher: h}
	r := httpx.NewEngine("user", log)
	internalapi.Ping(r, base.InternalSecret)

	v1 := r.Group("/internal/v1", httpx.RequireInternalSecret(base.InternalSecret), httpx.Deadline(base.RequestTimeout))
	v1.POST("/users", a.signup)
	v1.POST("/sessions", a.login)
	v1.POST("/tokens/identify", a.identify)
	v1.POST("/tokens/revoke", a.revoke)
	v1.POST("/users/summaries", a.summaries)

	asCaller := v1.Group("", internalapi.RequireCaller)
	asCaller.GET("/users/:id", a.get)
	asCaller.PATCH("/users/:id", a.update)
	asCaller.POST("/users/:id/participant", a.becomeParticipant)
	return httpx.StripTrailingSlash(r)
}

// fail answers an error; the store's own (an unreachable database, data it
// refused) are put in the shared vocabulary first.
func (a *api) fail(c *gin.Context, err error) { httpx.Fail(c, a.log, postgres.Classify(err)) }

func (a *api) signup(c *gin.Context) {
	obj, ok := httpx.ReadObject(c)
	if !ok {
		return
	}
	su, err := account.ParseSignup(obj)
	if err != nil {
		a.fail(c, err)
		return
	}
	address := internalapi.ClientAddressOf(c)
	if err := a.guard.Signup(c, address); err != nil {
		a.fail(c, err)
		return
	}
	hash, err := a.hasher.Hash(c.Request.Context(), su.Password)
	if err != nil {
		a.fail(c, err)
		return
	}
	token, digest := account.NewToken()
	u, err := a.store.CreateUser(c, su, hash, digest)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.guard.SignedUp(c, address)
	c.JSON(http.StatusCreated, client.Session{User: toWire(u), Token: token})
}

func (a *api) login(c *gin.Context) {
	obj, ok := httpx.ReadObject(c)
	if !ok {
		return
	}
	// A missing or malformed username or password is simply a wrong one:
	// the contract has one answer (403) for every failed login.
	r := input.NewReader(obj)
	username, secret := r.String("username"), r.String("password")
	if !username.Given() || !secret.Given() || r.Err() != nil {
		a.fail(c, account.ErrInvalidCredentials)
		return
	}
	// Refused attempts (package guard) cost no password hashing.
	address := internalapi.ClientAddressOf(c)
	if err := a.guard.Login(c, username.Value, address); err != nil {
		a.fail(c, err)
		return
	}
	id, hash, err := a.store.PasswordHash(c, username.Value)
	if err != nil {
		a.fail(c, err)
		return
	}
	match, err := a.hasher.Matches(c.Request.Context(), secret.Value, hash)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !match {
		a.guard.LoginFailed(c, address)
		a.fail(c, account.ErrInvalidCredentials)
		return
	}
	a.guard.LoginSucceeded(c, username.Value)
	token, digest := account.NewToken()
	u, err := a.store.IssueToken(c, id, hash, digest)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, client.Session{User: toWire(u), Token: token})
}

func (a *api) identify(c *gin.Context) {
	var req client.TokenRequest
	if err := httpx.DecodeJSON(c, &req); err != nil || req.Token == "" {
		a.fail(c, store.ErrUnauthenticated)
		return
	}
	id, err := a.store.Identify(c, account.TokenDigest(req.Token))
	if err != nil {
		a.fail(c, err)
		return
	}
	out := client.Identity{UserID: id.UserID, Instructor: id.Instructor}
	if id.Participant != nil {
		out.Participant = &client.ParticipantIdentity{Accepted: id.Participant.Accepted}
	}
	c.JSON(http.StatusOK, out)
}

func (a *api) revoke(c *gin.Context) {
	var req client.TokenRequest
	if err := httpx.DecodeJSON(c, &req); err != nil || req.Token == "" {
		httpx.Abort(c, http.StatusBadRequest, "token is required")
		return
	}
	if err := a.store.RevokeToken(c, account.TokenDigest(req.Token)); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{})
}

// summaries answers the gateway's batch lookup of names.
func (a *api) summaries(c *gin.Context) {
	var req client.SummariesRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		httpx.Abort(c, http.StatusBadRequest, "ids must be a list of integers")
		return
	}
	a.read(c, func(ctx context.Context) (any, error) {
		list, err := a.store.Summaries(ctx, req.IDs)
		out := client.SummariesResponse{Users: make([]client.Summary, 0, len(list))}
		for _, s := range list {
			out.Users = append(out.Users, client.Summary{ID: s.ID, Username: s.Username, Email: s.Email, FirstName: s.FirstName, LastName: s.LastName})
		}
		return out, err
	})
}

func (a *api) read(c *gin.Context, read func(context.Context) (any, error)) {
	if err := httpx.Read(c, read); err != nil {
		a.fail(c, err)
	}
}

func userID(c *gin.Context) (int64, bool) { return httpx.PositiveID(c.Param("id")) }

func (a *api) get(c *gin.Context) {
	id, ok := userID(c)
	if !ok {
		a.fail(c, account.ErrNotFound)
		return
	}
	a.read(c, func(ctx context.Context) (any, error) {
		u, err := a.store.User(ctx, id)
		return toWire(u), err
	})
}

func (a *api) update(c *gin.Context) {
	caller, _ := internalapi.CallerOf(c)
	id, ok := userID(c)
	if !ok || id != caller.UserID {
		a.fail(c, account.ErrNotYou)
		return
	}
	obj, ok := httpx.ReadObject(c)
	if !ok {
		return
	}
	// The session making the change survives a new password (and only it).
	var keep []byte
	if token := c.GetHeader(internalapi.SessionTokenHeader); token != "" {
		keep = account.TokenDigest(token)
	}
	// A new password is hashed before the transaction: hashing waits its
	// turn and takes tens of milliseconds, and the user's row stays locked
	// for as long as the transaction runs.
	var newHash string
	if plain := account.PasswordIn(obj); plain != "" {
		var err error
		if newHash, err = a.hasher.Hash(c.Request.Context(), plain); err != nil {
			a.fail(c, err)
			return
		}
	}
	u, ended, err := a.store.UpdateUser(c, id, keep, func(u *account.User) (string, error) {
		changed, err := u.Update(obj)
		if err != nil || changed == "" {
			return "", err
		}
		return newHash, nil
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	out := client.Updated{User: toWire(u)}
	for _, d := range ended {
		out.EndedSessions = append(out.EndedSessions, hex.EncodeToString(d))
	}
	c.JSON(http.StatusOK, out)
}

func (a *api) becomeParticipant(c *gin.Context) {
	caller, _ := internalapi.CallerOf(c)
	if id, ok := userID(c); !ok || id != caller.UserID {
		a.fail(c, account.ErrNotYou)
		return
	}
	obj, ok := httpx.ReadObject(c)
	if !ok {
		return
	}
	p, err := account.ParseBecomeParticipant(obj)
	if err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.store.AddParticipant(c, caller.UserID, p)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toWire(u))
}
