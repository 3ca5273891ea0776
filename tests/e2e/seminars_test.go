package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestCreateSeminarMakesTheCallerItsInstructor(t *testing.T) {
	owner := instructorAccount(t)
	m := expect(t, call(t, "POST", "/api/v1/seminar/", owner.Token, map[string]any{
		"name": "Django", "capacity": "40", "count": 5, "time": "14:30", "online": "False",
	}), 201).obj(t)
	if m["name"] != "Django" || m["capacity"] != float64(40) || m["count"] != float64(5) || m["time"] != "14:30" || m["online"] != false {
		t.Fatalf("fields: %v", m)
	}
	ins := list(m, "instructors")
	if len(ins) != 1 || int64(ins[0]["id"].(float64)) != owner.ID || ins[0]["username"] != owner.Username || len(list(m, "participants")) != 0 {
		t.Fatalf("members: %v", m)
	}
	charge := expect(t, call(t, "GET", "/api/v1/user/me/", owner.Token, nil), 200).obj(t)["instructor"].(map[string]any)["charge"].(map[string]any)
	if idOf(charge) != idOf(m) || charge["name"] != "Django" || charge["joined_at"] != ins[0]["joined_at"] {
		t.Fatalf("charge %v", charge)
	}
}

func TestCreateSeminarDefaultsOnlineToTrue(t *testing.T) {
	m := newSeminar(t, instructorAccount(t), 3)
	if m["online"] != true {
		t.Fatalf("online = %v", m["online"])
	}
}

func TestCreateSeminarByAParticipantIs403(t *testing.T) {
	expect(t, call(t, "POST", "/api/v1/seminar/", participantAccount(t).Token, map[string]any{"name": "x", "capacity": 1, "count": 1, "time": "10:00"}), 403)
}

func TestCreateSeminarRejectsInvalidFields(t *testing.T) {
	owner := instructorAccount(t)
	for _, b := range []map[string]any{
		{"capacity": 1, "count": 1, "time": "10:00"},
		{"name": "", "capacity": 1, "count": 1, "time": "10:00"},
		{"name": strings.Repeat("n", 101), "capacity": 1, "count": 1, "time": "10:00"},
		{"name": "x", "capacity": "ten", "count": 1, "time": "10:00"},
		{"name": "x", "capacity": 0, "count": 1, "time": "10:00"},
		{"name": "x", "capacity": 1.5, "count": 1, "time": "10:00"},
		{"name": "x", "capacity": 1, "count": true, "time": "10:00"},
		{"name": "x", "capacity": 1, "count": 1, "time": "25:00"},
		{"name": "x", "capacity": 1, "count": 1, "time": "2pm"},
		{"name": "x", "capacity": 1, "count": 1, "time": "10:00", "online": "maybe"},
	} {
		expect(t, call(t, "POST", "/api/v1/seminar/", owner.Token, b), 400)
	}
	// Nothing was created by any of them.
	if ch := expect(t, call(t, "GET", "/api/v1/user/me/", owner.Token, nil), 200).obj(t)["instructor"].(map[string]any)["charge"]; ch != nil {
		t.Fatalf("a refused create left a charge: %v", ch)
	}
}

func TestAnInstructorInChargeCannotCreateASecondSeminar(t *testing.T) {
	owner := instructorAccount(t)
	newSeminar(t, owner, 3)
	expect(t, call(t, "POST", "/api/v1/seminar/", owner.Token, map[string]any{"name": "2nd", "capacity": 1, "count": 1, "time": "10:00"}), 400)
}

func TestUnknownSeminarIs404OnEveryIDPath(t *testing.T) {
	a := signupAs(t, "instructor", nil)
	for _, id := range []string{"99999999", "abc", "0"} {
		expect(t, call(t, "GET", "/api/v1/seminar/"+id+"/", a.Token, nil), 404)
		expect(t, call(t, "PUT", "/api/v1/seminar/"+id+"/", a.Token, map[string]any{"name": "x"}), 404)
		expect(t, call(t, "POST", "/api/v1/seminar/"+id+"/user/", a.Token, map[string]any{"role": "instructor"}), 404)
		expect(t, call(t, "DELETE", "/api/v1/seminar/"+id+"/user/", a.Token, nil), 404)
	}
}

