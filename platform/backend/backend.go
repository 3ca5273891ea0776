// Package backend is app.Main for a service that owns a PostgreSQL
// database. It is its own package so that a binary without a database (the
// gateway) links no driver: importing it is what brings pgx in.
package backend

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/app"
	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/postgres"
)

// Routes builds a backend's handler from its pool and cache.
type Routes func(log *slog.Logger, pool *pgxpool.Pool, c *cache.Cache) http.Handler

// Main runs a backend: "serve" runs routes on a pool, "migrate" applies
// the embedded migrations.
func Main(service string, base config.Base, db Database, migrations postgres.Migrations, routes Routes) {
	app.Main(service, base, map[string]app.Command{
		"serve": func(ctx context.Context, log *slog.Logger) error {
			pool, err := postgres.Open(ctx, db.URL, db.MaxConns)
			if err != nil {
				return err
			}
			defer pool.Close()
			c, closeCache, err := app.OpenCache(base, service, log)
			if err != nil {
				return err
			}
			defer closeCache()
			return app.Serve(ctx, log, base, routes(log, pool, c), map[string]httpx.Check{"postgres": pool.Ping})
		},
		"migrate": func(ctx context.Context, log *slog.Logger) error {
			pool, err := postgres.Open(ctx, db.URL, 2)
			if err != nil {
				return err
			}
			defer pool.Close()
			return postgres.Migrate(ctx, pool, migrations, log)
		},
	})
}

// Database is a backend service's PostgreSQL connection.
type Database struct {
	URL      string `env:"DATABASE_URL"`
	MaxConns int32  `env:"DB_MAX_CONNS" envDefault:"10"`
}

// Validate checks the connection settings; devURL is used when DATABASE_URL
// is unset (local development only).
func (d *Database) Validate(environment, devURL string) error {
	if d.URL == "" {
		d.URL = devURL
	}
	cfg, err := pgxpool.ParseConfig(d.URL)
	if err != nil {
		return config.Invalid("DATABASE_URL", "not a valid PostgreSQL URL")
	}
	if d.MaxConns < 1 {
		return config.Invalid("DB_MAX_CONNS", "must be at least 1")
	}
	return config.RejectDevSecret(environment, "DATABASE_URL", cfg.ConnConfig.Password)
}
