// Package migrations embeds the user database's schema history; the
// binary's "migrate" subcommand applies it.
package migrations

import (
	"embed"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

//go:embed *.sql
var sqlFiles embed.FS

// All is the schema history, in order: the SQL files, and the steps that
// need Go (Unicode data) numbered among them.
var All = postgres.Migrations{SQL: sqlFiles, Go: func(log *slog.Logger) []*goose.Migration {
	return []*goose.Migration{lookalikeUsernames(log)}
}}
