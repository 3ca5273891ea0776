package compose

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// Compose's PostgreSQL archives its WAL to the backup-repo volume; a
// backup taken with `docker compose run --rm backup` and the archive bring
// it back to a chosen moment, as docs/backups.md tells an operator:
// stop postgres, `docker compose run --rm restore seminarhub-backup
// restore TARGET`, start postgres. What was written before the moment is
// served; what came after is not — not even from the cache, which held it.
func TestComposeRestoresItsPostgreSQLToAMomentAndNothingLaterIsServed(t *testing.T) {
	probe, err := blackbox.NewRestoreProbe(env.client, env.base, func() error {
		out, err := compose("run", "--rm", "backup").CombinedOutput()
		if err != nil {
			return fmt.Errorf("docker compose run --rm backup: %w\n%s", err, out)
		}
		if !strings.Contains(string(out), " backup: ") {
			return fmt.Errorf("docker compose run --rm backup names no backup:\n%s", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	for _, step := range [][]string{
		// Everything up to now archived: pgBackRest's check switches WAL
		// segments and waits until the last one is in the repository.
		{"exec", "-T", "-u", "postgres", "postgres", "seminarhub-backup", "check"},
		{"stop", "postgres"},
		{"run", "--rm", "restore", "seminarhub-backup", "restore", probe.Target},
		{"start", "postgres"},
	} {
		if out, err := compose(step...).CombinedOutput(); err != nil {
			t.Fatalf("docker compose %s: %v\n%s", strings.Join(step, " "), err, out)
		}
	}
	if err := probe.Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restored to %s and serving again %s after `seminarhub-backup check`", probe.Target, time.Since(began).Round(100*time.Millisecond))
}
