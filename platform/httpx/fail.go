package httpx

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/problem"
)

// Fail answers err with the status its kind calls for. Anything that is
// neither a broken rule nor an outage is a bug: logged in full, answered
// with a bare 500 that leaks nothing.
func Fail(c *gin.Context, log *slog.Logger, err error) {
	if p, ok := problem.As(err); ok {
		switch p.Kind {
		case problem.Invalid:
			if errors.Unwrap(err) != nil {
				// A rule error an adapter derived from its own (data the
				// database refused): a validation gap, logged so it gets closed.
				log.WarnContext(c.Request.Context(), "input reached the database unvalidated", "error", err.Error())
			}
			c.AbortWithStatusJSON(http.StatusBadRequest, ErrorBody{Error: p.Message, Fields: p.Fields})
		case problem.Forbidden:
			Abort(c, http.StatusForbidden, p.Message)
		case problem.NotFound:
			Abort(c, http.StatusNotFound, p.Message)
		case problem.Unauthenticated:
			Unauthorized(c, p.Message)
		case problem.Throttled:
			retryAfter(c, p.RetryAfter)
			Abort(c, http.StatusTooManyRequests, p.Message)
		case problem.Busy:
			retryAfter(c, p.RetryAfter)
			Abort(c, http.StatusServiceUnavailable, p.Message)
		default:
			Abort(c, http.StatusInternalServerError, "internal server error")
		}
		return
	}
	if errors.Is(err, problem.ErrUnavailable) || errors.Is(err, context.Canceled) {
		log.WarnContext(c.Request.Context(), "dependency unavailable", "error", err.Error())
		Abort(c, http.StatusServiceUnavailable, "service temporarily unavailable, try again shortly")
		return
	}
	log.ErrorContext(c.Request.Context(), "request failed", "error", err.Error())
	Abort(c, http.StatusInternalServerError, "internal server error")
}

// retryAfter sets Retry-After in whole seconds, rounded up and at least 1:
// a client told 0 would come straight back.
func retryAfter(c *gin.Context, d time.Duration) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}