func TestUpdateSeminarIsPartialAndOnlyForItsInstructors(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 5)
	path := seminarPath(idOf(s), "")
	expect(t, call(t, "PUT", path, instructorAccount(t).Token, map[string]any{"name": "hijack"}), 403)
	expect(t, call(t, "PUT", path, participantAccount(t).Token, map[string]any{"name": "hijack"}), 403)
	m := expect(t, call(t, "PUT", path, owner.Token, map[string]any{"count": "7", "online": "false"}), 200).obj(t)
	if m["name"] != s["name"] || m["capacity"] != s["capacity"] || m["time"] != s["time"] || m["count"] != float64(7) || m["online"] != false {
		t.Fatalf("got %v", m)
	}
	unchanged := expect(t, call(t, "PUT", path, owner.Token, nil), 200).obj(t)
	if unchanged["count"] != float64(7) {
		t.Fatalf("empty body changed the seminar: %v", unchanged)
	}
	expect(t, call(t, "PUT", path, owner.Token, map[string]any{"time": "24:00"}), 400)
}

func TestCapacityCannotGoBelowActiveParticipants(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 5)
	a, b := participantAccount(t), participantAccount(t)
	expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), a.Token, map[string]any{"role": "participant"}), 201)
	expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), b.Token, map[string]any{"role": "participant"}), 201)
	expect(t, call(t, "PUT", seminarPath(idOf(s), ""), owner.Token, map[string]any{"capacity": 1}), 400)
	expect(t, call(t, "DELETE", seminarPath(idOf(s), "user/"), b.Token, nil), 200)
	m := expect(t, call(t, "PUT", seminarPath(idOf(s), ""), owner.Token, map[string]any{"capacity": 1}), 200).obj(t)
	if m["capacity"] != float64(1) {
		t.Fatalf("capacity %v", m["capacity"])
	}
}

func TestJoinChecksInTheContractsOrder(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 1)
	join := seminarPath(idOf(s), "user/")
	p := participantAccount(t)
	expect(t, call(t, "POST", join, p.Token, map[string]any{}), 400)
	expect(t, call(t, "POST", join, p.Token, map[string]any{"role": "guest"}), 400)
	expect(t, call(t, "POST", join, owner.Token, map[string]any{"role": "participant"}), 400) // already a member
	expect(t, call(t, "POST", join, instructorAccount(t).Token, map[string]any{"role": "participant"}), 403)
	expect(t, call(t, "POST", join, signupAs(t, "participant", map[string]any{"accepted": false}).Token, map[string]any{"role": "participant"}), 403)
	expect(t, call(t, "POST", join, p.Token, map[string]any{"role": "instructor"}), 403)
	m := expect(t, call(t, "POST", join, p.Token, map[string]any{"role": "participant"}), 201).obj(t)
	parts := list(m, "participants")
	if len(parts) != 1 || int64(parts[0]["id"].(float64)) != p.ID || parts[0]["is_active"] != true || parts[0]["dropped_at"] != nil {
		t.Fatalf("participants %v", parts)
	}
	expect(t, call(t, "POST", join, participantAccount(t).Token, map[string]any{"role": "participant"}), 400) // full
	expect(t, call(t, "POST", join, p.Token, map[string]any{"role": "participant"}), 400)                     // twice
}

func TestAnInstructorJoinsAsInstructorOnlyWhenInChargeOfNothing(t *testing.T) {
	a, b := instructorAccount(t), instructorAccount(t)
	s := newSeminar(t, a, 3)
	m := expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), b.Token, map[string]any{"role": "instructor"}), 201).obj(t)
	if ins := list(m, "instructors"); len(ins) != 2 || int64(ins[1]["id"].(float64)) != b.ID {
		t.Fatalf("instructors %v", ins)
	}
	other := newSeminar(t, instructorAccount(t), 3)
	expect(t, call(t, "POST", seminarPath(idOf(other), "user/"), b.Token, map[string]any{"role": "instructor"}), 400)
	// Now in charge, b may edit the seminar too.
	expect(t, call(t, "PUT", seminarPath(idOf(s), ""), b.Token, map[string]any{"name": "co-run"}), 200)
}

