package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/seminarhub/seminarhub/platform/postgres"
)

// expand is a migration of the kind a release adds before the code that
// uses it (README: writing migrations): a column with a default —
// metadata only, the table's lock held for an instant — and an index
// built CONCURRENTLY, outside a transaction, while writes go on.
const expand = `-- +goose NO TRANSACTION
-- +goose Up
ALTER TABLE seminars ADD COLUMN IF NOT EXISTS drill_note text NOT NULL DEFAULT '';
CREATE INDEX CONCURRENTLY IF NOT EXISTS seminars_drill_note ON seminars (drill_note);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS seminars_drill_note;
ALTER TABLE seminars DROP COLUMN IF EXISTS drill_note;
`

// An expand migration runs on the content database while a class reads
// and writes through the edge and the running binaries, which know
// nothing of it, keep serving: no request fails. Its down (what a later
// release's contract step does) runs under the same load.
func TestAnExpandMigrationUnderLoadFailsNoRequest(t *testing.T) {
	sys.ownStack(t, "migrates the suite's own content database")
	ctx := context.Background()
	migrations := fstest.MapFS{"00100_drill_expand.sql": {Data: []byte(expand)}}
	dir := filepath.Join(sys.root, "services", "content", "migrations")
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the content service's migrations in %s: %v", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		migrations[filepath.Base(f)] = &fstest.MapFile{Data: b}
	}
	m := postgres.Migrations{SQL: migrations}
	pool, err := postgres.Open(ctx, sys.dbProxy["content"].dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	owner := instructorAccount(t)
	id := idOf(newSeminar(t, owner, 1000))
	participants := make([]account, 24)
	for i := range participants {
		participants[i] = participantAccount(t)
	}

	var requests, failed atomic.Int64
	var failures sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	load := func(next func(i int) (method, path, token string, body any, want int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				method, path, token, body, want := next(i)
				_, r, err := exchange(clientOf(t), sys.gateway, method, path, body, map[string]string{"Authorization": tokenHeader(token)})
				requests.Add(1)
				if err != nil || r.Status != want {
					failed.Add(1)
					failures.Store(fmt.Sprintf("%s %s → %d %v %.200s", method, path, r.Status, err, r.Body), true)
				}
			}
		}()
	}
	for range 3 {
		load(func(i int) (string, string, string, any, int) {
			if i%2 == 0 {
				return "GET", "/api/v1/seminar/", owner.Token, nil, http.StatusOK
			}
			return "GET", seminarPath(id, ""), owner.Token, nil, http.StatusOK
		})
	}
	load(func(i int) (string, string, string, any, int) {
		return "PUT", seminarPath(id, ""), owner.Token, map[string]any{"name": fmt.Sprintf("Expanding 세미나 %d 🎓", i)}, http.StatusOK
	})
	for w := range 2 {
		load(func(i int) (string, string, string, any, int) {
			p := participants[(w*len(participants)/2+i/2)%len(participants)]
			if i%2 == 0 && i/2 < len(participants)/2 {
				return "POST", seminarPath(id, "user/"), p.Token, map[string]any{"role": "participant"}, http.StatusCreated
			}
			return "GET", "/api/v1/user/me/", p.Token, nil, http.StatusOK
		})
	}

	time.Sleep(2 * time.Second)
	began := time.Now()
	if err := postgres.Migrate(ctx, pool, m, slog.New(slog.DiscardHandler)); err != nil {
		t.Errorf("the expand migration under load: %v", err)
	}
	up := time.Since(began)
	time.Sleep(2 * time.Second)
	began = time.Now()
	if err := postgres.MigrateDownTo(ctx, pool, m, 1, slog.New(slog.DiscardHandler)); err != nil {
		t.Errorf("its down under load: %v", err)
	}
	down := time.Since(began)
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	var seen []string
	failures.Range(func(k, _ any) bool { seen = append(seen, k.(string)); return len(seen) < 10 })
	if requests.Load() == 0 {
		t.Fatal("no request was sent while the schema changed")
	}
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed while the schema changed:\n%s", failed.Load(), requests.Load(), strings.Join(seen, "\n"))
	}
	t.Logf("%d requests through the edge, %d failed; the expand migration took %s, its down %s",
		requests.Load(), failed.Load(), up.Round(time.Millisecond), down.Round(time.Millisecond))
}
