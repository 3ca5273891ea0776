package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBodiesThatAreNotJSONObjectsAre400(t *testing.T) {
	a := instructorAccount(t)
	for _, b := range []string{`{"name":`, `[1,2]`, `"text"`, `null`, `42`, `{"a":1} trailing`} {
		expect(t, call(t, "POST", "/api/v1/seminar/", a.Token, b), 400)
		expect(t, call(t, "POST", "/api/v1/user/", "", b), 400)
	}
}

func TestAnEmptyBodyCountsAsAnEmptyObject(t *testing.T) {
	m := expect(t, call(t, "POST", "/api/v1/user/", "", ""), 400).obj(t)
	if fields, _ := m["fields"].(map[string]any); fields["username"] == nil {
		t.Fatalf("empty signup body: %v", m)
	}
}

func TestBodiesOverOneMebibyteAre413(t *testing.T) {
	a := participantAccount(t)
	big := `{"university":"` + strings.Repeat("x", 1<<20) + `"}`
	expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, big), 413)
	expect(t, call(t, "POST", "/api/v1/user/", "", big), 413)
}

func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	a := participantAccount(t)
	expect(t, call(t, "GET", "/api/v1/nothing/", a.Token, nil), 404)
	expect(t, call(t, "GET", "/internal/v1/users/1", "", nil), 404)
	expect(t, call(t, "DELETE", "/api/v1/user/login/", "", nil), 405)
	expect(t, call(t, "PATCH", "/api/v1/seminar/", a.Token, nil), 405)
}

func TestRequestIDIsEchoedOrGenerated(t *testing.T) {
	r := callWith(t, "GET", "/ping", nil, map[string]string{"X-Request-ID": "abc-123"})
	if r.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("echoed %q", r.Header.Get("X-Request-ID"))
	}
	a, b := call(t, "GET", "/ping", "", nil), call(t, "GET", "/ping", "", nil)
	if a.Header.Get("X-Request-ID") == b.Header.Get("X-Request-ID") {
		t.Fatal("generated request ids repeat")
	}
}

func TestPingAndVersion(t *testing.T) {
	if r := expect(t, call(t, "GET", "/ping", "", nil), 200); string(r.Body) != "pong" {
		t.Fatalf("ping: %q", r.Body)
	}
	v := expect(t, call(t, "GET", "/version", "", nil), 200).obj(t)
	if v["version"] == "" || v["commit"] == "" {
		t.Fatalf("version %v", v)
	}
}

// The internal APIs' listeners carry no probes or metrics: those live on
// each process's ops listener (OPS_ADDR), which the internal callers and
// the edge do not reach.
func TestProbesAndMetricsAreOnlyOnTheOpsListener(t *testing.T) {
	sys.ownStack(t, "calls the services directly")
	for _, base := range []string{sys.user, sys.content} {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if got := status(t, base+path); got != 404 {
				t.Errorf("%s%s on the internal API: %d, want 404", base, path, got)
			}
		}
	}
	for name, base := range sys.ops {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if got := status(t, base+path); got != 200 {
				t.Errorf("%s %s on its ops listener: %d, want 200", name, path, got)
			}
		}
	}
}

func TestBackendsRefuseCallersWithoutTheInternalSecret(t *testing.T) {
	sys.ownStack(t, "calls the backends directly")
	for _, u := range []string{sys.user + "/internal/v1/users/1", sys.content + "/internal/v1/seminars"} {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("X-Caller-ID", "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s without the secret: %d", u, resp.StatusCode)
		}
	}
}

