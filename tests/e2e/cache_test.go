package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func xcache(r response) string { return r.Header.Get("X-Cache") }

// listUntil reads the list until X-Cache is want (a write by another test
// may retire the entry in between).
func listUntil(t *testing.T, token, query, want string) response {
	t.Helper()
	var r response
	for i := 0; i < 20; i++ {
		r = expect(t, call(t, "GET", "/api/v1/seminar/"+query, token, nil), 200)
		if xcache(r) == want {
			return r
		}
	}
	t.Fatalf("X-Cache never became %s (last %q)", want, xcache(r))
	return r
}

func TestTheListIsServedCacheAsideAndSearchesBypass(t *testing.T) {
	a := participantAccount(t)
	first := expect(t, call(t, "GET", "/api/v1/seminar/?order=earliest", a.Token, nil), 200)
	if s := xcache(first); s != "MISS" && s != "HIT" {
		t.Fatalf("X-Cache %q", s)
	}
	listUntil(t, a.Token, "?order=earliest", "HIT")
	if s := xcache(expect(t, call(t, "GET", "/api/v1/seminar/?name=x", a.Token, nil), 200)); s != "BYPASS" {
		t.Fatalf("search: X-Cache %q, want BYPASS", s)
	}
}

func findSummary(t *testing.T, r response, id int64) map[string]any {
	t.Helper()
	for _, s := range r.list(t) {
		if idOf(s) == id {
			return s
		}
	}
	return nil
}

// After each kind of write, the writer's very next read is fresh.
func TestEveryWriteIsVisibleInTheNextListRead(t *testing.T) {
	owner, p := instructorAccount(t), participantAccount(t)
	listUntil(t, p.Token, "", "HIT") // warm
	s := newSeminar(t, owner, 5)
	id := idOf(s)
	check := func(what string, ok func(map[string]any) bool) {
		t.Helper()
		for _, order := range []string{"", "?order=earliest"} {
			got := findSummary(t, expect(t, call(t, "GET", "/api/v1/seminar/"+order, p.Token, nil), 200), id)
			if got == nil || !ok(got) {
				t.Fatalf("after %s (%q): stale list entry %v", what, order, got)
			}
			listUntil(t, p.Token, order, "HIT")
		}
	}
	check("create", func(m map[string]any) bool { return m != nil })
	expect(t, call(t, "PUT", seminarPath(id, ""), owner.Token, map[string]any{"name": "Renamed seminar"}), 200)
	check("update", func(m map[string]any) bool { return m["name"] == "Renamed seminar" })
	expect(t, call(t, "POST", seminarPath(id, "user/"), p.Token, map[string]any{"role": "participant"}), 201)
	check("join", func(m map[string]any) bool { return m["participant_count"] == float64(1) })
	expect(t, call(t, "DELETE", seminarPath(id, "user/"), p.Token, nil), 200)
	check("drop", func(m map[string]any) bool { return m["participant_count"] == float64(0) })
	newName := unique("newname")
	expect(t, call(t, "PUT", "/api/v1/user/me/", owner.Token, map[string]any{"username": newName, "first_name": "Neo", "last_name": "Anderson"}), 200)
	check("user rename", func(m map[string]any) bool {
		in := list(m, "instructors")
		return len(in) == 1 && in[0]["username"] == newName && in[0]["first_name"] == "Neo"
	})
}

// statements reads db_client_statements_total from a service's /metrics.
func statements(t *testing.T, base string) int64 {
	sys.ownStack(t, "counts SQL statements on the backends' /metrics")
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var total int64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "db_client_statements_total") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += int64(v)
		}
	}
	return total
}

