package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/services/gateway/internal/answers"
	"github.com/seminarhub/seminarhub/services/gateway/internal/auth"
)

// authenticate resolves the caller of every authenticated route. For the
// reads this replica keeps finished answers of (answerKey), the caller's
// identity and the remembered answer are checked in one Redis round trip,
// and a current answer is sent at once: no backend call, no composition.
func (a *api) authenticate(c *gin.Context) {
	token, ok := auth.Token(c.GetHeader("Authorization"))
	if !ok {
		httpx.Unauthorized(c, "authentication credentials were not provided")
		return
	}
	var remembered *answers.Answer
	also := func(userID int64) cache.Deps {
		if key := answerKey(c, userID); key != "" {
			remembered = a.answers.Get(key)
		}
		return answers.DepsOf(remembered)
	}
	id, current, err := a.auth.Authenticate(c, token, also)
	if p, isProblem := problem.As(err); isProblem && p.Kind == problem.Unauthenticated {
		httpx.Unauthorized(c, "invalid or revoked token")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	auth.Set(c, id, token)
	if current {
		remembered.Write(c.Writer, c.Request, cache.Hit)
		c.Abort()
		return
	}
	c.Next()
}

// answerKey names the answer a read request asks for, the same for every
// caller ("me" is resolved to userID); "" for requests whose answers are
// not kept.
func answerKey(c *gin.Context, userID int64) string {
	if c.Request.Method != http.MethodGet {
		return ""
	}
	switch c.FullPath() {
	case "/api/v1/seminar":
		if _, search := c.GetQuery("name"); search {
			return "" // too many searches, each rarely repeated
		}
		// The contract: "earliest" for oldest first; anything else: newest.
		key := url.Values{"order": {"newest"}}
		if c.Query("order") == "earliest" {
			key.Set("order", "earliest")
		}
		if limit, paged := c.GetQuery("limit"); paged {
			key.Set("limit", limit)
			key.Set("cursor", c.Query("cursor"))
		}
		return "seminars?" + key.Encode()
	case "/api/v1/seminar/:id":
		if id, ok := httpx.PositiveID(c.Param("id")); ok {
			return "seminar/" + cache.Itoa(id)
		}
	case "/api/v1/user/:id":
		if c.Param("id") == "me" {
			return "user/" + cache.Itoa(userID)
		}
		if id, ok := httpx.PositiveID(c.Param("id")); ok {
			return "user/" + cache.Itoa(id)
		}
	}
	return ""
}

// answer composes a read, keeps the finished bytes (when every backend
// answer it was built from reported its generations: see Store.Put) and
// sends it, 304 when the client already has it.
func (a *api) answer(c *gin.Context, compose func(ctx context.Context) (any, error)) {
	ctx, deps := cache.Collect(c.Request.Context()) // not gin's Context: see internalapi.Client.Do
	out, err := compose(ctx)
	if err != nil {
		a.fail(c, err)
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		a.fail(c, err)
		return
	}
	ans := answers.New(body, deps.Deps())
	if key := answerKey(c, caller(c).UserID); key != "" {
		a.answers.Put(key, ans)
	}
	// X-Cache is how the parts were served (HIT only if all came from caches).
	ans.Write(c.Writer, c.Request, deps.Status())
}
