// Package migrations embeds the user database's schema history; the binary's
// "migrate" subcommand applies it.
package migrations

import "embed"

// FS holds the versioned SQL files.
//
//go:embed *.sql
var FS embed.FS
