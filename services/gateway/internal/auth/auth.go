// Package auth authenticates public requests: "Authorization: Token <key>"
// is resolved to an identity by the user service. The identity travels to the
// backends as caller headers they trust behind the internal secret.
package auth

import (
	"context"
	"strings"

	"github.com/gin-gonic/gin"

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

// Set records the authenticated caller and their token for the handlers.
func Set(c *gin.Context, id userclient.Identity, token string) {
	c.Set(identityKey, id)
	c.Set(tokenKey, token)
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

// Identity returns the authenticated caller (only after Set).
func Identity(c *gin.Context) userclient.Identity {
	id, _ := c.Get(identityKey)
	return id.(userclient.Identity)
}

// TokenOf returns the token the request authenticated with.
func TokenOf(c *gin.Context) string { return c.GetString(tokenKey) }
