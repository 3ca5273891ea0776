// Package architecture checks that imports point one way: the domain rules
// know nothing of HTTP, SQL or Redis; the shared plumbing knows nothing of
// PostgreSQL unless it is the PostgreSQL adapter; the gateway, which owns no
// database, links no driver. `go list -deps` is the source of truth — the
// linker sees what it lists.
package architecture

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/seminarhub/seminarhub/"

// goList runs go list at the repository's root.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, out)
	}
	return strings.Fields(string(out))
}

// deps lists the non-standard packages pkg links, itself included.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	return goList(t, "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./"+pkg)
}

// The shared kernel every domain may use: error kinds and JSON input
// reading. It imports nothing but the standard library (checked below).
var kernel = []string{module + "platform/problem", module + "platform/input"}

func TestDomainPackagesImportOnlyTheStandardLibraryAndTheKernel(t *testing.T) {
	for _, pkg := range []string{"services/content/internal/seminar", "services/user/internal/account"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			for _, d := range deps(t, pkg) {
				if d != module+pkg && !slices.Contains(kernel, d) {
					t.Errorf("%s links %s", pkg, d)
				}
			}
		})
	}
}

func TestTheKernelImportsOnlyTheStandardLibrary(t *testing.T) {
	for _, pkg := range kernel {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			for _, d := range deps(t, strings.TrimPrefix(pkg, module)) {
				if !slices.Contains(kernel, d) {
					t.Errorf("%s links %s", pkg, d)
				}
			}
		})
	}
}

// databaseCode is what "depends on PostgreSQL" means at link time.
func databaseCode(pkg string) bool {
	return pkg == "database/sql" || strings.HasPrefix(pkg, "github.com/jackc/pgx") ||
		strings.HasPrefix(pkg, "github.com/pressly/goose") || strings.HasPrefix(pkg, "github.com/lib/pq") ||
		pkg == module+"platform/postgres"
}

func TestPlumbingDoesNotDependOnPostgreSQL(t *testing.T) {
	// Only the adapter and the wiring of a database-owning binary may.
	allowed := []string{module + "platform/postgres", module + "platform/backend"}
	for _, pkg := range goList(t, "./platform/...") {
		if slices.Contains(allowed, pkg) {
			continue
		}
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			for _, d := range deps(t, strings.TrimPrefix(pkg, module)) {
				if databaseCode(d) {
					t.Errorf("%s links %s (only %v may)", pkg, d, allowed)
				}
			}
		})
	}
}

func TestTheGatewayBinaryLinksNoDatabaseDriver(t *testing.T) {
	for _, d := range deps(t, "services/gateway/cmd/gateway") {
		if databaseCode(d) {
			t.Errorf("the gateway links %s", d)
		}
	}
}

// Caching is the stores' business (store.Cached): the HTTP layers of the
// backends call one store interface and never name a cache key.
func TestBackendHandlersDoNotTouchTheCache(t *testing.T) {
	for _, pkg := range []string{"services/content/internal/httpapi", "services/user/internal/httpapi"} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			if slices.Contains(goList(t, "-f", `{{join .Imports " "}}`, "./"+pkg), module+"platform/cache") {
				t.Errorf("%s imports platform/cache", pkg)
			}
		})
	}
}
