package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/seminarhub/seminarhub/services/user/internal/lookalike"
)

// lookalikeUsernames adds the forms under which usernames must be unique
// beyond the exact one (package lookalike) and fills them for the users
// there already are. Two existing users whose names look alike both stay:
// the earlier one holds the form, the later one holds NULL — it blocks
// nobody, and is reported here so an operator can ask them to rename.
//
// It runs outside a transaction because the unique indexes are built
// CONCURRENTLY: logins and signups go on meanwhile. Every step can run
// again after a failure.
func lookalikeUsernames(log *slog.Logger) *goose.Migration {
	return goose.NewGoMigration(2,
		&goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error { return lookalikeUp(ctx, db, log) }},
		&goose.GoFunc{RunDB: lookalikeDown},
	)
}

func lookalikeUp(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	// Adding nullable columns takes the table's lock only for an instant
	// (and the migration's lock_timeout bounds the wait for it).
	if _, err := conn.ExecContext(ctx, `ALTER TABLE users ADD COLUMN IF NOT EXISTS lookalike_folded text,
		                   ADD COLUMN IF NOT EXISTS lookalike_skeleton text`); err != nil {
		return err
	}
	checked, alike, err := fillLookalikes(ctx, conn, log)
	if err != nil {
		return err
	}
	log.Info("usernames checked for look-alikes", "users", checked, "look_alikes", alike)
	for _, stmt := range []string{
		`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_lookalike_folded_key ON users (lookalike_folded)`,
		`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_lookalike_skeleton_key ON users (lookalike_skeleton)`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// fillLookalikes computes both forms of every username, oldest account
// first, in batches.
func fillLookalikes(ctx context.Context, conn *sql.Conn, log *slog.Logger) (checked, alike int, err error) {
	rows, err := conn.QueryContext(ctx, `SELECT id, username FROM users ORDER BY id`)
	if err != nil {
		return 0, 0, err
	}
	type keys struct {
		id               int64
		folded, skeleton sql.NullString
	}
	var all []keys
	holder := map[[2]string]int64{} // {which form, the form} → the first user who has it
	claim := func(which, form string, id int64) sql.NullString {
		if first, taken := holder[[2]string{which, form}]; taken {
			log.Warn("an existing username looks like an earlier one: both kept, the later blocks nobody",
				"user_id", id, "looks_like_user_id", first, "form", which)
			return sql.NullString{}
		}
		holder[[2]string{which, form}] = id
		return sql.NullString{String: form, Valid: true}
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			_ = rows.Close()
			return 0, 0, err
		}
		folded, skeleton := lookalike.Keys(name)
		k := keys{id: id, folded: claim("folded", folded, id), skeleton: claim("skeleton", skeleton, id)}
		if !k.folded.Valid || !k.skeleton.Valid {
			alike++
		}
		all = append(all, k)
	}
	if err := rows.Close(); err != nil {
		return 0, 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	const batch = 1000
	for start := 0; start < len(all); start += batch {
		part := all[start:min(start+batch, len(all))]
		ids := make([]int64, len(part))
		folded, skeleton := make([]*string, len(part)), make([]*string, len(part))
		for i, k := range part {
			ids[i] = k.id
			if k.folded.Valid {
				folded[i] = &k.folded.String
			}
			if k.skeleton.Valid {
				skeleton[i] = &k.skeleton.String
			}
		}
		if _, err := conn.ExecContext(ctx, `
			UPDATE users u SET lookalike_folded = v.folded, lookalike_skeleton = v.skeleton
			FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, folded, skeleton)
			WHERE u.id = v.id`, ids, folded, skeleton); err != nil {
			return 0, 0, fmt.Errorf("fill look-alike forms: %w", err)
		}
	}
	return len(all), alike, nil
}

func lookalikeDown(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `
		DROP INDEX IF EXISTS users_lookalike_folded_key, users_lookalike_skeleton_key;
		ALTER TABLE users DROP COLUMN IF EXISTS lookalike_folded, DROP COLUMN IF EXISTS lookalike_skeleton`)
	return err
}
