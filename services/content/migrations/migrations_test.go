package migrations_test

import (
	"testing"

	"github.com/seminarhub/seminarhub/services/content/migrations"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

// Every migration goes up, down and up again over seminars that exercise
// it: Korean and emoji, a 100-character name, a full seminar with many
// members, dropped participants.
func TestEveryMigrationGoesUpDownAndUpAgainWithData(t *testing.T) {
	pgtest.Rehearse(t, migrations.All, map[int64]string{
		1: `
INSERT INTO seminars (name, capacity, count, time)
VALUES ('데이터베이스 세미나 🎓', 500, 10, '10:00'), (repeat('가', 100), 1, 1, '23:59');
INSERT INTO memberships (seminar_id, user_id, role)
SELECT s.id, n, CASE WHEN n = 1 THEN 'instructor' ELSE 'participant' END
FROM seminars s, generate_series(1, 500) AS n WHERE s.capacity = 500;
UPDATE memberships SET is_active = false, dropped_at = now() WHERE user_id % 7 = 0;`,
	})
}