func TestDropRules(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 3)
	path := seminarPath(idOf(s), "user/")
	p, stranger := participantAccount(t), participantAccount(t)
	expect(t, call(t, "POST", path, p.Token, map[string]any{"role": "participant"}), 201)

	expect(t, call(t, "DELETE", path, owner.Token, nil), 403) // no participant profile
	expect(t, call(t, "POST", "/api/v1/user/participant/", owner.Token, nil), 201)
	expect(t, call(t, "DELETE", path, owner.Token, nil), 403) // instructor of this seminar

	before := expect(t, call(t, "GET", seminarPath(idOf(s), ""), p.Token, nil), 200).Body
	notMember := expect(t, call(t, "DELETE", path, stranger.Token, nil), 200).Body
	if string(before) != string(notMember) {
		t.Fatalf("a non-member's drop changed the seminar")
	}
	m := expect(t, call(t, "DELETE", path, p.Token, nil), 200).obj(t)
	part := list(m, "participants")[0]
	if part["is_active"] != false || part["dropped_at"] == nil || parseTime(t, part["dropped_at"]).Before(parseTime(t, part["joined_at"])) {
		t.Fatalf("dropped participant %v", part)
	}
	again := expect(t, call(t, "DELETE", path, p.Token, nil), 200).obj(t)
	if list(again, "participants")[0]["dropped_at"] != part["dropped_at"] {
		t.Fatal("dropping twice changed dropped_at")
	}
	expect(t, call(t, "POST", path, p.Token, map[string]any{"role": "participant"}), 400) // no rejoin
	seminars := expect(t, call(t, "GET", "/api/v1/user/me/", p.Token, nil), 200).obj(t)["participant"].(map[string]any)["seminars"].([]any)
	if len(seminars) != 1 || seminars[0].(map[string]any)["is_active"] != false || seminars[0].(map[string]any)["dropped_at"] != part["dropped_at"] {
		t.Fatalf("user's seminars %v", seminars)
	}
}

func TestMembersAreListedInJoiningOrderWithCurrentNames(t *testing.T) {
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 10)
	var ids []int64
	var last account
	for i := 0; i < 3; i++ {
		last = participantAccount(t)
		ids = append(ids, last.ID)
		expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), last.Token, map[string]any{"role": "participant"}), 201)
	}
	renamed := unique("renamed")
	expect(t, call(t, "PUT", "/api/v1/user/me/", last.Token, map[string]any{"username": renamed, "first_name": "Kim", "last_name": "Lee"}), 200)
	m := expect(t, call(t, "GET", seminarPath(idOf(s), ""), owner.Token, nil), 200).obj(t)
	parts := list(m, "participants")
	for i, p := range parts {
		if int64(p["id"].(float64)) != ids[i] {
			t.Fatalf("order %v, want %v", parts, ids)
		}
	}
	if parts[2]["username"] != renamed || parts[2]["first_name"] != "Kim" {
		t.Fatalf("stale user fields: %v", parts[2])
	}
}