// With the content database unreachable, requests that need it answer 503
// promptly, readiness fails, and both recover without a restart once the
// database is back.
func TestADatabaseOutageIs503AndRecoversByItself(t *testing.T) {
	sys.ownStack(t, "cuts a database")
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 5)
	path := seminarPath(idOf(s), "")

	sys.dbProxy["content"].cut()
	restored := false
	defer func() {
		if !restored {
			_ = sys.dbProxy["content"].restore()
		}
	}()

	start := time.Now()
	expect(t, call(t, "GET", path, owner.Token, nil), 503)
	if took := time.Since(start); took > 6*time.Second {
		t.Fatalf("the 503 took %s", took)
	}
	if ready := status(t, sys.ops["content"]+"/readyz"); ready != 503 {
		t.Fatalf("content /readyz = %d during the outage", ready)
	}
	if live := status(t, sys.ops["content"]+"/healthz"); live != 200 {
		t.Fatalf("content /healthz = %d during the outage; liveness must not depend on the database", live)
	}
	// The user service has its own database and keeps working.
	expect(t, call(t, "GET", "/api/v1/user/me/", owner.Token, nil), 503) // needs content for the seminars
	expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": owner.Username, "password": "nope"}), 403)

	if err := sys.dbProxy["content"].restore(); err != nil {
		t.Fatal(err)
	}
	restored = true
	waitForDatabases(t, owner, path)
	if ready := status(t, sys.ops["content"]+"/readyz"); ready != 200 {
		t.Fatalf("content /readyz = %d after recovery", ready)
	}
}

func status(t *testing.T, u string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// waitForDatabases polls a request that needs both databases until it
// succeeds: pools notice dead connections on their own, within seconds.
func waitForDatabases(t *testing.T, a account, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for call(t, "GET", path, a.Token, nil).Status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("did not recover within 15s of the database returning")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// restoreDatabases ends a simulated outage of both databases.
func restoreDatabases(t *testing.T, a account) {
	t.Helper()
	for _, p := range sys.dbProxy {
		if err := p.restore(); err != nil {
			t.Fatal(err)
		}
	}
	waitForDatabases(t, a, "/api/v1/user/me/")
}

// Input PostgreSQL cannot store is bad input (400), never a 500.
func TestNULCharactersAreRefusedAsBadInput(t *testing.T) {
	a := instructorAccount(t)
	expect(t, call(t, "POST", "/api/v1/seminar/", a.Token, `{"name":"a\u0000b","capacity":1,"count":1,"time":"10:00"}`), 400)
	expect(t, call(t, "PUT", "/api/v1/user/login/", "", `{"username":"a\u0000b","password":"x"}`), 403)
	expect(t, call(t, "POST", "/api/v1/user/", "", `{"username":"x\u0000","password":"x","email":"a@example.com","role":"participant"}`), 400)
	if got := expect(t, call(t, "GET", "/api/v1/seminar/?name=%00", a.Token, nil), 200).list(t); len(got) != 0 {
		t.Fatalf("a NUL search matched %d seminars", len(got))
	}
}

// Bytes that are not UTF-8 in a query value or the path are bad input
// (400 JSON), never a 500 from PostgreSQL (SQLSTATE 22021).
func TestInvalidUTF8InTheQueryOrPathIs400(t *testing.T) {
	a := participantAccount(t)
	for _, path := range []string{
		"/api/v1/seminar/?name=%ff",
		"/api/v1/seminar/?name=%c3%28&order=earliest",
		"/api/v1/seminar/?%ff=x",
		"/api/v1/seminar/%ff/",
		"/api/v1/user/%fe%ff/",
	} {
		expect(t, call(t, "GET", path, a.Token, nil), 400)
	}
	expect(t, call(t, "DELETE", "/api/v1/seminar/%ff/user/", a.Token, nil), 400)
}

// Every API answer is kept out of caches: each carries a token or
// personal data.
func TestAPIAnswersAreNeverStoredByCaches(t *testing.T) {
	owner := instructorAccount(t)
	id := idOf(newSeminar(t, owner, 5))
	answers := []response{
		call(t, "POST", "/api/v1/user/", "", map[string]any{"username": unique("cc"), "password": "pw", "email": "cc@example.com", "role": "participant"}),
		call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": owner.Username, "password": "pw-instructor"}),
		call(t, "GET", "/api/v1/user/me/", owner.Token, nil),
		call(t, "GET", "/api/v1/seminar/", owner.Token, nil),
		call(t, "GET", seminarPath(id, ""), owner.Token, nil),
		call(t, "GET", "/api/v1/seminar/", "", nil),                   // 401
		call(t, "GET", seminarPath(id+1000000, ""), owner.Token, nil), // 404
	}
	for i, r := range answers {
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("answer %d (%d): Cache-Control %q, want no-store", i, r.Status, got)
		}
	}
}
