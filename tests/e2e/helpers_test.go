package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

var nameSeq atomic.Int64

// unique returns a username no other test uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1e6, nameSeq.Add(1))
}

type account struct {
	ID       int64
	Username string
	Token    string
}

func signupAs(t testing.TB, role string, extra map[string]any) account {
	t.Helper()
	body := map[string]any{"username": unique(role[:4]), "password": "pw-" + role, "email": "someone@example.com", "role": role}
	for k, v := range extra {
		body[k] = v
	}
	m := expect(t, call(t, "POST", "/api/v1/user/", "", body), 201).obj(t)
	return account{ID: int64(m["id"].(float64)), Username: m["username"].(string), Token: m["token"].(string)}
}

func instructorAccount(t testing.TB) account  { return signupAs(t, "instructor", nil) }
func participantAccount(t testing.TB) account { return signupAs(t, "participant", nil) }

func newSeminar(t testing.TB, owner account, capacity int) map[string]any {
	t.Helper()
	return expect(t, call(t, "POST", "/api/v1/seminar/", owner.Token, map[string]any{
		"name": unique("Seminar "), "capacity": capacity, "count": 5, "time": "14:30",
	}), 201).obj(t)
}

func idOf(m map[string]any) int64 { return int64(m["id"].(float64)) }

func seminarPath(id int64, rest string) string { return fmt.Sprintf("/api/v1/seminar/%d/%s", id, rest) }

func list(m map[string]any, key string) []map[string]any {
	raw, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		out = append(out, x.(map[string]any))
	}
	return out
}

func parseTime(t testing.TB, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	ts, err := time.Parse("2006-01-02T15:04:05.000000Z", s)
	if err != nil {
		t.Fatalf("timestamp %v: %v", v, err)
	}
	return ts
}