func TestListFiltersOrdersAndCountsOnlyActiveParticipants(t *testing.T) {
	tag := unique("Tag")
	var made []int64
	for i, name := range []string{"Alpha " + tag, "beta " + strings.ToLower(tag), "Gamma"} {
		owner := instructorAccount(t)
		m := expect(t, call(t, "POST", "/api/v1/seminar/", owner.Token, map[string]any{"name": name, "capacity": 5, "count": 1, "time": fmt.Sprintf("1%d:00", i)}), 201).obj(t)
		made = append(made, idOf(m))
	}
	p1, p2 := participantAccount(t), participantAccount(t)
	expect(t, call(t, "POST", seminarPath(made[0], "user/"), p1.Token, map[string]any{"role": "participant"}), 201)
	expect(t, call(t, "POST", seminarPath(made[0], "user/"), p2.Token, map[string]any{"role": "participant"}), 201)
	expect(t, call(t, "DELETE", seminarPath(made[0], "user/"), p2.Token, nil), 200)

	q := "/api/v1/seminar/?name=" + url.QueryEscape(strings.ToUpper(tag))
	newest := expect(t, call(t, "GET", q, p1.Token, nil), 200).list(t)
	earliest := expect(t, call(t, "GET", q+"&order=earliest", p1.Token, nil), 200).list(t)
	if len(newest) != 2 || idOf(newest[0]) != made[1] || idOf(newest[1]) != made[0] {
		t.Fatalf("newest first: %v", newest)
	}
	if len(earliest) != 2 || idOf(earliest[0]) != made[0] {
		t.Fatalf("earliest first: %v", earliest)
	}
	if earliest[0]["participant_count"] != float64(1) || len(list(earliest[0], "instructors")) != 1 {
		t.Fatalf("summary %v", earliest[0])
	}
	if none := expect(t, call(t, "GET", "/api/v1/seminar/?name="+unique("nomatch"), p1.Token, nil), 200).list(t); len(none) != 0 {
		t.Fatalf("want [], got %v", none)
	}
	if all := expect(t, call(t, "GET", "/api/v1/seminar/?order=whatever&unknown=1", p1.Token, nil), 200).list(t); len(all) < 3 || idOf(all[0]) < idOf(all[len(all)-1]) {
		t.Fatal("unknown order is not newest first")
	}
}

