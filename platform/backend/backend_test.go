package backend_test

import (
	"strings"
	"testing"

	"github.com/seminarhub/seminarhub/platform/backend"
)

func TestDatabaseURLIsValidated(t *testing.T) {
	d := backend.Database{URL: "::not a url::", MaxConns: 1}
	if err := d.Validate("development", ""); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("got %v", err)
	}
	d = backend.Database{MaxConns: 1}
	if err := d.Validate("development", "postgres://u:p@localhost/db"); err != nil || d.URL == "" {
		t.Fatalf("default not applied: %v", err)
	}
}
