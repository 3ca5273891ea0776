package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

func TestSignupParticipantReturnsTheUserWithATokenAndDefaults(t *testing.T) {
	name := unique("part")
	before := time.Now().UTC().Add(-time.Second)
	m := expect(t, call(t, "POST", "/api/v1/user/", "", map[string]any{
		"username": name, "password": "pw", "email": "bdv111@snu.ac.kr", "role": "participant",
		"first_name": "다빈", "last_name": "Byeon",
	}), 201).obj(t)
	if m["username"] != name || m["email"] != "bdv111@snu.ac.kr" || m["first_name"] != "다빈" || m["last_name"] != "Byeon" {
		t.Fatalf("account fields: %v", m)
	}
	if m["instructor"] != nil {
		t.Fatalf("instructor = %v, want null", m["instructor"])
	}
	p := m["participant"].(map[string]any)
	if p["university"] != "" || p["accepted"] != true || len(p["seminars"].([]any)) != 0 {
		t.Fatalf("participant = %v", p)
	}
	if tok := m["token"].(string); len(tok) < 43 {
		t.Fatalf("token %q is too short", tok)
	}
	if ll := parseTime(t, m["last_login"]); ll.Before(before) {
		t.Fatalf("last_login %v is not now", ll)
	}
	parseTime(t, m["date_joined"])
}

func TestSignupInstructorCoercesYearAndDefaultsCompany(t *testing.T) {
	m := expect(t, call(t, "POST", "/api/v1/user", "", map[string]any{
		"username": unique("inst"), "password": "pw", "email": "i@example.com", "role": "instructor", "year": "3",
	}), 201).obj(t)
	i := m["instructor"].(map[string]any)
	if i["year"] != float64(3) || i["company"] != "" || i["charge"] != nil || m["participant"] != nil {
		t.Fatalf("got %v", m)
	}
}

func TestSignupRejectsInvalidInputWithFieldMessages(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"username": unique("bad"), "password": "pw", "email": "a@example.com", "role": "participant"}
	}
	cases := []struct {
		name  string
		field string
		edit  func(map[string]any)
	}{
		{"missing username", "username", func(b map[string]any) { delete(b, "username") }},
		{"bad username", "username", func(b map[string]any) { b["username"] = "has space" }},
		{"missing password", "password", func(b map[string]any) { delete(b, "password") }},
		{"empty password", "password", func(b map[string]any) { b["password"] = "" }},
		{"bad email", "email", func(b map[string]any) { b["email"] = "not-an-email" }},
		{"missing role", "role", func(b map[string]any) { delete(b, "role") }},
		{"unknown role", "role", func(b map[string]any) { b["role"] = "admin" }},
		{"only first name", "last_name", func(b map[string]any) { b["first_name"] = "Davin" }},
		{"digit in name", "first_name", func(b map[string]any) { b["first_name"], b["last_name"] = "Davin1", "Byeon" }},
		{"accepted not boolean", "accepted", func(b map[string]any) { b["accepted"] = "yes" }},
		{"accepted null", "accepted", func(b map[string]any) { b["accepted"] = nil }},
		{"negative year", "year", func(b map[string]any) { b["role"], b["year"] = "instructor", -1 }},
		{"fractional year", "year", func(b map[string]any) { b["role"], b["year"] = "instructor", 1.5 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := base()
			c.edit(b)
			m := expect(t, call(t, "POST", "/api/v1/user/", "", b), 400).obj(t)
			if fields, _ := m["fields"].(map[string]any); fields[c.field] == nil {
				t.Fatalf("no message for %q: %v", c.field, m)
			}
		})
	}
}

func TestSignupIgnoresTheOtherRolesFieldsAndABadTokenHeader(t *testing.T) {
	m := expect(t, callWith(t, "POST", "/api/v1/user/", map[string]any{
		"username": unique("p"), "password": "pw", "email": "a@example.com", "role": "participant", "year": -5, "company": 7,
	}, map[string]string{"Authorization": "Token not-a-real-token"}), 201).obj(t)
	if m["instructor"] != nil {
		t.Fatalf("instructor = %v", m["instructor"])
	}
}

func TestSignupWithATakenUsernameIs400(t *testing.T) {
	a := participantAccount(t)
	expect(t, call(t, "POST", "/api/v1/user/", "", map[string]any{"username": a.Username, "password": "x", "email": "b@example.com", "role": "instructor"}), 400)
}

