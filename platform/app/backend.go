package app

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/platform/server"
)

// Routes builds a backend's handler from its pool.
type Routes func(log *slog.Logger, pool *pgxpool.Pool, ready *server.Readiness) http.Handler

// Backend is Main for a service that owns a PostgreSQL database: "serve"
// runs routes on a pool, "migrate" applies the embedded migrations.
func Backend(service string, base config.Base, db config.Database, migrations fs.FS, routes Routes) {
	Main(service, base, map[string]Command{
		"serve": func(ctx context.Context, log *slog.Logger) error {
			pool, err := postgres.Open(ctx, db.URL, db.MaxConns)
			if err != nil {
				return err
			}
			defer pool.Close()
			ready := &server.Readiness{}
			return Serve(ctx, log, base, ready, routes(log, pool, ready))
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
