package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
)

// RequestIDHeader carries one id per request from the edge through every service.
const RequestIDHeader = "X-Request-ID"

type ctxKey int

const requestIDKey ctxKey = iota

// NewEngine returns a gin engine with the middleware every service needs, in
// order: panic recovery as JSON 500, a server span, the request id, one access
// log line. Unknown paths and methods answer JSON 404/405.
func NewEngine(service string, log *slog.Logger) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// Our own path normalisation (see StripTrailingSlash) replaces gin's
	// redirects: a redirected POST loses its body.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	r.Use(recovery(log), otelgin.Middleware(service), requestID, accessLog(log), validUTF8)
	r.NoRoute(func(c *gin.Context) { noStore(c); Abort(c, http.StatusNotFound, "not found") })
	r.NoMethod(func(c *gin.Context) { noStore(c); Abort(c, http.StatusMethodNotAllowed, "method not allowed") })
	return r
}

// GETAndHEAD is what a readable route answers: HTTP wants HEAD wherever
// GET is served (load balancers and uptime checkers use it), and gin does
// not add it. Go's server sends no body for HEAD, and the same status and
// headers, Content-Length included, as the GET would have.
var GETAndHEAD = []string{http.MethodGet, http.MethodHead}

// noStore keeps an answer out of every cache: an error now says nothing
// about the same request later.
func noStore(c *gin.Context) { c.Header("Cache-Control", "no-store") }

// StripTrailingSlash routes "/a/b/" and "/a/b" alike without a redirect.
func StripTrailingSlash(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			r.URL.RawPath = ""
		}
		h.ServeHTTP(w, r)
	})
}

// RequestID returns the id of the request being served.
func RequestID(c *gin.Context) string { return RequestIDFrom(c.Request.Context()) }

// RequestIDFrom returns the request id stored in ctx, for outgoing calls.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if id == "" || len(id) > 128 {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey, id))
	c.Header(RequestIDHeader, id)
	c.Next()
}

func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "request",
			"method", c.Request.Method,
			"route", route,
			"path", c.Request.URL.Path,
			"status", c.Writer.Status(),
			"latency_ms", float64(time.Since(start).Microseconds())/1000,
			"bytes", c.Writer.Size(),
			"request_id", RequestID(c),
		)
	}
}

// validUTF8 refuses (400) a request whose path or query is not UTF-8
// (%ff, say): no text the services store can hold it, and PostgreSQL
// rejects it (SQLSTATE 22021) — bad input, not a server error. Bodies need
// no check: JSON decoding replaces invalid bytes.
func validUTF8(c *gin.Context) {
	if !utf8.ValidString(c.Request.URL.Path) {
		Abort(c, http.StatusBadRequest, "the path is not valid UTF-8")
		return
	}
	if raw := c.Request.URL.RawQuery; raw != "" {
		for key, values := range c.Request.URL.Query() {
			if !utf8.ValidString(key) || !allValid(values) {
				Abort(c, http.StatusBadRequest, "the query is not valid UTF-8")
				return
			}
		}
	}
	c.Next()
}

func allValid(values []string) bool {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

func recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.ErrorContext(c.Request.Context(), "panic while serving request", "panic", err, "path", c.Request.URL.Path)
		Abort(c, http.StatusInternalServerError, "internal server error")
	})
}

// TimeoutHeader tells a backend how long its caller will wait for the
// answer, in milliseconds (internalapi.Client sets it from the caller's
// deadline): work that cannot be done in time can then be refused at once
// instead of done for nobody.
const TimeoutHeader = "X-Request-Timeout"

// Deadline bounds every request's context so a stalled database answers 503
// within d instead of holding the client until its own timeout. A caller
// that will wait less (TimeoutHeader) shortens it; mount Deadline only
// behind RequireInternalSecret, which is what makes the header trusted.
func Deadline(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		d := d
		if ms, err := strconv.ParseInt(c.GetHeader(TimeoutHeader), 10, 64); err == nil && ms > 0 {
			d = min(d, time.Duration(ms)*time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