func TestTenSimultaneousSignupsWithOneUsernameGiveOne201AndNo500(t *testing.T) {
	for round := 0; round < 3; round++ {
		name := unique("race")
		statuses := make(chan int, 10)
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- call(t, "POST", "/api/v1/user/", "", map[string]any{"username": name, "password": "pw", "email": "r@example.com", "role": "participant"}).Status
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[201] != 1 || count[400] != 9 {
			t.Fatalf("round %d: statuses %v, want one 201 and nine 400", round, count)
		}
	}
}

func TestLoginIssuesANewTokenAndUpdatesLastLogin(t *testing.T) {
	a := participantAccount(t)
	first := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200).obj(t)
	m := expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "pw-participant"}), 200).obj(t)
	if m["token"] == a.Token || m["id"] != first["id"] {
		t.Fatalf("login answer %v", m)
	}
	if !parseTime(t, m["last_login"]).After(parseTime(t, first["last_login"])) {
		t.Fatalf("last_login not updated: %v → %v", first["last_login"], m["last_login"])
	}
	expect(t, call(t, "GET", "/api/v1/user/me/", m["token"].(string), nil), 200)
	expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200)
}

func TestLoginWithAWrongPasswordOrUnknownUserIs403WithOneMessage(t *testing.T) {
	a := participantAccount(t)
	wrong := expect(t, call(t, "PUT", "/api/v1/user/login", "", map[string]any{"username": a.Username, "password": "nope"}), 403).obj(t)
	unknown := expect(t, call(t, "PUT", "/api/v1/user/login", "", map[string]any{"username": unique("ghost"), "password": "nope"}), 403).obj(t)
	if wrong["error"] != unknown["error"] {
		t.Fatalf("messages differ: %q vs %q", wrong["error"], unknown["error"])
	}
}

func TestLoginWithoutCredentialsIsTheSame403(t *testing.T) {
	for _, b := range []string{`{}`, `{"username":"someone"}`, `{"password":"x"}`, `{"username":5,"password":true}`} {
		m := expect(t, call(t, "PUT", "/api/v1/user/login/", "", b), 403).obj(t)
		if m["error"] != "wrong username or password" {
			t.Fatalf("%s: %v", b, m)
		}
	}
}

func TestLogoutRevokesOnlyTheTokenUsed(t *testing.T) {
	a := participantAccount(t)
	other := expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "pw-participant"}), 200).obj(t)["token"].(string)
	m := expect(t, call(t, "POST", "/api/v1/user/logout/", a.Token, nil), 200).obj(t)
	if len(m) != 0 {
		t.Fatalf("logout answered %v, want {}", m)
	}
	r := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 401)
	if r.Header.Get("WWW-Authenticate") != "Token" {
		t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
	}
	expect(t, call(t, "GET", "/api/v1/user/me/", other, nil), 200)
}

func TestProtectedEndpointsNeedAValidToken(t *testing.T) {
	paths := []struct{ method, path string }{
		{"POST", "/api/v1/user/logout/"}, {"GET", "/api/v1/user/me/"}, {"PUT", "/api/v1/user/me/"},
		{"POST", "/api/v1/user/participant/"}, {"GET", "/api/v1/seminar/"}, {"POST", "/api/v1/seminar/"},
		{"GET", "/api/v1/seminar/1/"}, {"PUT", "/api/v1/seminar/1/"}, {"POST", "/api/v1/seminar/1/user/"},
		{"DELETE", "/api/v1/seminar/1/user/"},
	}
	for _, p := range paths {
		for _, auth := range []string{"", "Token", "Token bogus", "Bearer abc"} {
			r := expect(t, callWith(t, p.method, p.path, nil, map[string]string{"Authorization": auth}), 401)
			if r.Header.Get("WWW-Authenticate") != "Token" {
				t.Fatalf("%s %s with %q: WWW-Authenticate = %q", p.method, p.path, auth, r.Header.Get("WWW-Authenticate"))
			}
		}
	}
}

func TestGetUserByIDOrMeAndNeverTheToken(t *testing.T) {
	a, b := participantAccount(t), instructorAccount(t)
	me := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200).obj(t)
	other := expect(t, call(t, "GET", fmt.Sprintf("/api/v1/user/%d/", b.ID), a.Token, nil), 200).obj(t)
	if idOf(me) != a.ID || idOf(other) != b.ID || me["token"] != nil || other["token"] != nil {
		t.Fatalf("me %v other %v", me, other)
	}
	expect(t, call(t, "GET", "/api/v1/user/99999999/", a.Token, nil), 404)
	expect(t, call(t, "GET", "/api/v1/user/abc/", a.Token, nil), 404)
}

