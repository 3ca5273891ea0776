package config_test

import (
	"strings"
	"testing"

	"github.com/seminarhub/seminarhub/platform/config"
)

type sample struct {
	config.Base
	Port int `env:"SAMPLE_PORT" envDefault:"1"`
}

func TestAnUnparsableValueNamesItsVariable(t *testing.T) {
	t.Setenv("SAMPLE_PORT", "eighty")
	_, err := config.Load[sample]()
	if err == nil || !strings.Contains(err.Error(), "SAMPLE_PORT") {
		t.Fatalf("error %v does not name SAMPLE_PORT", err)
	}
}

func TestAnEmbeddedFieldsVariableIsNamedToo(t *testing.T) {
	t.Setenv("SHUTDOWN_TIMEOUT", "soon")
	_, err := config.Load[sample]()
	if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT") {
		t.Fatalf("error %v does not name SHUTDOWN_TIMEOUT", err)
	}
}

func TestProductionRefusesTheDevelopmentSecret(t *testing.T) {
	t.Setenv("SEMINARHUB_ENV", "production")
	b := config.Base{Environment: "production", Addr: ":8080", OpsAddr: ":9090", ShutdownTimeout: 1, RequestTimeout: 1, RedisTimeout: 1, InternalSecret: "dev-only-internal-secret"}
	if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "INTERNAL_SECRET") {
		t.Fatalf("got %v", err)
	}
	b.InternalSecret = "a-real-secret-from-a-vault"
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestProbesNeedAnAddressOfTheirOwn(t *testing.T) {
	for _, ops := range []string{"", ":8080"} {
		b := config.Base{Environment: "development", Addr: ":8080", OpsAddr: ops, ShutdownTimeout: 1, RequestTimeout: 1, RedisTimeout: 1, InternalSecret: "a-real-secret-from-a-vault"}
		if err := b.Validate(); err == nil || !strings.Contains(err.Error(), "OPS_ADDR") {
			t.Errorf("OPS_ADDR %q: got %v", ops, err)
		}
	}
}
