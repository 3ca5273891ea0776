package e2e

import (
	"fmt"
	"net/url"
	"testing"
)

// sqlFor counts the SQL statements (both databases) one request costs, read
// from the services' db_client_statements_total.
func sqlFor(t *testing.T, method, path, token string, body any, status int) int64 {
	t.Helper()
	before := statements(t, sys.ops["user"]) + statements(t, sys.ops["content"])
	expect(t, call(t, method, path, token, body), status)
	return statements(t, sys.ops["user"]) + statements(t, sys.ops["content"]) - before
}

// No N+1: the statements an endpoint issues do not grow with the number of
// seminars, participants or users involved. (The course's Django solution
// issues 62 statements for one uncached list of 20 seminars.)
func TestStatementsPerEndpointDoNotGrowWithTheData(t *testing.T) {
	tag := unique("N1x")
	small, big := instructorAccount(t), instructorAccount(t)
	smallSeminar := expect(t, call(t, "POST", "/api/v1/seminar/", small.Token, map[string]any{"name": tag + " small", "capacity": 50, "count": 1, "time": "10:00"}), 201).obj(t)
	bigSeminar := expect(t, call(t, "POST", "/api/v1/seminar/", big.Token, map[string]any{"name": tag + " big", "capacity": 50, "count": 1, "time": "10:00"}), 201).obj(t)
	people := make([]account, 30)
	for i := range people {
		people[i] = participantAccount(t)
		expect(t, call(t, "POST", seminarPath(idOf(bigSeminar), "user/"), people[i].Token, map[string]any{"role": "participant"}), 201)
	}
	loner := participantAccount(t)
	expect(t, call(t, "POST", seminarPath(idOf(smallSeminar), "user/"), loner.Token, map[string]any{"role": "participant"}), 201)
	for i := 0; i < 19; i++ { // 20 seminars match the search below
		inst := instructorAccount(t)
		s := expect(t, call(t, "POST", "/api/v1/seminar/", inst.Token, map[string]any{"name": fmt.Sprintf("%s many %d", tag, i), "capacity": 5, "count": 1, "time": "10:00"}), 201).obj(t)
		expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), people[0].Token, map[string]any{"role": "participant"}), 201)
	}
	viewer := people[1]
	call(t, "GET", "/api/v1/user/me/", viewer.Token, nil) // warm the viewer's identity
	call(t, "GET", "/api/v1/user/me/", viewer.Token, nil)

	rows := []struct {
		endpoint    string
		few, many   int64
		fewN, manyN string
	}{
		{"GET /api/v1/seminar/{id}/", sqlFor(t, "GET", seminarPath(idOf(smallSeminar), ""), viewer.Token, nil, 200),
			sqlFor(t, "GET", seminarPath(idOf(bigSeminar), ""), viewer.Token, nil, 200), "1 participant", "30 participants"},
		{"GET /api/v1/seminar/?name= (uncached)", sqlFor(t, "GET", "/api/v1/seminar/?name="+url.QueryEscape(tag+" small"), viewer.Token, nil, 200),
			sqlFor(t, "GET", "/api/v1/seminar/?name="+url.QueryEscape(tag), viewer.Token, nil, 200), "1 seminar", "21 seminars"},
		{"GET /api/v1/user/{id}/", sqlFor(t, "GET", fmt.Sprintf("/api/v1/user/%d/", loner.ID), viewer.Token, nil, 200),
			sqlFor(t, "GET", fmt.Sprintf("/api/v1/user/%d/", people[0].ID), viewer.Token, nil, 200), "user in 1 seminar", "user in 20 seminars"},
		{"POST /api/v1/seminar/{id}/user/", sqlFor(t, "POST", seminarPath(idOf(smallSeminar), "user/"), people[2].Token, map[string]any{"role": "participant"}, 201),
			sqlFor(t, "POST", seminarPath(idOf(bigSeminar), "user/"), loner.Token, map[string]any{"role": "participant"}, 201), "1 member", "31 members"},
		{"DELETE /api/v1/seminar/{id}/user/", sqlFor(t, "DELETE", seminarPath(idOf(smallSeminar), "user/"), people[2].Token, nil, 200),
			sqlFor(t, "DELETE", seminarPath(idOf(bigSeminar), "user/"), loner.Token, nil, 200), "2 members", "32 members"},
	}
	for _, r := range rows {
		t.Logf("%-40s %2d statements (%s), %2d (%s)", r.endpoint, r.few, r.fewN, r.many, r.manyN)
		if r.many > r.few {
			t.Errorf("%s: %d statements grew to %d with more data", r.endpoint, r.few, r.many)
		}
	}
}