func TestUpdateMeChangesOnlyTheFieldsSent(t *testing.T) {
	a := signupAs(t, "instructor", map[string]any{"company": "Old", "year": 2})
	newName := unique("renamed")
	m := expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, map[string]any{
		"username": newName, "first_name": "New", "last_name": "Name", "year": "", "university": "ignored",
	}), 200).obj(t)
	i := m["instructor"].(map[string]any)
	if m["username"] != newName || m["first_name"] != "New" || m["last_name"] != "Name" || m["email"] != "someone@example.com" ||
		i["year"] != nil || i["company"] != "Old" || m["participant"] != nil || m["token"] != nil {
		t.Fatalf("got %v", m)
	}
}

func TestUpdateWithOneInvalidFieldChangesNothing(t *testing.T) {
	a := participantAccount(t)
	before := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200).Body
	expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, map[string]any{"email": "new@example.com", "first_name": "OnlyFirst"}), 400)
	expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, map[string]any{"university": "X", "username": "bad name"}), 400)
	after := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200).Body
	if string(before) != string(after) {
		t.Fatalf("changed:\n%s\n%s", before, after)
	}
}

func TestUpdateWithAnEmptyBodyIs200AndChangesNothing(t *testing.T) {
	a := participantAccount(t)
	before := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200).Body
	after := expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, nil), 200).Body
	if string(before) != string(after) {
		t.Fatalf("changed:\n%s\n%s", before, after)
	}
}

func TestUpdateCannotChangeAccepted(t *testing.T) {
	a := signupAs(t, "participant", map[string]any{"accepted": false})
	m := expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, map[string]any{"accepted": true}), 200).obj(t)
	if m["participant"].(map[string]any)["accepted"] != false {
		t.Fatalf("accepted changed: %v", m)
	}
}

func TestUpdatingSomeoneElseIs403(t *testing.T) {
	a, b := participantAccount(t), participantAccount(t)
	expect(t, call(t, "PUT", fmt.Sprintf("/api/v1/user/%d/", b.ID), a.Token, map[string]any{"email": "x@example.com"}), 403)
	expect(t, call(t, "PUT", fmt.Sprintf("/api/v1/user/%d/", a.ID), a.Token, map[string]any{"email": "x@example.com"}), 200)
}

func TestAChangedPasswordIsTheOneThatLogsIn(t *testing.T) {
	a := participantAccount(t)
	expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, map[string]any{"password": "brand-new"}), 200)
	expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "pw-participant"}), 403)
	expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "brand-new"}), 200)
}

// A new password ends every other session at once — including sessions
// both gateway replicas remember — and keeps the one that changed it.
func TestANewPasswordEndsEveryOtherSessionAtOnce(t *testing.T) {
	a := participantAccount(t)
	other := expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "pw-participant"}), 200).obj(t)["token"].(string)
	third := expect(t, call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": a.Username, "password": "pw-participant"}), 200).obj(t)["token"].(string)
	stranger := participantAccount(t)
	if !sys.remote {
		for _, socket := range []string{sys.socket, sys.socket2} {
			warmOn(t, socket, "/api/v1/seminar/", other)
		}
	}
	expect(t, call(t, "PUT", "/api/v1/user/me/", a.Token, map[string]any{"password": "brand-new-2"}), 200)
	for i := 0; i < 4; i++ { // both replicas, twice
		expect(t, call(t, "GET", "/api/v1/seminar/", other, nil), 401)
		expect(t, call(t, "GET", "/api/v1/user/me/", third, nil), 401)
		expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200)
		expect(t, call(t, "GET", "/api/v1/user/me/", stranger.Token, nil), 200)
	}
	if !sys.remote {
		for _, socket := range []string{sys.socket, sys.socket2} {
			expect(t, onReplica(t, socket, "GET", "/api/v1/seminar/", other, nil), 401)
		}
	}
}

func TestAnInstructorBecomesAParticipantOnce(t *testing.T) {
	a := instructorAccount(t)
	m := expect(t, call(t, "POST", "/api/v1/user/participant/", a.Token, map[string]any{"university": "SNU", "accepted": "false"}), 201).obj(t)
	p := m["participant"].(map[string]any)
	if p["university"] != "SNU" || p["accepted"] != false || m["instructor"] == nil {
		t.Fatalf("got %v", m)
	}
	expect(t, call(t, "POST", "/api/v1/user/participant/", a.Token, nil), 400)
}

