package httpx_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/problem"
)

func engine() http.Handler {
	r := httpx.NewEngine("test", slog.New(slog.DiscardHandler))
	r.POST("/things", func(c *gin.Context) {
		obj, ok := httpx.ReadObject(c)
		if !ok {
			return
		}
		c.JSON(http.StatusCreated, gin.H{"fields": len(obj)})
	})
	r.GET("/panic", func(*gin.Context) { panic("boom") })
	return httpx.StripTrailingSlash(r)
}

func do(t *testing.T, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	engine().ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w, m
}

func TestTrailingSlashRoutesTheSameWithoutRedirect(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/things", "/things/"} {
		if w, _ := do(t, "POST", p, `{"a":1}`); w.Code != http.StatusCreated {
			t.Fatalf("%s: %d", p, w.Code)
		}
	}
}

func TestUnknownPathsAndMethodsAreJSON(t *testing.T) {
	t.Parallel()
	w, m := do(t, "GET", "/nope", "")
	if w.Code != 404 || m["error"] == nil {
		t.Fatalf("404: %d %v", w.Code, m)
	}
	w, m = do(t, "DELETE", "/things", "")
	if w.Code != 405 || m["error"] == nil {
		t.Fatalf("405: %d %v", w.Code, m)
	}
}

func TestOversizedBodiesAre413(t *testing.T) {
	t.Parallel()
	w, m := do(t, "POST", "/things", `{"a":"`+strings.Repeat("x", httpx.MaxBodyBytes)+`"}`)
	if w.Code != 413 || m["error"] == nil {
		t.Fatalf("%d %v", w.Code, m)
	}
}

func TestAPanicIsAJSON500ThatLeaksNothing(t *testing.T) {
	t.Parallel()
	w, m := do(t, "GET", "/panic", "")
	if w.Code != 500 || m["error"] != "internal server error" || strings.Contains(w.Body.String(), "boom") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestRequestIDIsEchoedOrGenerated(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/nope", nil)
	req.Header.Set("X-Request-ID", "given")
	w := httptest.NewRecorder()
	engine().ServeHTTP(w, req)
	if w.Header().Get("X-Request-ID") != "given" {
		t.Fatalf("echo: %q", w.Header().Get("X-Request-ID"))
	}
	w2, _ := do(t, "GET", "/nope", "")
	if len(w2.Header().Get("X-Request-ID")) != 32 {
		t.Fatalf("generated: %q", w2.Header().Get("X-Request-ID"))
	}
}

func TestPositiveIDAcceptsOnlyPositiveIntegers(t *testing.T) {
	t.Parallel()
	if id, ok := httpx.PositiveID("42"); !ok || id != 42 {
		t.Fatalf("42: %d %v", id, ok)
	}
	for _, s := range []string{"0", "-1", "abc", "me", "", "99999999999999999999", "1.5"} {
		if _, ok := httpx.PositiveID(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

// deadlineLeft answers how long the request's context had left when the
// handler ran, behind Deadline(10s).
func deadlineLeft(t *testing.T, header string) time.Duration {
	t.Helper()
	r := httpx.NewEngine("test", slog.New(slog.DiscardHandler))
	var left time.Duration
	r.GET("/work", httpx.Deadline(10*time.Second), func(c *gin.Context) {
		d, _ := c.Request.Context().Deadline()
		left = time.Until(d)
	})
	req := httptest.NewRequest("GET", "/work", nil)
	if header != "" {
		req.Header.Set(httpx.TimeoutHeader, header)
	}
	r.ServeHTTP(httptest.NewRecorder(), req)
	return left
}

func TestACallerWhoWillWaitLessShortensTheDeadline(t *testing.T) {
	t.Parallel()
	if left := deadlineLeft(t, "1500"); left > 1500*time.Millisecond || left < time.Second {
		t.Fatalf("with %s: 1500, %s left; want about 1.5s", httpx.TimeoutHeader, left)
	}
	for _, h := range []string{"", "60000", "soon", "-5"} {
		if left := deadlineLeft(t, h); left > 10*time.Second || left < 9*time.Second {
			t.Fatalf("with %s: %q, %s left; want the service's own 10s", httpx.TimeoutHeader, h, left)
		}
	}
}

func TestABusyServiceAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	r := httpx.NewEngine("test", slog.New(slog.DiscardHandler))
	r.GET("/busy", func(c *gin.Context) {
		httpx.Fail(c, slog.New(slog.DiscardHandler), &problem.Error{Kind: problem.Busy, Message: "at capacity", RetryAfter: 2300 * time.Millisecond})
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/busy", nil))
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	if w.Code != 503 || w.Header().Get("Retry-After") != "3" || m["error"] != "at capacity" {
		t.Fatalf("%d, Retry-After %q, %s; want 503, 3 (seconds, rounded up) and the message", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}
