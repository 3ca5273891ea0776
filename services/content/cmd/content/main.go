// Command content runs the content service: seminars and memberships.
//
//	content [serve]      serve the internal API
//	content migrate      apply the database migrations and exit
//	content healthcheck  exit 0 when the local /healthz answers
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"

	"github.com/seminarhub/seminarhub/platform/backend"
	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/services/content/internal/httpapi"
	"github.com/seminarhub/seminarhub/services/content/internal/store"
	"github.com/seminarhub/seminarhub/services/content/migrations"
)

// Config is the content service's environment.
type Config struct {
	config.Base
	backend.Database
	// CacheTTL bounds how long a cached answer (the list, a seminar, a
	// user's seminars) lives; writes retire them at once anyway, so this
	// only limits memory and drift after a lost invalidation.
	CacheTTL time.Duration `env:"CONTENT_CACHE_TTL" envDefault:"60s"`
}

// Validate fills the local defaults and checks what types alone cannot. The
// password in the default URL is a local development value only.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8082"
	}
	if c.OpsAddr == "" {
		c.OpsAddr = "127.0.0.1:9082"
	}
	if err := c.Base.Validate(); err != nil {
		return err
	}
	if c.CacheTTL <= 0 {
		return config.Invalid("CONTENT_CACHE_TTL", "must be positive")
	}
	return c.Database.Validate(c.Environment,
		"postgres://seminarhub_content:dev-only-content-db-password@127.0.0.1:55432/seminarhub_content?sslmode=disable")
}

func main() {
	cfg, err := config.Load[Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	backend.Main("content", cfg.Base, cfg.Database, migrations.All,
		func(log *slog.Logger, pool *pgxpool.Pool, c *cache.Cache) http.Handler {
			pg := store.NewPostgres(pool)
			if err := store.RecordSeats(pg, otel.GetMeterProvider()); err != nil {
				log.Error("seat gauges not registered", "error", err)
			}
			return httpapi.New(log, cfg.Base, store.NewCached(pg, c, cfg.CacheTTL))
		})
}
