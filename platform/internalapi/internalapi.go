// Package internalapi holds the conventions of the services' internal HTTP
// APIs (/internal/v1/...): the shared secret, the caller identity the gateway
// vouches for, JSON errors, and a Client the gateway uses to call them with
// trace context and request id propagated.
package internalapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/problem"
)

// Headers carrying the authenticated caller from the gateway to a backend.
const (
	CallerIDHeader          = "X-Caller-ID"
	CallerParticipantHeader = "X-Caller-Participant" // "", "accepted" or "pending"
	CallerInstructorHeader  = "X-Caller-Instructor"  // "true" or ""
	// SessionTokenHeader carries the caller's own token to the user
	// service, on the one call that needs it (a password change keeps that
	// session); no other call, and no other service, ever sees it.
	SessionTokenHeader = "X-Session-Token"
	// ClientAddressHeader carries the network address the edge saw the
	// request come from, for budgets kept per address (signups, failed
	// logins).
	ClientAddressHeader = "X-Client-Address"
)

type ctxKey int

const clientAddressKey ctxKey = iota

// WithClientAddress returns ctx carrying the address of the client a
// request came from; every backend call made with it passes it on.
func WithClientAddress(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddressKey, addr)
}

// ClientAddressOf reads the client address a backend request was made for
// ("" when the caller sent none). Trusted only behind the internal secret.
func ClientAddressOf(c *gin.Context) string { return c.GetHeader(ClientAddressHeader) }

// Caller is the authenticated user on whose behalf the gateway calls.
type Caller struct {
	UserID int64
	// Participant is "" (no participant profile), "accepted" or "pending".
	Participant string
	Instructor  bool
	// Session is the caller's token, set by the gateway only on a call that
	// needs it (SessionTokenHeader); empty everywhere else.
	Session string
}

// Participation states of a caller.
const (
	ParticipantAccepted = "accepted"
	ParticipantPending  = "pending"
)

func (c Caller) set(h http.Header) {
	if c.UserID == 0 {
		return
	}
	h.Set(CallerIDHeader, strconv.FormatInt(c.UserID, 10))
	h.Set(CallerParticipantHeader, c.Participant)
	if c.Instructor {
		h.Set(CallerInstructorHeader, "true")
	}
	if c.Session != "" {
		h.Set(SessionTokenHeader, c.Session)
	}
}

// CallerOf reads the caller a backend request was made for. Backends mount
// it only behind httpx.RequireInternalSecret, so the headers are trusted.
func CallerOf(c *gin.Context) (Caller, bool) {
	id, err := strconv.ParseInt(c.GetHeader(CallerIDHeader), 10, 64)
	if err != nil || id <= 0 {
		return Caller{}, false
	}
	p := c.GetHeader(CallerParticipantHeader)
	if p != ParticipantAccepted && p != ParticipantPending {
		p = ""
	}
	return Caller{UserID: id, Participant: p, Instructor: c.GetHeader(CallerInstructorHeader) == "true"}, true
}

// RequireCaller answers 401 when a backend route that needs a caller has none.
func RequireCaller(c *gin.Context) {
	if _, ok := CallerOf(c); !ok {
		httpx.Abort(c, http.StatusUnauthorized, "internal endpoint: no caller identity")
		return
	}
	c.Next()
}

// Client calls one backend service.
type Client struct {
	base    string
	secret  string
	timeout time.Duration
	http    *http.Client
}

// NewClient returns a client for the service at base (e.g.
// "http://user:8081"), traced with client spans. Every call waits at most
// timeout, less when its context ends sooner, and tells the backend a
// tenth less than that (httpx.TimeoutHeader), so its answer, even a
// refusal on its own deadline, arrives while the caller still listens.
func NewClient(base, secret string, timeout time.Duration) *Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &Client{
		base:    base,
		secret:  secret,
		timeout: timeout,
		http:    &http.Client{Transport: otelhttp.NewTransport(t)},
	}
}

