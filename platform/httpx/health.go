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

// OpsHandler answers what the platform and operators ask a process —
// /healthz, /readyz, /metrics — on a listener of its own (OPS_ADDR), never
// beside the API: the API's listener is reachable by every caller of the
// service, the ops listener only by what needs it (kubelet probes, the
// metrics scraper; see deploy/k8s network policies). Probes are not
// access-logged: they come every few seconds and say nothing.
func OpsHandler(ready *server.Readiness, checks map[string]Check) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.CustomRecovery(func(c *gin.Context, _ any) { Abort(c, http.StatusInternalServerError, "internal server error") }))
	Probes(r, ready, checks)
	r.NoRoute(func(c *gin.Context) { Abort(c, http.StatusNotFound, "not found") })
	return r
}

// Probes registers /metrics (Prometheus), /healthz (the process answers; nothing outside it is
// checked, so a database outage never restarts pods) and /readyz (each check
// passes within a short deadline and the process is not draining).
func Probes(r gin.IRoutes, ready *server.Readiness, checks map[string]Check) {
	r.Match(GETAndHEAD, "/metrics", gin.WrapH(promhttp.Handler()))
	r.Match(GETAndHEAD, "/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.Match(GETAndHEAD, "/readyz", func(c *gin.Context) {
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
