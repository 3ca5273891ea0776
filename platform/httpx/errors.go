// Package httpx is the HTTP plumbing shared by all services: the gin engine
// with its middleware, JSON error bodies, request bodies, request ids, access
// logs, probes and the internal-caller guard.
package httpx

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// ErrorBody is the JSON shape of every non-2xx response.
type ErrorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// Abort answers an error with the contract's JSON body and stops the chain.
func Abort(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: msg})
}

// AbortFields answers 400 with per-field messages.
func AbortFields(c *gin.Context, msg string, fields map[string]string) {
	c.AbortWithStatusJSON(http.StatusBadRequest, ErrorBody{Error: msg, Fields: fields})
}

// PositiveID parses an id from a path. Ids are positive integers; anything
// else ("abc", "0", an overflow) names nothing, which callers answer 404.
func PositiveID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// Unauthorized answers 401 with the challenge header the contract requires.
func Unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", "Token")
	Abort(c, http.StatusUnauthorized, msg)
}