func TestBecomingAParticipantWithAcceptedNullIs400(t *testing.T) {
	a := instructorAccount(t)
	m := expect(t, call(t, "POST", "/api/v1/user/participant/", a.Token, `{"accepted":null}`), 400).obj(t)
	if fields, _ := m["fields"].(map[string]any); fields["accepted"] == nil {
		t.Fatalf("no message for accepted: %v", m)
	}
	if me := expect(t, call(t, "GET", "/api/v1/user/me/", a.Token, nil), 200).obj(t); me["participant"] != nil {
		t.Fatalf("a refused request created a participant profile: %v", me["participant"])
	}
}

func TestANewParticipantProfileTakesEffectOnTheNextRequest(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 5)
	a := instructorAccount(t)
	expect(t, call(t, "POST", "/api/v1/user/participant/", a.Token, nil), 201)
	expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), a.Token, map[string]any{"role": "participant"}), 201)
}

func TestTrailingSlashIsOptionalAndNeverRedirects(t *testing.T) {
	a := participantAccount(t)
	for _, p := range []string{"/api/v1/user/me/", "/api/v1/user/me", "/api/v1/seminar/", "/api/v1/seminar"} {
		r := call(t, "GET", p, a.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", p, r.Status)
		}
	}
}

func login(t *testing.T, username, password string) response {
	t.Helper()
	return call(t, "PUT", "/api/v1/user/login/", "", map[string]any{"username": username, "password": password})
}

// Guessing one account's password is throttled whoever guesses: after the
// burst every attempt — the right password too — is 429 with Retry-After
// until the next attempt is due, a few seconds later.
func TestLoginGuessingIsThrottledPerAccount(t *testing.T) {
	a, bystander := participantAccount(t), participantAccount(t)
	for i := 0; i < 10; i++ {
		expect(t, login(t, a.Username, "wrong"), 403)
	}
	for _, password := range []string{"wrong", "pw-participant"} {
		r := expect(t, login(t, a.Username, password), 429)
		wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || wait < 1 || wait > 6 {
			t.Fatalf("Retry-After %q, want 1–6 seconds", r.Header.Get("Retry-After"))
		}
	}
	expect(t, login(t, bystander.Username, "pw-participant"), 200)
}

// Usernames are compared exactly, so are login attempts: guesses at a
// name that differs from an account's only in case are guesses at another
// (here, no) account, and never lock the real one out.
func TestOneNamesFailuresNeverLockAnAccountWhoseNameDiffersInCase(t *testing.T) {
	a := participantAccount(t)
	for i := 0; i < 11; i++ {
		login(t, strings.ToUpper(a.Username), "wrong")
	}
	expect(t, login(t, strings.ToUpper(a.Username), "wrong"), 429)
	expect(t, login(t, a.Username, "pw-participant"), 200)
}

func retryAfter(t testing.TB, r response) time.Duration {
	t.Helper()
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("%d with Retry-After %q; want whole seconds", r.Status, r.Header.Get("Retry-After"))
	}
	return time.Duration(secs) * time.Second
}

// A lockout that keeps coming back lasts longer each time: 6 s, then 12 s
// (then 24, 48 … at most 15 min), so guessing one password gets slower and
// slower instead of going on at ten guesses a minute. The right password
// during a lockout is refused like any other.
func TestRepeatedLockoutsOfAnAccountLastLongerEachTime(t *testing.T) {
	a := participantAccount(t)
	for i := 0; i < 10; i++ {
		expect(t, login(t, a.Username, "wrong"), 403)
	}
	first := retryAfter(t, expect(t, login(t, a.Username, "wrong"), 429))
	retryAfter(t, expect(t, login(t, a.Username, "pw-participant"), 429))
	// Asking while locked out costs nothing: ask until it ends.
	deadline := time.Now().Add(first + 5*time.Second)
	r := login(t, a.Username, "wrong")
	for r.Status == 429 && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		r = login(t, a.Username, "wrong")
	}
	expect(t, r, 403) // one attempt came back while locked out
	second := retryAfter(t, expect(t, login(t, a.Username, "wrong"), 429))
	if first != 6*time.Second || second != 12*time.Second {
		t.Fatalf("lockouts of %s, then %s; want 6s, then 12s", first, second)
	}
}

