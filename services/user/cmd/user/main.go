// Command user runs the user service: accounts, profiles and tokens.
//
//	user [serve]      serve the internal API
//	user migrate      apply the database migrations and exit
//	user healthcheck  exit 0 when the local /healthz answers
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seminarhub/seminarhub/platform/backend"
	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/services/user/internal/guard"
	"github.com/seminarhub/seminarhub/services/user/internal/httpapi"
	"github.com/seminarhub/seminarhub/services/user/internal/password"
	"github.com/seminarhub/seminarhub/services/user/internal/store"
	"github.com/seminarhub/seminarhub/services/user/migrations"
)

// Config is the user service's environment.
type Config struct {
	config.Base
	backend.Database
	// TokenTTL expires tokens after this long; 0 keeps them until logout.
	TokenTTL time.Duration `env:"TOKEN_TTL" envDefault:"0s"`
	// CacheTTL bounds how long a cached user (summary or whole object)
	// lives; changes of the user retire it at once anyway.
	CacheTTL time.Duration `env:"USER_CACHE_TTL" envDefault:"5m"`
	// The budgets of package guard, counted in Redis across replicas.
	// LoginAttempts is how many logins one account may try a minute (a
	// burst of that many, then one every minute/LoginAttempts); a
	// successful login forgets the count. Spent, the account is locked
	// out: one interval, then twice as long each time, at most LockoutMax.
	LoginAttempts int           `env:"LOGIN_ATTEMPTS_PER_MINUTE" envDefault:"10"`
	LockoutMax    time.Duration `env:"LOGIN_LOCKOUT_MAX" envDefault:"15m"`
	// Per client address (0: none): failed logins and signups an hour.
	// A class of 200 behind one NAT address stays well inside both
	// (README, Operations); a scan of many accounts, or a script making
	// accounts, does not.
	FailedLoginsPerAddress int `env:"FAILED_LOGINS_PER_ADDRESS_PER_HOUR" envDefault:"100"`
	SignupsPerAddress      int `env:"SIGNUPS_PER_ADDRESS_PER_HOUR" envDefault:"300"`
}

// Validate fills the local defaults and checks what types alone cannot. The
// password in the default URL is a local development value only.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8081"
	}
	if c.OpsAddr == "" {
		c.OpsAddr = "127.0.0.1:9081"
	}
	if err := c.Base.Validate(); err != nil {
		return err
	}
	if c.CacheTTL <= 0 {
		return config.Invalid("USER_CACHE_TTL", "must be positive")
	}
	if c.LoginAttempts < 1 {
		return config.Invalid("LOGIN_ATTEMPTS_PER_MINUTE", "must be at least 1")
	}
	if c.LockoutMax < time.Minute/time.Duration(c.LoginAttempts) {
		return config.Invalid("LOGIN_LOCKOUT_MAX", "must be at least one login interval (%s)", time.Minute/time.Duration(c.LoginAttempts))
	}
	if c.FailedLoginsPerAddress < 0 {
		return config.Invalid("FAILED_LOGINS_PER_ADDRESS_PER_HOUR", "must be 0 (no budget) or more")
	}
	if c.SignupsPerAddress < 0 {
		return config.Invalid("SIGNUPS_PER_ADDRESS_PER_HOUR", "must be 0 (no budget) or more")
	}
	if c.TokenTTL < 0 {
		return config.Invalid("TOKEN_TTL", "must not be negative")
	}
	return c.Database.Validate(c.Environment,
		"postgres://seminarhub_user:dev-only-user-db-password@127.0.0.1:55432/seminarhub_user?sslmode=disable")
}

func main() {
	cfg, err := config.Load[Config]()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	backend.Main("user", cfg.Base, cfg.Database, migrations.All,
		func(log *slog.Logger, pool *pgxpool.Pool, c *cache.Cache) http.Handler {
			st := store.NewCached(store.NewPostgres(pool, cfg.TokenTTL), c, cfg.CacheTTL)
			g := guard.New(c, guard.Limits{
				LoginAttempts: cfg.LoginAttempts, LockoutMax: cfg.LockoutMax,
				FailedLoginsPerAddress: cfg.FailedLoginsPerAddress, SignupsPerAddress: cfg.SignupsPerAddress,
			})
			// One hash per CPU the process may use: more at once would
			// only make each slower and hold 19 MiB more each.
			hasher := password.NewHasher(runtime.GOMAXPROCS(0))
			log.Info("password hashing", "slots", hasher.Slots(), "memory_per_hash_mib", password.MemoryPerHash>>20)
			return httpapi.New(log, cfg.Base, st, g, hasher)
		})
}
