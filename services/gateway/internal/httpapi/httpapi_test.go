package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/services/gateway/internal/httpapi"
	"github.com/seminarhub/seminarhub/testkit/redistest"
)

// The gateway alone, over fake backends and a real Redis: how answers are
// composed, and when a remembered identity or answer may be trusted. Two
// replicas share the Redis, as they do behind the edge.

type gateway struct {
	*world
	replicas [2]http.Handler
	rdb      *redis.Client
}

// newGateway starts a Redis of its own for the test. Not in parallel: the
// identity and answer rules are checked through exact call counts and
// X-Cache values, which a Redis slowed past its timeout by a dozen other
// tests' servers starting at once would turn into BYPASS.
func newGateway(t *testing.T) *gateway {
	t.Helper()
	rdb, err := cache.Open(redistest.Start(t).URL, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	log := slog.New(slog.DiscardHandler)
	g := &gateway{world: newWorld(cache.New(rdb, "fake", log)), rdb: rdb}
	for i := range g.replicas {
		g.replicas[i] = httpapi.New(log, fakeUsers{g.world}, fakeContent{g.world}, cache.New(rdb, "gateway", log), httpapi.Memory{
			IdentityTTL: time.Minute, Answers: 100, Identities: 100, MaxAge: time.Minute, StaleIdentity: time.Minute,
		})
	}
	return g
}

type answer struct {
	*httptest.ResponseRecorder
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", a.Body, err)
	}
}

// on sends a request to replica i, authenticated with token.
func (g *gateway) on(i int, method, path, token, body string, header ...string) answer {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Token "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for j := 0; j+1 < len(header); j += 2 {
		req.Header.Set(header[j], header[j+1])
	}
	rec := httptest.NewRecorder()
	g.replicas[i].ServeHTTP(rec, req)
	return answer{rec}
}

func (g *gateway) get(i int, path, token string) answer {
	return g.on(i, http.MethodGet, path, token, "")
}

func wantStatus(t *testing.T, a answer, status int) {
	t.Helper()
	if a.Code != status {
		t.Fatalf("status %d, want %d: %s", a.Code, status, a.Body)
	}
}

type person struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	IsActive  *bool  `json:"is_active"`
}

type listed struct {
	ID               int64    `json:"id"`
	Name             string   `json:"name"`
	Instructors      []person `json:"instructors"`
	ParticipantCount int      `json:"participant_count"`
}

func TestTheListNamesEveryInstructorWithOneDirectoryLookup(t *testing.T) {
	g := newGateway(t)
	kim, token := g.addUser("kim", true, false)
	lee, _ := g.addUser("lee", true, false)
	student, _ := g.addUser("student", false, true)
	first := g.addSeminar("Django", kim, student)
	second := g.addSeminar("세미나 🎓", lee)

	a := g.get(0, "/api/v1/seminar/", token)
	wantStatus(t, a, http.StatusOK)
	var got []listed
	a.decode(t, &got)
	if len(got) != 2 || got[0].ID != second || got[1].ID != first {
		t.Fatalf("list %+v, want seminars %d then %d", got, second, first)
	}
	if in := got[0].Instructors; len(in) != 1 || in[0].ID != lee || in[0].Username != "lee" || in[0].Email != "lee@example.com" || in[0].FirstName != "lee" {
		t.Fatalf("instructors of %q: %+v", got[0].Name, in)
	}
	if got[0].Name != "세미나 🎓" || got[1].ParticipantCount != 1 || got[1].Instructors[0].Username != "kim" {
		t.Fatalf("list %+v", got)
	}
	if n := g.count("Summaries"); n != 1 {
		t.Fatalf("%d directory lookups for the list, want 1", n)
	}
}

func TestASeminarShowsEachParticipantWithTheirMembershipState(t *testing.T) {
	g := newGateway(t)
	kim, _ := g.addUser("kim", true, false)
	a, tokenA := g.addUser("a", false, true)
	b, tokenB := g.addUser("b", false, true)
	id := g.addSeminar("S", kim, a, b)
	wantStatus(t, g.on(0, http.MethodDelete, "/api/v1/seminar/"+cache.Itoa(id)+"/user/", tokenB, ""), http.StatusOK)

	r := g.get(1, "/api/v1/seminar/"+cache.Itoa(id)+"/", tokenA)
	wantStatus(t, r, http.StatusOK)
	var got struct {
		Participants []struct {
			person
			DroppedAt *string `json:"dropped_at"`
		} `json:"participants"`
	}
	r.decode(t, &got)
	p := got.Participants
	if len(p) != 2 || p[0].ID != a || !*p[0].IsActive || p[0].DroppedAt != nil || p[1].ID != b || *p[1].IsActive || p[1].DroppedAt == nil {
		t.Fatalf("participants %+v", p)
	}
}

