// Command gateway runs the public entry of seminarhub: it authenticates
// requests, routes them to the user and content services and composes their
// answers into the v1 contract.
//
//	gateway [serve]      serve the public API
//	gateway healthcheck  exit 0 when the local /healthz answers
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/seminarhub/seminarhub/platform/app"
	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/httpx"
	contentclient "github.com/seminarhub/seminarhub/services/content/client"
	"github.com/seminarhub/seminarhub/services/gateway/internal/httpapi"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// Config is the gateway's environment.
type Config struct {
	config.Base
	UserServiceURL    string        `env:"USER_SERVICE_URL" envDefault:"http://127.0.0.1:8081"`
	ContentServiceURL string        `env:"CONTENT_SERVICE_URL" envDefault:"http://127.0.0.1:8082"`
	BackendTimeout    time.Duration `env:"BACKEND_TIMEOUT" envDefault:"5s"`
	// IdentityTTL bounds how long a token's identity is cached. Logout,
	// becoming a participant and password changes retire it at once.
	IdentityTTL time.Duration `env:"IDENTITY_TTL" envDefault:"30s"`
	// Each replica keeps finished answers and resolved identities in
	// memory, checked against Redis on every use (see README, Caching).
	// MemoryMaxAge bounds how long either is kept even while Redis says
	// it is current: the longest a stale answer could be served should a
	// backend lose an invalidation without this replica seeing Redis fail.
	AnswerEntries   int           `env:"ANSWER_MEMORY_ENTRIES" envDefault:"2000"`
	IdentityEntries int           `env:"IDENTITY_MEMORY_ENTRIES" envDefault:"10000"`
	MemoryMaxAge    time.Duration `env:"MEMORY_MAX_AGE" envDefault:"5s"`
	// StaleIdentity: while the user service cannot answer, a token resolved
	// within this long is still honoured unless logout, a new password or a
	// profile change retired it since (stale-if-error); 0 turns it off.
	StaleIdentity time.Duration `env:"STALE_IDENTITY_WINDOW" envDefault:"15m"`
}

// Validate fills the local defaults and checks what types alone cannot.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.OpsAddr == "" {
		c.OpsAddr = "127.0.0.1:9080"
	}
	if err := c.Base.Validate(); err != nil {
		return err
	}
	for name, v := range map[string]string{"USER_SERVICE_URL": c.UserServiceURL, "CONTENT_SERVICE_URL": c.ContentServiceURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config.Invalid(name, "must be an http(s) URL such as http://127.0.0.1:8081, not %q", v)
		}
	}
	if c.IdentityTTL <= 0 {
		return config.Invalid("IDENTITY_TTL", "must be positive")
	}
	if c.AnswerEntries < 1 {
		return config.Invalid("ANSWER_MEMORY_ENTRIES", "must be at least 1")
	}
	if c.IdentityEntries < 1 {
		return config.Invalid("IDENTITY_MEMORY_ENTRIES", "must be at least 1")
	}
	if c.StaleIdentity < 0 {
		return config.Invalid("STALE_IDENTITY_WINDOW", "must not be negative")
	}
	if c.MemoryMaxAge <= 0 {
		return config.Invalid("MEMORY_MAX_AGE", "must be positive")
	}
	if c.BackendTimeout <= 0 {
		return config.Invalid("BACKEND_TIMEOUT", "must be positive")
	}
	return nil
}

func main() {
	cfg, err := config.Load[Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	app.Main("gateway", cfg.Base, map[string]app.Command{"serve": func(ctx context.Context, log *slog.Logger) error {
		users := userclient.New(cfg.UserServiceURL, cfg.InternalSecret, cfg.BackendTimeout)
		content := contentclient.New(cfg.ContentServiceURL, cfg.InternalSecret, cfg.BackendTimeout)
		c, closeCache, err := app.OpenCache(cfg.Base, "gateway", log)
		if err != nil {
			return err
		}
		defer closeCache()
		api := httpapi.New(log, users, content, c, httpapi.Memory{
			IdentityTTL: cfg.IdentityTTL, Answers: cfg.AnswerEntries, Identities: cfg.IdentityEntries, MaxAge: cfg.MemoryMaxAge, StaleIdentity: cfg.StaleIdentity,
		})
		return app.Serve(ctx, log, cfg.Base, api, map[string]httpx.Check{"user service": users.Healthy, "content service": content.Healthy})
	}})
}
