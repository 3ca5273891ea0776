package httpx

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seminarhub/seminarhub/platform/server"
)

// Check is one dependency readiness needs (the database, a backend).
type Check func(ctx context.Context) error

// Probes registers /metrics (Prometheus), /healthz (the process answers; nothing outside it is
// checked, so a database outage never restarts pods) and /readyz (each check
// passes within a short deadline and the process is not draining).
func Probes(r gin.IRoutes, ready *server.Readiness, checks map[string]Check) {
	r.GET("/metrics", gin.WrapH(promhttp.Handler()))
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", func(c *gin.Context) {
		if ready.Draining() {
			Abort(c, http.StatusServiceUnavailable, "shutting down")
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
		defer cancel()
		for name, check := range checks {
			if err := check(ctx); err != nil {
				Abort(c, http.StatusServiceUnavailable, name+" is not reachable")
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
}
