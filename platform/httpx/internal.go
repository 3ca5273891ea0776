package httpx

import (
	"crypto/subtle"
	"net/http"

	"github.com/gin-gonic/gin"
)

// InternalSecretHeader carries the shared secret that proves a request to a
// backend service comes from the gateway.
const InternalSecretHeader = "X-Internal-Secret" //nolint:gosec // a header name, not a credential

// RequireInternalSecret rejects callers that do not present the secret. The
// backends trust the caller-identity headers only behind this check.
func RequireInternalSecret(secret string) gin.HandlerFunc {
	want := []byte(secret)
	return func(c *gin.Context) {
		got := []byte(c.GetHeader(InternalSecretHeader))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			Abort(c, http.StatusUnauthorized, "internal endpoint: missing or wrong "+InternalSecretHeader)
			return
		}
		c.Next()
	}
}