// Do sends body (raw JSON bytes, a value to encode, or nil) and decodes a 2xx
// answer into out. A 4xx answer becomes the *problem.Error the backend
// described, so the gateway answers with the same status and message; an
// unreachable or failing backend becomes problem.ErrUnavailable (503). The
// Deps of a successful answer go to ctx's cache.Collector, if any.
func (c *Client) Do(ctx context.Context, method, path string, caller Caller, body any, out any) error {
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(enc)
	}
	// A handler's gin.Context is reused by gin once the handler returns, and
	// a deadline timer derived from it reads it when it fires — possibly
	// just after. Everything a call needs is in the request's own context.
	if g, ok := ctx.(*gin.Context); ok && g.Request != nil {
		ctx = g.Request.Context()
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(httpx.InternalSecretHeader, c.secret)
	if id := httpx.RequestIDFrom(ctx); id != "" {
		req.Header.Set(httpx.RequestIDHeader, id)
	}
	if deadline, ok := ctx.Deadline(); ok {
		req.Header.Set(httpx.TimeoutHeader, strconv.FormatInt(max(1, backendBudget(time.Until(deadline)).Milliseconds()), 10))
	}
	if addr, _ := ctx.Value(clientAddressKey).(string); addr != "" {
		req.Header.Set(ClientAddressHeader, addr)
	}
	caller.set(req.Header)

	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", problem.ErrUnavailable, method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	payload, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%w: reading %s %s: %w", problem.ErrUnavailable, method, path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		cache.Record(ctx, resp.Header)
		if out == nil {
			return nil
		}
		return json.Unmarshal(payload, out)
	}
	return statusError(resp.StatusCode, resp.Header, payload, method, path)
}

func statusError(status int, header http.Header, payload []byte, method, path string) error {
	var body httpx.ErrorBody
	_ = json.Unmarshal(payload, &body)
	// A refusal with a time to come back is passed on as it came: the
	// client, not the gateway, is the one to wait.
	if wait, err := strconv.Atoi(header.Get("Retry-After")); err == nil && body.Error != "" {
		switch status {
		case http.StatusTooManyRequests:
			return &problem.Error{Kind: problem.Throttled, Message: body.Error, RetryAfter: time.Duration(wait) * time.Second}
		case http.StatusServiceUnavailable:
			return &problem.Error{Kind: problem.Busy, Message: body.Error, RetryAfter: time.Duration(wait) * time.Second}
		}
	}
	kinds := map[int]problem.Kind{
		http.StatusBadRequest:   problem.Invalid,
		http.StatusUnauthorized: problem.Unauthenticated,
		http.StatusForbidden:    problem.Forbidden,
		http.StatusNotFound:     problem.NotFound,
		// Backends always say when to come back; without it, at once.
		http.StatusTooManyRequests: problem.Throttled,
	}
	if kind, ok := kinds[status]; ok && body.Error != "" {
		return &problem.Error{Kind: kind, Message: body.Error, Fields: body.Fields}
	}
	if status == http.StatusServiceUnavailable || status == http.StatusBadGateway || status == http.StatusGatewayTimeout {
		return fmt.Errorf("%w: %s %s answered %d", problem.ErrUnavailable, method, path, status)
	}
	return errors.New(method + " " + path + " answered " + strconv.Itoa(status) + ": " + body.Error)
}

// Healthy checks that the service answers on its internal API (Ping).
func (c *Client) Healthy(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, pingPath, Caller{}, nil, nil)
}

const pingPath = "/internal/v1/ping"

// Ping answers the gateway's readiness check on a backend's internal API —
// the address the gateway really uses — behind the internal secret like
// everything there (probes and metrics live on the ops listener).
func Ping(r gin.IRoutes, secret string) {
	r.GET(pingPath, httpx.RequireInternalSecret(secret), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
}

// backendBudget is how long a backend may take of the time left: a tenth
// less, because the backend starts its clock only when the request reaches
// its handler (after connecting and queueing, which a loaded machine
// stretches) and its answer still has to travel back. Without it a backend
// that answers on its own deadline answers after the caller stopped
// listening.
func backendBudget(left time.Duration) time.Duration { return left - left/10 }