func TestAWarmListRequestTouchesNoDatabase(t *testing.T) {
	owner := instructorAccount(t)
	newSeminar(t, owner, 5)
	p := participantAccount(t)
	listUntil(t, p.Token, "", "HIT")
	listUntil(t, p.Token, "", "HIT") // identity entries are filled on the second request

	userBefore, contentBefore := statements(t, sys.ops["user"]), statements(t, sys.ops["content"])
	hits := 0
	for i := 0; i < 50; i++ {
		if xcache(expect(t, call(t, "GET", "/api/v1/seminar/", p.Token, nil), 200)) == "HIT" {
			hits++
		}
	}
	du, dc := statements(t, sys.ops["user"])-userBefore, statements(t, sys.ops["content"])-contentBefore
	t.Logf("50 warm list requests (%d HIT): %d statements in the user database, %d in the content database", hits, du, dc)
	// The suite's tests run one at a time: nothing else writes meanwhile.
	if hits != 50 || du != 0 || dc != 0 {
		t.Fatalf("%d/50 warm requests were HITs; they issued SQL: user %d, content %d", hits, du, dc)
	}
}

func TestAColdListRequestQueriesTheDatabase(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 5)
	before := statements(t, sys.ops["content"])
	expect(t, call(t, "PUT", seminarPath(idOf(s), ""), owner.Token, map[string]any{"count": 9}), 200) // retires the list
	afterWrite := statements(t, sys.ops["content"])
	r := expect(t, call(t, "GET", "/api/v1/seminar/", owner.Token, nil), 200)
	if xcache(r) != "MISS" || statements(t, sys.ops["content"])-afterWrite == 0 || afterWrite == before {
		t.Fatalf("cold read: X-Cache %q, statements %d→%d→%d", xcache(r), before, afterWrite, statements(t, sys.ops["content"]))
	}
}

// listWithDatabasesCut warms the list with warmer's token, cuts both
// databases, lists with reader's token and restores the databases.
func listWithDatabasesCut(t *testing.T, warmer account, reader func() account) response {
	sys.ownStack(t, "cuts the databases")
	t.Helper()
	newSeminar(t, instructorAccount(t), 5)
	listUntil(t, warmer.Token, "", "HIT")
	listUntil(t, warmer.Token, "", "HIT") // the second request fills the identity entry
	who := reader()
	sys.dbProxy["content"].cut()
	sys.dbProxy["user"].cut()
	r := expect(t, call(t, "GET", "/api/v1/seminar/", who.Token, nil), 200)
	restoreDatabases(t, warmer)
	return r
}

func TestAWarmListIsServedWhileTheDatabasesAreUnreachable(t *testing.T) {
	p := participantAccount(t)
	if r := listWithDatabasesCut(t, p, func() account { return p }); xcache(r) != "HIT" {
		t.Fatalf("X-Cache %q with the databases down", xcache(r))
	}
}

// Signup primes the caller's identity: a brand-new user's first request is
// served even with both databases unreachable, once the list is warm.
func TestANewUsersFirstListRequestNeedsNoDatabase(t *testing.T) {
	if r := listWithDatabasesCut(t, participantAccount(t), func() account { return instructorAccount(t) }); xcache(r) != "HIT" {
		t.Fatalf("X-Cache %q for a new user's first request with the databases down", xcache(r))
	}
}

func TestARevokedTokenIsRejectedOnTheVeryNextRequestEvenWhenCached(t *testing.T) {
	a := participantAccount(t)
	for i := 0; i < 3; i++ {
		expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200)
	}
	expect(t, call(t, "POST", "/api/v1/user/logout/", a.Token, nil), 200)
	expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 401)
}

func TestBecomingAParticipantIsSeenByEveryTokenAtOnce(t *testing.T) {
	a := instructorAccount(t)
	second := expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "pw-instructor"}), 200).obj(t)["token"].(string)
	s := newSeminar(t, instructorAccount(t), 5)
	for i := 0; i < 3; i++ { // warm both identities
		expect(t, call(t, "GET", "/api/v1/user/me/", second, nil), 200)
	}
	expect(t, call(t, "POST", "/api/v1/user/participant/", a.Token, nil), 201)
	expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), second, map[string]any{"role": "participant"}), 201)
}

