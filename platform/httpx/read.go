package httpx

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/cache"
)

// Read answers 200 with what read returns. read runs with a
// cache.Collector in its context, so the answer carries X-Cache and
// X-Cache-Deps as a cached store reported them — the handler itself never
// sees a key. An error is returned for the caller to answer.
func Read(c *gin.Context, read func(context.Context) (any, error)) error {
	ctx, col := cache.Collect(c.Request.Context())
	v, err := read(ctx)
	if err != nil {
		return err
	}
	col.Outcome().SetHeaders(c.Writer.Header())
	c.JSON(http.StatusOK, v)
	return nil
}
