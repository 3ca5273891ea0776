// Package config fills a service's typed configuration struct from the
// environment and turns every failure into a message that names the variable,
// because "parse error on field Port" helps nobody at 3 a.m.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/redis/go-redis/v9"
)

// DevSecretPrefix marks the built-in local development secrets. Load refuses
// them when SEMINARHUB_ENV=production so a forgotten Secret cannot ship.
const DevSecretPrefix = "dev-only-"

// Validator is implemented by config structs that check more than types.
type Validator interface {
	Validate() error
}

// Load parses T from the environment, then runs T's own Validate.
func Load[T any]() (T, error) {
	var cfg T
	if err := env.Parse(&cfg); err != nil {
		return cfg, describe(&cfg, err)
	}
	if v, ok := any(&cfg).(Validator); ok {
		if err := v.Validate(); err != nil {
			return cfg, fmt.Errorf("configuration: %w", err)
		}
	}
	return cfg, nil
}

// Invalid builds the error a Validate method returns for one bad variable.
func Invalid(variable string, format string, args ...any) error {
	return fmt.Errorf("%s: %s", variable, fmt.Sprintf(format, args...))
}

// RejectDevSecret fails when a production deployment still uses a dev default.
func RejectDevSecret(environment, variable, value string) error {
	if environment == "production" && strings.HasPrefix(value, DevSecretPrefix) {
		return Invalid(variable, "the local development default must not be used when SEMINARHUB_ENV=production")
	}
	return nil
}

func describe(cfg any, err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("configuration: %w", err)
	}
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			msgs = append(msgs, fmt.Sprintf("%s: cannot parse as %s: %v", envKey(reflect.TypeOf(cfg), pe.Name), pe.Type, pe.Err))
			continue
		}
		msgs = append(msgs, e.Error())
	}
	return fmt.Errorf("configuration: %s", strings.Join(msgs, "; "))
}

// envKey finds the variable behind a struct field; caarlos0/env reports only
// the Go field name when a value does not parse.
func envKey(t reflect.Type, field string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			if key := envKey(f.Type, field); key != field {
				return key
			}
		}
		if f.Name == field {
			if key, _, _ := strings.Cut(f.Tag.Get("env"), ","); key != "" {
				return key
			}
		}
	}
	return field
}

// Base is the configuration every service shares. Services embed it.
type Base struct {
	// Environment is "development" or "production"; production refuses the
	// built-in dev secrets.
	Environment string `env:"SEMINARHUB_ENV" envDefault:"development"`
	Addr        string `env:"HTTP_ADDR"`
	// OpsAddr serves /healthz, /readyz and /metrics, apart from the API.
	OpsAddr  string     `env:"OPS_ADDR"`
	LogLevel slog.Level `env:"LOG_LEVEL" envDefault:"info"`
	// DrainDelay: how long /readyz fails before the listener closes on SIGTERM.
	DrainDelay      time.Duration `env:"DRAIN_DELAY" envDefault:"0s"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// RequestTimeout bounds each request, so an unreachable dependency answers
	// 503 instead of hanging.
	RequestTimeout time.Duration `env:"REQUEST_TIMEOUT" envDefault:"10s"`
	// InternalSecret authenticates the gateway to the backends.
	InternalSecret string `env:"INTERNAL_SECRET" envDefault:"dev-only-internal-secret"`
	// RedisURL is the shared cache; empty disables caching.
	RedisURL string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:56379/0"`
	// RedisTimeout bounds every Redis call: Redis may be slow or gone, and a
	// cache must never cost more than it saves.
	RedisTimeout time.Duration `env:"REDIS_TIMEOUT" envDefault:"100ms"`
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on its own
	// listener — never the public or internal API's — so a slow path can be
	// profiled in place (make bench does). Empty (the default) serves nothing.
	DebugAddr string `env:"DEBUG_ADDR"`
}

// Validate checks the shared settings.
func (b *Base) Validate() error {
	if b.OpsAddr == "" || b.OpsAddr == b.Addr {
		return Invalid("OPS_ADDR", "must be an address of its own for probes and metrics (not HTTP_ADDR %q)", b.Addr)
	}
	if b.Environment != "development" && b.Environment != "production" {
		return Invalid("SEMINARHUB_ENV", "must be development or production, not %q", b.Environment)
	}
	if b.ShutdownTimeout <= 0 {
		return Invalid("SHUTDOWN_TIMEOUT", "must be positive")
	}
	if b.RequestTimeout <= 0 {
		return Invalid("REQUEST_TIMEOUT", "must be positive")
	}
	if b.RedisURL != "" {
		if _, err := redis.ParseURL(b.RedisURL); err != nil {
			return Invalid("REDIS_URL", "not a valid redis:// URL")
		}
	}
	if b.RedisTimeout <= 0 {
		return Invalid("REDIS_TIMEOUT", "must be positive")
	}
	if len(b.InternalSecret) < 16 {
		return Invalid("INTERNAL_SECRET", "must be at least 16 characters")
	}
	return RejectDevSecret(b.Environment, "INTERNAL_SECRET", b.InternalSecret)
}