func TestARepeatedReadIsAnsweredFromMemoryWithoutTheBackends(t *testing.T) {
	g := newGateway(t)
	kim, _ := g.addUser("kim", true, false)
	_, token := g.addUser("student", false, true)
	g.addSeminar("S", kim)

	first := g.get(0, "/api/v1/seminar/", token)
	second := g.get(0, "/api/v1/seminar/", token)
	wantStatus(t, second, http.StatusOK)
	if second.Body.String() != first.Body.String() || second.Header().Get(cache.Header) != string(cache.Hit) {
		t.Fatalf("second read: X-Cache %q, body %s (first %s)", second.Header().Get(cache.Header), second.Body, first.Body)
	}
	if n, m := g.count("List"), g.count("Summaries"); n != 1 || m != 1 {
		t.Fatalf("backends asked %d (list) and %d (names) times for two reads, want once each", n, m)
	}
	etag := second.Header().Get("ETag")
	third := g.on(0, http.MethodGet, "/api/v1/seminar/", token, "", "If-None-Match", etag)
	if etag == "" || third.Code != http.StatusNotModified || third.Body.Len() != 0 {
		t.Fatalf("If-None-Match %q: status %d, %d bytes", etag, third.Code, third.Body.Len())
	}
}

func TestAWriteOnOneReplicaIsSeenByTheNextReadOnTheOther(t *testing.T) {
	g := newGateway(t)
	kim, token := g.addUser("kim", true, false)
	id := g.addSeminar("before", kim)
	path := "/api/v1/seminar/" + cache.Itoa(id) + "/"
	for round := range 5 {
		g.get(0, "/api/v1/seminar/", token)
		g.get(0, path, token)
		name := "after " + cache.Itoa(int64(round))
		wantStatus(t, g.on(1, http.MethodPut, path, token, `{"name":"`+name+`"}`), http.StatusOK)
		var list []listed
		g.get(0, "/api/v1/seminar/", token).decode(t, &list)
		var one listed
		g.get(0, path, token).decode(t, &one)
		if list[0].Name != name || one.Name != name {
			t.Fatalf("round %d: replica 0 shows %q in the list and %q in the seminar, want %q", round, list[0].Name, one.Name, name)
		}
	}
}

func TestARenamedUserIsSeenInTheListComposedBefore(t *testing.T) {
	g := newGateway(t)
	kim, kimToken := g.addUser("kim", true, false)
	_, reader := g.addUser("student", false, true)
	g.addSeminar("S", kim)
	g.get(0, "/api/v1/seminar/", reader)
	if a := g.get(0, "/api/v1/seminar/", reader); a.Header().Get(cache.Header) != string(cache.Hit) {
		t.Fatalf("the list was not remembered before the rename (X-Cache %q)", a.Header().Get(cache.Header))
	}
	wantStatus(t, g.on(1, http.MethodPut, "/api/v1/user/me/", kimToken, `{"first_name":"김"}`), http.StatusOK)
	var list []listed
	g.get(0, "/api/v1/seminar/", reader).decode(t, &list)
	if list[0].Instructors[0].FirstName != "김" {
		t.Fatalf("instructor after the rename: %+v", list[0].Instructors[0])
	}
}

// A participant's identity is final (profiles are only gained, and
// "accepted" never changes): the user service's answer is kept at once.
func TestAFinalIdentityIsResolvedOnceAndThenRemembered(t *testing.T) {
	g := newGateway(t)
	_, token := g.addUser("student", false, true)
	for range 3 {
		wantStatus(t, g.get(0, "/api/v1/user/me/", token), http.StatusOK)
	}
	if n := g.count("Identify"); n != 1 {
		t.Fatalf("the user service resolved the token %d times, want 1", n)
	}
}

// An identity that may still change (no participant profile yet) is not
// kept from the answer that resolved it — a profile added meanwhile would
// be lost — but from the next lookup, read under its generation.
func TestAnIdentityThatMayChangeIsKeptFromTheSecondLookup(t *testing.T) {
	g := newGateway(t)
	_, token := g.addUser("kim", true, false)
	for range 4 {
		wantStatus(t, g.get(0, "/api/v1/user/me/", token), http.StatusOK)
	}
	if n := g.count("Identify"); n != 2 {
		t.Fatalf("the user service resolved the token %d times in 4 requests, want 2", n)
	}
}

