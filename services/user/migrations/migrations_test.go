package migrations_test

import (
	"testing"

	"github.com/seminarhub/seminarhub/services/user/migrations"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

// Every migration goes up, down and up again over accounts that exercise
// it: Korean, emoji, a 100-character name, look-alike pairs the second
// migration must find, and many users.
func TestEveryMigrationGoesUpDownAndUpAgainWithData(t *testing.T) {
	pgtest.Rehearse(t, migrations.All, map[int64]string{
		1: `
WITH u AS (
  INSERT INTO users (username, email, password_hash, first_name)
  SELECT name, 'u' || n || '@example.org', 'not-a-real-hash', '민준 🎓'
  FROM unnest(ARRAY['김민준', '🎓student', repeat('a', 100), 'paypal', 'pаypal', 'Straße', 'STRASSE']) WITH ORDINALITY AS x(name, n)
  UNION ALL
  SELECT 'user' || n, 'user' || n || '@example.org', 'not-a-real-hash', '' FROM generate_series(1, 500) AS n
  ON CONFLICT (username) DO NOTHING
  RETURNING id)
INSERT INTO participants (user_id, university) SELECT id, '서울대학교' FROM u;`,
		2: `
WITH u AS (
  INSERT INTO users (username, email, password_hash, lookalike_folded, lookalike_skeleton)
  VALUES ('second-schema', 's@example.org', 'not-a-real-hash', 'second-schema', 'second-schema')
  ON CONFLICT (username) DO NOTHING
  RETURNING id)
INSERT INTO instructors (user_id, company, year) SELECT id, 'Drill Ltd', 3 FROM u;`,
	})
}
