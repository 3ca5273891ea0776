package app

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/postgres"
)

// Routes builds a backend's handler from its pool and cache.
type Routes func(log *slog.Logger, pool *pgxpool.Pool, c *cache.Cache) http.Handler

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
			c, closeCache, err := OpenCache(base, service, log)
			if err != nil {
				return err
			}
			defer closeCache()
			return Serve(ctx, log, base, routes(log, pool, c), map[string]httpx.Check{"postgres": pool.Ping})
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

// OpenCache connects the service's namespace of the shared Redis. Redis need
// not be up: the cache bypasses until it answers.
func OpenCache(base config.Base, namespace string, log *slog.Logger) (*cache.Cache, func(), error) {
	rdb, err := cache.Open(base.RedisURL, base.RedisTimeout)
	if err != nil {
		return nil, nil, err
	}
	if rdb == nil {
		log.Warn("REDIS_URL is empty: caching disabled")
		return cache.New(nil, namespace, log), func() {}, nil
	}
	return cache.New(rdb, namespace, log), func() { _ = rdb.Close() }, nil
}