// Redis killed mid-run: zero 5xx, X-Cache BYPASS; restarted: HITs return.
func TestRedisFailureIsNotAnOutage(t *testing.T) {
	sys.ownStack(t, "kills Redis")
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 50)
	p := participantAccount(t)
	listUntil(t, p.Token, "", "HIT")

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 1000)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := call(t, "GET", "/api/v1/seminar/", p.Token, nil)
				if r.Status >= 500 {
					errs <- strconv.Itoa(r.Status) + " " + string(r.Body)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	sys.redis.Kill()
	time.Sleep(500 * time.Millisecond)
	// Writes and reads keep working, and stay consistent, without Redis.
	expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), p.Token, map[string]any{"role": "participant"}), 201)
	r := expect(t, call(t, "GET", "/api/v1/seminar/", p.Token, nil), 200)
	if xcache(r) != "BYPASS" || findSummary(t, r, idOf(s))["participant_count"] != float64(1) {
		t.Fatalf("without Redis: X-Cache %q, entry %v", xcache(r), findSummary(t, r, idOf(s)))
	}
	if ready := status(t, sys.ops["gateway"]+"/readyz"); ready != 200 {
		t.Fatalf("gateway /readyz = %d without Redis", ready)
	}
	if ready := status(t, sys.ops["content"]+"/readyz"); ready != 200 {
		t.Fatalf("content /readyz = %d without Redis", ready)
	}
	if err := sys.redis.Restart(); err != nil {
		t.Fatal(err)
	}
	// The readers keep going until the caches use Redis again.
	for deadline := time.Now().Add(10 * time.Second); xcache(call(t, "GET", "/api/v1/seminar/", p.Token, nil)) == "BYPASS"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still bypassing 10s after Redis returned")
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("5xx while Redis was down: %s", e)
	}
	r = listUntil(t, p.Token, "", "HIT")
	if findSummary(t, r, idOf(s))["participant_count"] != float64(1) {
		t.Fatalf("stale after Redis returned: %v", findSummary(t, r, idOf(s)))
	}
}

// warmOn reads path on one replica until that replica answers it from its
// memory (X-Cache: HIT), so a stale answer would be there to be served.
func warmOn(t *testing.T, socket, path, token string) {
	t.Helper()
	for i := 0; i < 5; i++ {
		if xcache(expect(t, onReplica(t, socket, "GET", path, token, nil), 200)) == "HIT" {
			return
		}
	}
	t.Fatalf("%s never became a HIT on %s", path, socket)
}

