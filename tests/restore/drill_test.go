// Package restore is the restore drill (docs/backups.md): a `make run` of
// its own archives its PostgreSQL with pgBackRest from the first start
// while a writer logs every write the API acknowledges; its data directory
// is destroyed mid-load and `make restore` brings back everything archived
// (RPO, RTO); a mistaken DELETE is undone with `make restore TARGET=…`;
// the cache serves nothing the restore removed; the whole e2e suite passes
// on the restored stack.
package restore

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// archiveTimeout is make run's archive_timeout (scripts/backup.sh): a WAL
// segment with writes in it is archived at the latest this long after
// them; with the push that follows (about a second), writes acknowledged
// longer than rpoBound before the loss are never lost. The load runs
// longer than rpoBound, so that some writes are held to it.
const (
	archiveTimeout = 30 * time.Second
	rpoBound       = archiveTimeout + 5*time.Second
)

func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the restore drill starts make run three times")
	}
	in := newInstance(t)
	in.start(t)

	t.Log("make restore refuses while make run serves")
	cmd := exec.Command("make", "-s", "restore")
	cmd.Dir, cmd.Env = in.root, in.env()
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "is running") {
		t.Fatalf("make restore with make run up: %v\n%s", err, out)
	}

	lostVolume(t, in)
	humanMistake(t, in)

	t.Log("the whole e2e suite on the restored stack")
	passed, skipped, err := blackbox.EndToEnd(in.root, in.base(), in.caFile())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("e2e on the restored stack: %d passed, %d skipped (need the suite's own stack)", passed, skipped)
}

// lostVolume: PostgreSQL is killed and its data directory deleted while
// the writer runs; make restore brings back the latest archived moment.
func lostVolume(t *testing.T, in *instance) {
	load := 50 * time.Second
	if s := os.Getenv("SEMINARHUB_DRILL_LOAD"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			load = d
		}
	}
	archivedBefore := in.archived(t)
	w := startWriter(in, 3)
	time.Sleep(load)
	archived := in.archived(t) - archivedBefore
	data := filepath.Join(in.pgDir(t), "data")
	killed := in.killPostgres(t, data)
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the writer meets the loss
	writes := w.halt()
	in.stop(t)
	t.Logf("lost volume: %d writes acknowledged in %s (%d seats taken), %d WAL segments archived (%.1f a minute), then PostgreSQL killed and %s deleted",
		len(writes), load, w.seats.Load(), archived, float64(archived)/load.Minutes(), data)

	began := time.Now()
	out := in.make(t, "restore")
	restored := time.Since(began)
	in.start(t)
	rto := time.Since(began)

	c, err := newChecker(in)
	if err != nil {
		t.Fatal(err)
	}
	var lost []write
	held := 0 // writes old enough that the archive must have them
	for _, w := range writes {
		ok, err := c.present(w)
		if err != nil {
			t.Fatal(err)
		}
		old := killed.Sub(w.Acked) > rpoBound
		if old {
			held++
		}
		if ok {
			continue
		}
		lost = append(lost, w)
		if old {
			t.Errorf("lost although acknowledged %s before the loss: %s", killed.Sub(w.Acked).Round(time.Millisecond), w)
		}
	}
	if held == 0 {
		t.Fatalf("no write was acknowledged more than %s before the loss: the load (%s) is too short to test the RPO", rpoBound, load)
	}
	span := time.Duration(0)
	if len(lost) > 0 {
		span = killed.Sub(lost[0].Acked)
	}
	t.Logf("RPO: %d of %d acknowledged writes lost, the last %s before the loss; RTO: %s (make restore %s, make run to a healthy API %s)",
		len(lost), len(writes), span.Round(100*time.Millisecond), rto.Round(100*time.Millisecond),
		restored.Round(100*time.Millisecond), (rto - restored).Round(100*time.Millisecond))
	t.Logf("make restore said:\n%s", out)
	fmt.Printf("DRILL lost-volume writes=%d lost=%d span_s=%.1f rto_s=%.1f restore_s=%.1f wal_per_min=%.1f\n",
		len(writes), len(lost), span.Seconds(), rto.Seconds(), restored.Seconds(), float64(archived)/load.Minutes())

	began = time.Now()
	out = in.make(t, "backup")
	t.Logf("make backup after the restore took %s:\n%s", time.Since(began).Round(100*time.Millisecond), tail(out, 25))
}

