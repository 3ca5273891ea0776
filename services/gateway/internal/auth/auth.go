// Package auth authenticates public requests: "Authorization: Token <key>"
// is resolved to an identity by the user service. The identity travels to the
// backends as caller headers they trust behind the internal secret.
package auth

import (
	"context"
	"log/slog"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/problem"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// Identifier resolves a token to an identity.
type Identifier interface {
	Identify(ctx context.Context, token string) (userclient.Identity, error)
}

const (
	identityKey = "seminarhub.identity"
	tokenKey    = "seminarhub.token"
)

// Required rejects requests without a valid token (401 with
// WWW-Authenticate: Token) and stores the caller's identity for handlers.
func Required(ids Identifier, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, ok := Token(c.GetHeader("Authorization"))
		if !ok {
			httpx.Unauthorized(c, "authentication credentials were not provided")
			return
		}
		id, err := ids.Identify(c.Request.Context(), token)
		if p, isProblem := problem.As(err); isProblem && p.Kind == problem.Unauthenticated {
			httpx.Unauthorized(c, "invalid or revoked token")
			return
		}
		if err != nil {
			httpx.Fail(c, log, err)
			return
		}
		c.Set(identityKey, id)
		c.Set(tokenKey, token)
		c.Next()
	}
}

// Token extracts the key from an Authorization header value. The scheme is
// matched case-insensitively, as HTTP auth schemes are.
func Token(header string) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(header), " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Token") || key == "" || strings.ContainsAny(key, " \t") {
		return "", false
	}
	return key, true
}

// Identity returns the authenticated caller (only behind Required).
func Identity(c *gin.Context) userclient.Identity {
	id, _ := c.Get(identityKey)
	return id.(userclient.Identity)
}

// TokenOf returns the token the request authenticated with.
func TokenOf(c *gin.Context) string { return c.GetString(tokenKey) }