// Each gateway replica keeps finished answers in its own memory. A write
// answered by one replica must be visible to the very next read on the
// other, every time: each round warms the reader's memory, writes through
// the other replica's socket and reads back at once — a rename (list,
// seminar, the member's seminars), a join or a drop (seminar, the
// member's seminars) and a user's rename (inside the list).
func TestAWriteOnOneGatewayIsSeenByTheNextReadOnTheOther(t *testing.T) {
	owner := instructorAccount(t)
	id := idOf(newSeminar(t, owner, 50))
	detail, me := seminarPath(id, ""), "/api/v1/user/me/"
	replicas := [2]string{sys.socket, sys.socket2}
	var member account
	for round := 0; round < 20; round++ {
		writer, reader := replicas[round%2], replicas[1-round%2]
		joining := round%2 == 0
		if joining {
			member = participantAccount(t)
		}
		for _, path := range []string{"/api/v1/seminar/", detail, me} {
			warmOn(t, reader, path, member.Token)
		}

		name := fmt.Sprintf("Round %d seminar", round)
		expect(t, onReplica(t, writer, "PUT", detail, owner.Token, map[string]any{"name": name}), 200)
		if s := findSummary(t, expect(t, onReplica(t, reader, "GET", "/api/v1/seminar/", member.Token, nil), 200), id); s == nil || s["name"] != name {
			t.Fatalf("round %d: the other replica's list shows %v, want the name %q", round, s, name)
		}

		if joining {
			expect(t, onReplica(t, writer, "POST", seminarPath(id, "user/"), member.Token, map[string]any{"role": "participant"}), 201)
		} else {
			expect(t, onReplica(t, writer, "DELETE", seminarPath(id, "user/"), member.Token, nil), 200)
		}
		got := expect(t, onReplica(t, reader, "GET", detail, member.Token, nil), 200).obj(t)
		var seen map[string]any
		for _, m := range list(got, "participants") {
			if idOf(m) == member.ID {
				seen = m
			}
		}
		if got["name"] != name || seen == nil || seen["is_active"] != joining {
			t.Fatalf("round %d: the other replica's seminar is %q with the member %v, want %q with is_active=%v", round, got["name"], seen, name, joining)
		}
		mine := list(expect(t, onReplica(t, reader, "GET", me, member.Token, nil), 200).obj(t)["participant"].(map[string]any), "seminars")
		if len(mine) != 1 || mine[0]["name"] != name || mine[0]["is_active"] != joining {
			t.Fatalf("round %d: the other replica's /user/me/ shows %v, want %q with is_active=%v", round, mine, name, joining)
		}

		first := "Round" + string(rune('A'+round))
		expect(t, onReplica(t, writer, "PUT", "/api/v1/user/me/", owner.Token, map[string]any{"first_name": first, "last_name": "Kim"}), 200)
		in := list(findSummary(t, expect(t, onReplica(t, reader, "GET", "/api/v1/seminar/", member.Token, nil), 200), id), "instructors")
		if len(in) != 1 || in[0]["first_name"] != first {
			t.Fatalf("round %d: the other replica's list shows the instructor as %v, want first_name %q", round, in, first)
		}
	}
}

// A logout answered by one replica ends the session on the other at once,
// although that replica remembers the token's identity in memory.
func TestALogoutOnOneGatewayEndsTheSessionOnTheOtherAtOnce(t *testing.T) {
	for i := 0; i < 10; i++ {
		p := participantAccount(t)
		warmOn(t, sys.socket2, "/api/v1/seminar/", p.Token)
		expect(t, onReplica(t, sys.socket, "POST", "/api/v1/user/logout/", p.Token, nil), 200)
		expect(t, onReplica(t, sys.socket2, "GET", "/api/v1/seminar/", p.Token, nil), 401)
	}
}

// The three reads carry an ETag; sending it back answers 304 with no body
// while the answer is unchanged, and 200 with a new tag once a write
// changed it.
func TestTheReadsAnswer304ToTheirCurrentETag(t *testing.T) {
	owner := instructorAccount(t)
	id := idOf(newSeminar(t, owner, 5))
	for _, path := range []string{"/api/v1/seminar/", seminarPath(id, ""), "/api/v1/user/me/"} {
		first := expect(t, call(t, "GET", path, owner.Token, nil), 200)
		tag := first.Header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
			t.Fatalf("%s: ETag %q, want a quoted strong tag", path, tag)
		}
		same := expect(t, callWith(t, "GET", path, nil, map[string]string{"Authorization": "Token " + owner.Token, "If-None-Match": tag}), 304)
		if len(same.Body) != 0 || same.Header.Get("ETag") != tag {
			t.Fatalf("%s: 304 with body %q and ETag %q, want no body and %q", path, same.Body, same.Header.Get("ETag"), tag)
		}
		expect(t, call(t, "PUT", seminarPath(id, ""), owner.Token, map[string]any{"name": unique("Renamed ")}), 200)
		changed := expect(t, callWith(t, "GET", path, nil, map[string]string{"Authorization": "Token " + owner.Token, "If-None-Match": tag}), 200)
		if got := changed.Header.Get("ETag"); got == "" || got == tag {
			t.Fatalf("%s: after a rename the ETag is %q (was %q)", path, got, tag)
		}
	}
}