func TestFortySimultaneousJoinsOnACapacityFiveSeminarAdmitFive(t *testing.T) {
	people := make([]account, 40)
	for i := range people {
		people[i] = participantAccount(t)
	}
	for round := 0; round < 3; round++ {
		s := newSeminar(t, instructorAccount(t), 5)
		statuses := make(chan int, 40)
		var wg sync.WaitGroup
		for _, p := range people {
			wg.Add(1)
			go func(token string) {
				defer wg.Done()
				statuses <- call(t, "POST", seminarPath(idOf(s), "user/"), token, map[string]any{"role": "participant"}).Status
			}(p.Token)
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for st := range statuses {
			count[st]++
		}
		m := expect(t, call(t, "GET", seminarPath(idOf(s), ""), people[0].Token, nil), 200).obj(t)
		if count[201] != 5 || count[400] != 35 || len(list(m, "participants")) != 5 {
			t.Fatalf("round %d: statuses %v, %d participants; want 5×201, 35×400, 5", round, count, len(list(m, "participants")))
		}
	}
}

// page reads one page of the opt-in paginated list.
func page(t *testing.T, token, path string) (ids []int64, next string) {
	t.Helper()
	m := expect(t, call(t, "GET", path, token, nil), 200).obj(t)
	for _, s := range list(m, "results") {
		ids = append(ids, idOf(s))
	}
	next, _ = m["next"].(string)
	return ids, next
}

func walk(t *testing.T, token, first string) (ids []int64) {
	t.Helper()
	for path, n := first, 0; path != ""; n++ {
		if n > 100 {
			t.Fatal("more than 100 pages")
		}
		var got []int64
		got, path = page(t, token, path)
		ids = append(ids, got...)
	}
	return ids
}

// Paging through the list with ?limit= visits every seminar once, in the
// order of the whole list, for both orders and with a search.
func TestPagesWalkTheWholeListInOrder(t *testing.T) {
	owner := instructorAccount(t)
	prefix := unique("Paged ")
	for i := 0; i < 5; i++ {
		expect(t, call(t, "POST", "/api/v1/seminar/", instructorAccount(t).Token, map[string]any{"name": fmt.Sprintf("%s %d", prefix, i), "capacity": 5, "count": 1, "time": "10:00"}), 201)
	}
	for _, order := range []string{"newest", "earliest"} {
		q := url.Values{"name": {prefix}, "order": {order}}
		var whole []int64
		for _, s := range expect(t, call(t, "GET", "/api/v1/seminar/?"+q.Encode(), owner.Token, nil), 200).list(t) {
			whole = append(whole, idOf(s))
		}
		q.Set("limit", "2")
		if got := walk(t, owner.Token, "/api/v1/seminar/?"+q.Encode()); fmt.Sprint(got) != fmt.Sprint(whole) || len(whole) != 5 {
			t.Fatalf("%s: pages gave %v, the whole list is %v", order, got, whole)
		}
	}
}

// A page is a keyset: seminars created after the first page was read do
// not shift the pages that follow it.
func TestPagesAreStableUnderConcurrentInserts(t *testing.T) {
	owner := instructorAccount(t)
	prefix := unique("Stable ")
	create := func(i int) {
		expect(t, call(t, "POST", "/api/v1/seminar/", instructorAccount(t).Token, map[string]any{"name": fmt.Sprintf("%s %d", prefix, i), "capacity": 5, "count": 1, "time": "10:00"}), 201)
	}
	for i := 0; i < 6; i++ {
		create(i)
	}
	q := url.Values{"name": {prefix}, "limit": {"2"}}
	before := walk(t, owner.Token, "/api/v1/seminar/?"+q.Encode())
	first, next := page(t, owner.Token, "/api/v1/seminar/?"+q.Encode())
	for i := 6; i < 9; i++ {
		create(i)
	}
	rest := walk(t, owner.Token, next)
	if fmt.Sprint(append(first, rest...)) != fmt.Sprint(before) {
		t.Fatalf("after inserts the pages read %v + %v, before they were %v", first, rest, before)
	}
}

// Pages are cached like the whole list, and a write is visible in the
// writer's next page read.
func TestAPageIsCachedAndFreshAfterAWrite(t *testing.T) {
	owner := instructorAccount(t)
	listUntil(t, owner.Token, "?limit=3", "HIT")
	s := newSeminar(t, owner, 5)
	if ids, _ := page(t, owner.Token, "/api/v1/seminar/?limit=3"); len(ids) == 0 || ids[0] != idOf(s) {
		t.Fatalf("the first page after creating %d starts %v", idOf(s), ids)
	}
}

func TestABadLimitOrCursorIs400(t *testing.T) {
	a := participantAccount(t)
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "limit=", "limit=2&cursor=nonsense"} {
		m := expect(t, call(t, "GET", "/api/v1/seminar/?"+q, a.Token, nil), 400).obj(t)
		if fields, _ := m["fields"].(map[string]any); len(fields) != 1 {
			t.Fatalf("%s: %v, want one field message", q, m)
		}
	}
	newSeminar(t, instructorAccount(t), 5)
	newSeminar(t, instructorAccount(t), 5)
	_, next := page(t, a.Token, "/api/v1/seminar/?limit=1")
	u, _ := url.Parse(next)
	expect(t, call(t, "GET", "/api/v1/seminar/?limit=1&order=earliest&cursor="+url.QueryEscape(u.Query().Get("cursor")), a.Token, nil), 400)
}

// A page's items say what people choose a seminar by; the whole-list
// array keeps exactly the contract's fields (the validator checks both).
func TestPageItemsCarryTimePlaceAndCapacity(t *testing.T) {
	owner := instructorAccount(t)
	name := unique("Card ")
	expect(t, call(t, "POST", "/api/v1/seminar/", owner.Token, map[string]any{"name": name, "capacity": 7, "count": 2, "time": "09:05", "online": false}), 201)
	m := expect(t, call(t, "GET", "/api/v1/seminar/?limit=5&name="+url.QueryEscape(name), owner.Token, nil), 200).obj(t)
	cards := list(m, "results")
	if len(cards) != 1 || cards[0]["capacity"] != float64(7) || cards[0]["time"] != "09:05" || cards[0]["online"] != false || cards[0]["participant_count"] != float64(0) {
		t.Fatalf("page item %v", cards)
	}
	whole := expect(t, call(t, "GET", "/api/v1/seminar/?name="+url.QueryEscape(name), owner.Token, nil), 200).list(t)
	if _, extra := whole[0]["capacity"]; len(whole) != 1 || extra {
		t.Fatalf("the whole list changed shape: %v", whole)
	}
}
