// Package migrations embeds the content database's schema history; the
// binary's "migrate" subcommand applies it.
package migrations

import (
	"embed"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

//go:embed *.sql
var sqlFiles embed.FS

// All is the schema history, in order.
var All = postgres.Migrations{SQL: sqlFiles}