// Clients that accept gzip get the answer compressed once by the gateway
// (the edge passes it through); the bytes inflate to the plain answer.
func TestTheReadsAreSentGzippedToClientsThatAcceptIt(t *testing.T) {
	for i := 0; i < 3; i++ { // a list well over the 512 bytes worth compressing
		newSeminar(t, instructorAccount(t), 5)
	}
	p := participantAccount(t)
	url := sys.gateway + "/api/v1/seminar/"
	client := &http.Client{Transport: noDecompression()}
	auth := "Token " + p.Token
	plainResp, plain := rawGet(t, client, url, map[string]string{"Authorization": auth})
	zipResp, zipped := rawGet(t, client, url, map[string]string{"Authorization": auth, "Accept-Encoding": "gzip"})
	if plainResp.Header.Get("Content-Encoding") != "" || zipResp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q without and %q with Accept-Encoding: gzip", plainResp.Header.Get("Content-Encoding"), zipResp.Header.Get("Content-Encoding"))
	}
	if !strings.Contains(zipResp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Vary %q", zipResp.Header.Get("Vary"))
	}
	r, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(inflated, plain) {
		t.Fatalf("the gzipped answer inflates to %d bytes (%v), the plain one has %d", len(inflated), err, len(plain))
	}
	zipTag := zipResp.Header.Get("ETag")
	if strings.HasPrefix(zipTag, "W/") || zipTag == "" {
		t.Fatalf("ETag %q: the edge compressed it (Nginx weakens the tag), not the gateway", zipTag)
	}
	if zipTag == plainResp.Header.Get("ETag") {
		t.Fatal("the gzipped and plain answers share one strong ETag")
	}
}

// While the user database is down, a session that was working keeps
// reading what the caches can answer — past the moment its cached identity
// expires, through the stale-if-error copy — while writes fail with 503,
// and a token logged out before the outage stays refused.
func TestASessionKeepsReadingWhileTheUserDatabaseIsDown(t *testing.T) {
	sys.ownStack(t, "cuts the user database and edits Redis")
	p, gone := participantAccount(t), participantAccount(t)
	listUntil(t, p.Token, "", "HIT")
	listUntil(t, gone.Token, "", "HIT")
	expect(t, call(t, "POST", "/api/v1/user/logout/", gone.Token, nil), 200)

	sys.dbProxy["user"].cut()
	defer restoreDatabases(t, p)
	// Where IDENTITY_TTL would take us: no cached token or identity entry.
	ctx := context.Background()
	rdb := sys.redis.Client(t)
	for _, pattern := range []string{"gateway:token:*", "gateway:identity:*"} {
		keys, err := rdb.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Past MEMORY_MAX_AGE (1 s here), so each replica resolves the token
	// again and finds the user service unable to answer.
	for until := time.Now().Add(2500 * time.Millisecond); time.Now().Before(until); time.Sleep(100 * time.Millisecond) {
		expect(t, call(t, "GET", "/api/v1/seminar/", p.Token, nil), 200)
	}
	// This session's own line: another test's outage could have logged one too.
	mine := fmt.Sprintf(`"user_id":%d`, p.ID)
	if !eventually(func() bool {
		for _, line := range strings.Split(gatewayLog(), "\n") {
			if strings.Contains(line, "stale-if-error") && strings.Contains(line, mine) {
				return true
			}
		}
		return false
	}) {
		t.Fatal("the list was served, but not through this session's stale-if-error identity")
	}
	expect(t, call(t, "GET", "/api/v1/seminar/", gone.Token, nil), 401)
	expect(t, call(t, "PUT", "/api/v1/user/me/", p.Token, map[string]any{"email": "new@example.com"}), 503)
}