// humanMistake: someone runs DELETE FROM memberships; make restore
// TARGET= brings the moment just before it back — with everything written
// before it, and nothing written after, in both databases.
func humanMistake(t *testing.T, in *instance) {
	w := startWriter(in, 3)
	time.Sleep(15 * time.Second)
	mistakeAt := time.Now()
	deleted := in.psql(t, "seminarhub_content", "WITH d AS (DELETE FROM memberships RETURNING 1) SELECT count(*) FROM d")
	deletedAt := time.Now()
	time.Sleep(5 * time.Second)
	writes := w.halt()

	// A seminar opened after the mistake and read twice, so that the cache
	// holds it: after the restore it is not served.
	late, err := in.signup("instructor")
	if err != nil {
		t.Fatal(err)
	}
	code, b, err := in.do(http.MethodPost, "/api/v1/seminar/", late.Token,
		map[string]any{"name": "After the mistake", "capacity": 5, "count": 1, "time": "09:00"})
	if err != nil || code != http.StatusCreated {
		t.Fatalf("a seminar after the mistake: %d %s %v", code, b, err)
	}
	var opened seminar
	if err := json.Unmarshal(b, &opened); err != nil {
		t.Fatal(err)
	}
	lateID := strconv.FormatInt(opened.ID, 10)
	for range 2 {
		if code, b, err := in.do(http.MethodGet, "/api/v1/seminar/"+lateID+"/", late.Token, nil); err != nil || code != http.StatusOK {
			t.Fatalf("reading the late seminar: %d %s %v", code, b, err)
		}
	}

	// Every WAL segment up to now archived (pgBackRest's check switches to
	// a new segment and waits for the old one).
	in.script(t, "backup.sh", "check", in.name, in.port("postgres"))
	in.stop(t)
	target := mistakeAt.UTC().Format("2006-01-02 15:04:05.000000") + "+00"
	t.Logf("human mistake: %s memberships deleted at %s; %d writes acknowledged around it; restoring to %s",
		deleted, mistakeAt.Format("15:04:05.000"), len(writes), target)
	began := time.Now()
	in.make(t, "restore", "TARGET="+target)
	in.start(t)
	rto := time.Since(began)

	aside, _ := filepath.Glob(filepath.Join(in.pgDir(t), "data.before-restore-*"))
	if len(aside) == 0 {
		t.Error("make restore did not keep the data it replaced")
	}
	c, err := newChecker(in)
	if err != nil {
		t.Fatal(err)
	}
	before, after := 0, 0
	for _, w := range writes {
		ok, err := c.present(w)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case w.Acked.Before(mistakeAt):
			before++
			if !ok {
				t.Errorf("acknowledged before the mistake, missing after the restore: %s", w)
			}
		case w.Started.After(deletedAt):
			after++
			if ok {
				t.Errorf("written after the mistake, present after restoring to before it: %s", w)
			}
		}
	}
	if code, b, err := in.do(http.MethodGet, "/api/v1/seminar/"+lateID+"/", c.token, nil); err != nil || code != http.StatusNotFound {
		t.Errorf("the seminar opened after the mistake (cached before the restore): %d %s %v", code, b, err)
	}
	// Both databases are at the same instant: every participant the content
	// database names is an account the user database has.
	for id, s := range c.seminars {
		if s == nil {
			continue
		}
		for _, p := range s.Participants {
			if ok, err := c.present(write{Kind: "signup", User: account{ID: p.ID, Username: p.Username}}); err != nil || !ok {
				t.Errorf("seminar %d names participant %d %s, whom the user service does not know (%v)", id, p.ID, p.Username, err)
			}
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("%d writes before the mistake and %d after it: the writer must have written on both sides", before, after)
	}
	t.Logf("point in time: %d writes before the mistake all present, %d after it all absent; RTO %s",
		before, after, rto.Round(100*time.Millisecond))
	fmt.Printf("DRILL point-in-time before=%d after=%d rto_s=%.1f\n", before, after, rto.Seconds())
}

// archived is how many WAL segments PostgreSQL has archived since it started.
func (in *instance) archived(t *testing.T) int {
	n, err := strconv.Atoi(in.psql(t, "postgres", "SELECT archived_count FROM pg_stat_archiver"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// killPostgres kills the postmaster and every process of it at once, as a
// lost machine would, and says when.
func (in *instance) killPostgres(t *testing.T, data string) time.Time {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{pm}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so after the last ')'.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pm) {
			if pid, err := strconv.Atoi(e.Name()); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	at := time.Now()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		for alive(pid) && time.Since(at) < 10*time.Second {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return at
}

// alive: running, not a zombie nobody has reaped yet.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}