// Credential stuffing: one guess each at many accounts, from one address.
// The address's budget of failed logins (100 an hour, as shipped) ends it;
// a class behind one address with the usual typos stays far below.
func TestFailedLoginsFromOneAddressMeetItsBudgetWhateverTheAccounts(t *testing.T) {
	sys.ownStack(t, "needs the product's per-address budgets as shipped (a remote deployment lifts them for the suite)")
	names := signupMany(t, 150)
	var statuses []int
	for _, name := range names {
		r := login(t, name, "a guess")
		statuses = append(statuses, r.Status)
		if r.Status == 429 {
			if wait := retryAfter(t, r); wait > 36*time.Second {
				t.Fatalf("Retry-After %s; want at most 36 s (100 an hour)", wait)
			}
			if msg := r.obj(t)["error"]; !strings.Contains(fmt.Sprint(msg), "from your network") {
				t.Fatalf("429 %q; want it to say the network is the reason", msg)
			}
		}
	}
	want := append(slices.Repeat([]int{403}, 100), slices.Repeat([]int{429}, 50)...)
	if !slices.Equal(statuses, want) {
		t.Fatalf("150 wrong guesses from one address: %v; want 100 × 403, then 429", statuses)
	}
	// The budget is the address's: the right password from it is refused
	// too (or it could still test passwords), from elsewhere it is not.
	expect(t, login(t, names[0], "pw"), 429)
	expect(t, send(t, http.DefaultClient, sys.gateway, "PUT", "/api/v1/user/login/", map[string]any{"username": names[0], "password": "pw"}, nil), 200)
}

// One address may sign up 300 times an hour (as shipped): a class of 200
// behind one NAT address in one go, not a script making accounts.
func TestSignupsFromOneAddressMeetAnHourlyBudget(t *testing.T) {
	sys.ownStack(t, "needs the product's per-address budgets as shipped (a remote deployment lifts them for the suite)")
	signupMany(t, 300)
	r := expect(t, call(t, "POST", "/api/v1/user/", "", map[string]any{"username": unique("extra"), "password": "pw", "email": "s@example.com", "role": "participant"}), 429)
	if wait := retryAfter(t, r); wait > 12*time.Second {
		t.Fatalf("Retry-After %s; want at most 12 s (300 an hour)", wait)
	}
	other := send(t, http.DefaultClient, sys.gateway, "POST", "/api/v1/user/", map[string]any{"username": unique("neighbour"), "password": "pw", "email": "s@example.com", "role": "participant"}, nil)
	expect(t, other, 201)
}

// A username that passes for one already taken is taken: the same but for
// letter case or full-width letters, or one mixing Latin with Cyrillic —
// at signup and on rename.
func TestAUsernameThatLooksLikeATakenOneIsRefused(t *testing.T) {
	base := unique("ab_")
	expect(t, call(t, "POST", "/api/v1/user/", "", map[string]any{"username": base, "password": "pw", "email": "s@example.com", "role": "participant"}), 201)
	for _, name := range []string{
		strings.ToUpper(base),
		"ａｂ" + strings.TrimPrefix(base, "ab"), // full width
		"pі_" + base,                          // Cyrillic і
	} {
		r := expect(t, call(t, "POST", "/api/v1/user/", "", map[string]any{"username": name, "password": "pw", "email": "s@example.com", "role": "participant"}), 400)
		if fields, _ := r.obj(t)["fields"].(map[string]any); fields["username"] == nil {
			t.Fatalf("%q: %s; want the username named", name, r.Body)
		}
	}
	other := participantAccount(t)
	expect(t, call(t, "PUT", "/api/v1/user/me/", other.Token, map[string]any{"username": strings.ToUpper(base)}), 400)
}

// signupMany signs n participants up from t's address, a few at a time,
// with password "pw", and returns their usernames.
func signupMany(t *testing.T, n int) []string {
	t.Helper()
	names := make([]string, n)
	reqs, answers := make([]*http.Request, n), make([]response, n)
	var g errgroup.Group
	g.SetLimit(8)
	for i := range names {
		names[i] = unique("many")
		g.Go(func() (err error) {
			reqs[i], answers[i], err = exchange(clientOf(t), sys.gateway, "POST", "/api/v1/user/", map[string]any{"username": names[i], "password": "pw", "email": "s@example.com", "role": "participant"}, nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range answers {
		validate(t, reqs[i], answers[i])
		expect(t, answers[i], 201)
	}
	return names
}