func TestAnUnknownTokenIsRefused(t *testing.T) {
	g := newGateway(t)
	a := g.get(0, "/api/v1/seminar/", "no-such-token")
	wantStatus(t, a, http.StatusUnauthorized)
	if a.Header().Get("WWW-Authenticate") != "Token" || !strings.Contains(a.Body.String(), `"error"`) {
		t.Fatalf("headers %v body %s", a.Header(), a.Body)
	}
}

func TestLogoutOnOneReplicaEndsTheSessionOnTheOtherAtOnce(t *testing.T) {
	g := newGateway(t)
	_, token := g.addUser("kim", true, false)
	wantStatus(t, g.get(0, "/api/v1/user/me/", token), http.StatusOK)
	wantStatus(t, g.get(1, "/api/v1/user/me/", token), http.StatusOK)
	wantStatus(t, g.on(1, http.MethodPost, "/api/v1/user/logout/", token, ""), http.StatusOK)
	wantStatus(t, g.get(0, "/api/v1/user/me/", token), http.StatusUnauthorized)
}

func TestANewPasswordEndsTheOtherSessionsEverywhereButKeepsThisOne(t *testing.T) {
	g := newGateway(t)
	id, phone := g.addUser("kim", true, false)
	g.mu.Lock()
	laptop := g.newToken(id)
	g.mu.Unlock()
	for i := range g.replicas {
		wantStatus(t, g.get(i, "/api/v1/user/me/", laptop), http.StatusOK)
		wantStatus(t, g.get(i, "/api/v1/user/me/", phone), http.StatusOK)
	}
	wantStatus(t, g.on(0, http.MethodPut, "/api/v1/user/me/", phone, `{"password":"new secret"}`), http.StatusOK)
	for i := range g.replicas {
		wantStatus(t, g.get(i, "/api/v1/user/me/", laptop), http.StatusUnauthorized)
		wantStatus(t, g.get(i, "/api/v1/user/me/", phone), http.StatusOK)
	}
}

func TestANewParticipantProfileCountsOnTheNextRequestOnEveryReplica(t *testing.T) {
	g := newGateway(t)
	kim, _ := g.addUser("kim", true, false)
	_, lee := g.addUser("lee", true, false)
	id := g.addSeminar("S", kim)
	join := "/api/v1/seminar/" + cache.Itoa(id) + "/user/"
	// Both replicas remember lee as an instructor only.
	wantStatus(t, g.on(0, http.MethodPost, join, lee, `{"role":"participant"}`), http.StatusForbidden)
	wantStatus(t, g.on(1, http.MethodPost, join, lee, `{"role":"participant"}`), http.StatusForbidden)
	wantStatus(t, g.on(1, http.MethodPost, "/api/v1/user/participant/", lee, `{"university":"KAIST"}`), http.StatusCreated)
	wantStatus(t, g.on(0, http.MethodPost, join, lee, `{"role":"participant"}`), http.StatusCreated)
}

func TestWhileTheUserServiceIsDownARecentSessionKeepsReading(t *testing.T) {
	g := newGateway(t)
	kim, _ := g.addUser("kim", true, false)
	_, known := g.addUser("student", false, true)
	_, unknown := g.addUser("lee", false, true)
	g.addSeminar("S", kim)
	wantStatus(t, g.get(0, "/api/v1/seminar/", known), http.StatusOK)
	// The resolved token and identity entries are gone (expired, evicted):
	// only the stale-if-error copy can speak for the token now.
	ctx := context.Background()
	for _, pattern := range []string{"gateway:token:*", "gateway:identity:*"} {
		keys, err := g.rdb.Keys(ctx, pattern).Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("keys %s: %v %v", pattern, keys, err)
		}
		g.rdb.Del(ctx, keys...)
	}
	g.mu.Lock()
	g.down = true
	g.mu.Unlock()
	before := g.count("Identify")
	// The other replica never saw this token.
	wantStatus(t, g.get(1, "/api/v1/seminar/", known), http.StatusOK)
	if g.count("Identify") == before {
		t.Fatal("the token was resolved without asking the user service: the stale copy was never needed")
	}
	wantStatus(t, g.get(1, "/api/v1/seminar/", unknown), http.StatusServiceUnavailable)
}
