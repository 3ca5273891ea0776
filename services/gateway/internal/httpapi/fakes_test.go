package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/internalapi"
	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/platform/wire"
	contentclient "github.com/seminarhub/seminarhub/services/content/client"
	userclient "github.com/seminarhub/seminarhub/services/user/client"
)

// world is both backends in memory: just enough rules to compose answers
// from, a count of every call, and one generation in the shared Redis that
// every write bumps and every read reports — as the real backends' cached
// stores do — so the gateway's memory is exercised for real.
type world struct {
	mu       sync.Mutex
	users    map[int64]*userclient.User
	tokens   map[string]int64
	seminars map[int64]*contentclient.Seminar
	nextID   int64
	calls    map[string]int
	// down: the user service cannot resolve tokens (its database is down);
	// names it still serves, as the real one does from its cache.
	down bool

	gens *cache.Cache
}

const worldGen = "fake:world-gen"

func newWorld(gens *cache.Cache) *world {
	w := &world{users: map[int64]*userclient.User{}, tokens: map[string]int64{}, seminars: map[int64]*contentclient.Seminar{}, calls: map[string]int{}, gens: gens}
	gens.Invalidate(context.Background(), worldGen)
	return w
}

func (w *world) call(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls[name]++
}

// count is how often a backend method was called.
func (w *world) count(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[name]
}

// read reports the world's generation as what the answer depends on.
func (w *world) read(ctx context.Context) {
	tokens, _ := w.gens.Generations(ctx, worldGen)
	if len(tokens) == 1 {
		cache.Report(ctx, cache.Outcome{Status: cache.Hit, Deps: cache.Deps{worldGen: tokens[0]}})
	}
}

func (w *world) wrote(ctx context.Context) { w.gens.Invalidate(ctx, worldGen) }

// addUser creates a user with a session and returns the token.
func (w *world) addUser(name string, instructor, participant bool) (int64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	u := &userclient.User{ID: w.nextID, Username: name, Email: name + "@example.com", FirstName: name, DateJoined: wire.At(time.Now())}
	if instructor {
		u.Instructor = &userclient.Instructor{ID: u.ID, Company: "ACME"}
	}
	if participant {
		u.Participant = &userclient.Participant{ID: u.ID, University: "SNU", Accepted: true}
	}
	w.users[u.ID] = u
	return u.ID, w.newToken(u.ID)
}

func (w *world) newToken(userID int64) string {
	w.nextID++
	token := fmt.Sprintf("token-%d-%d", userID, w.nextID)
	w.tokens[token] = userID
	return token
}

// addSeminar creates a seminar led by instructor, with participants.
func (w *world) addSeminar(name string, instructor int64, participants ...int64) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	now := wire.At(time.Now())
	s := &contentclient.Seminar{ID: w.nextID, Name: name, Capacity: 50, Count: 3, Time: "14:30",
		Instructors: []contentclient.Member{{UserID: instructor, JoinedAt: now, IsActive: true}}, Participants: []contentclient.Member{}}
	for _, p := range participants {
		s.Participants = append(s.Participants, contentclient.Member{UserID: p, JoinedAt: now, IsActive: true})
	}
	w.seminars[s.ID] = s
	return s.ID
}

func (w *world) identity(id int64) userclient.Identity {
	u := w.users[id]
	out := userclient.Identity{UserID: id, Instructor: u.Instructor != nil}
	if u.Participant != nil {
		out.Participant = &userclient.ParticipantIdentity{Accepted: u.Participant.Accepted}
	}
	return out
}

var errUnauthenticated = problem.New(problem.Unauthenticated, "invalid or revoked token")

// --- the user service ---

type fakeUsers struct{ *world }

func (u fakeUsers) Identify(_ context.Context, token string) (userclient.Identity, error) {
	u.call("Identify")
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.down {
		return userclient.Identity{}, fmt.Errorf("%w: user service down", problem.ErrUnavailable)
	}
	id, ok := u.tokens[token]
	if !ok {
		return userclient.Identity{}, errUnauthenticated
	}
	return u.identity(id), nil
}

func (u fakeUsers) Summaries(ctx context.Context, _ internalapi.Caller, ids []int64) (map[int64]userclient.Summary, error) {
	u.call("Summaries")
	u.read(ctx)
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[int64]userclient.Summary{}
	for _, id := range ids {
		if x, ok := u.users[id]; ok {
			out[id] = userclient.Summary{ID: x.ID, Username: x.Username, Email: x.Email, FirstName: x.FirstName, LastName: x.LastName}
		}
	}
	return out, nil
}

func (u fakeUsers) Signup(context.Context, []byte) (userclient.Session, error) {
	return userclient.Session{}, fmt.Errorf("not used by these tests")
}

func (u fakeUsers) Login(context.Context, []byte) (userclient.Session, error) {
	return userclient.Session{}, fmt.Errorf("not used by these tests")
}

func (u fakeUsers) Revoke(ctx context.Context, token string) error {
	u.call("Revoke")
	u.mu.Lock()
	delete(u.tokens, token)
	u.mu.Unlock()
	return nil
}

func (u fakeUsers) User(ctx context.Context, _ internalapi.Caller, id int64) (userclient.User, error) {
	u.call("User")
	u.read(ctx)
	u.mu.Lock()
	defer u.mu.Unlock()
	x, ok := u.users[id]
	if !ok {
		return userclient.User{}, problem.New(problem.NotFound, "user not found")
	}
	return *x, nil
}

// Update changes first_name, or the password: then every other session of
// the user ends, as the real service does.
func (u fakeUsers) Update(ctx context.Context, caller internalapi.Caller, id int64, body []byte) (userclient.Updated, error) {
	u.call("Update")
	var req struct {
		FirstName *string `json:"first_name"`
		Password  *string `json:"password"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return userclient.Updated{}, problem.New(problem.Invalid, "invalid input")
	}
	u.mu.Lock()
	defer u.wrote(ctx)
	defer u.mu.Unlock()
	x := u.users[id]
	if req.FirstName != nil {
		x.FirstName = *req.FirstName
	}
	out := userclient.Updated{User: *x}
	if req.Password != nil {
		for token, owner := range u.tokens {
			if owner == id && token != caller.Session {
				delete(u.tokens, token)
				d := sha256.Sum256([]byte(token))
				out.EndedSessions = append(out.EndedSessions, hex.EncodeToString(d[:]))
			}
		}
	}
	return out, nil
}

func (u fakeUsers) BecomeParticipant(ctx context.Context, caller internalapi.Caller, _ []byte) (userclient.User, error) {
	u.call("BecomeParticipant")
	u.mu.Lock()
	defer u.wrote(ctx)
	defer u.mu.Unlock()
	x := u.users[caller.UserID]
	x.Participant = &userclient.Participant{ID: x.ID, University: "KAIST", Accepted: true}
	return *x, nil
}

func (u fakeUsers) Healthy(context.Context) error { return nil }

// --- the content service ---

type fakeContent struct{ *world }

func (c fakeContent) Create(context.Context, internalapi.Caller, []byte) (contentclient.Seminar, error) {
	return contentclient.Seminar{}, fmt.Errorf("not used by these tests")
}

func (c fakeContent) Update(ctx context.Context, _ internalapi.Caller, id int64, body []byte) (contentclient.Seminar, error) {
	c.call("Update")
	var req struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return contentclient.Seminar{}, problem.New(problem.Invalid, "invalid input")
	}
	c.mu.Lock()
	defer c.wrote(ctx)
	defer c.mu.Unlock()
	s, ok := c.seminars[id]
	if !ok {
		return contentclient.Seminar{}, problem.New(problem.NotFound, "seminar not found")
	}
	s.Name = req.Name
	return *s, nil
}

func (c fakeContent) Get(ctx context.Context, _ internalapi.Caller, id int64) (contentclient.Seminar, error) {
	c.call("Get")
	c.read(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.seminars[id]
	if !ok {
		return contentclient.Seminar{}, problem.New(problem.NotFound, "seminar not found")
	}
	return *s, nil
}

func (c fakeContent) List(ctx context.Context, _ internalapi.Caller, _ contentclient.ListQuery) ([]contentclient.Summary, error) {
	c.call("List")
	c.read(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []contentclient.Summary{}
	for id := c.nextID; id > 0; id-- { // newest first
		if s, ok := c.seminars[id]; ok {
			active := 0
			for _, p := range s.Participants {
				if p.IsActive {
					active++
				}
			}
			out = append(out, contentclient.Summary{ID: s.ID, Name: s.Name, Capacity: s.Capacity, Time: s.Time, Online: s.Online, Instructors: s.Instructors, ParticipantCount: active})
		}
	}
	return out, nil
}

func (c fakeContent) Page(ctx context.Context, caller internalapi.Caller, q contentclient.ListQuery, _, _ string) (contentclient.SummaryPage, error) {
	list, err := c.List(ctx, caller, q)
	return contentclient.SummaryPage{Results: list}, err
}

// Join admits accepted participants only: what the gateway sends as the
// caller decides it.
func (c fakeContent) Join(ctx context.Context, caller internalapi.Caller, id int64, _ []byte) (contentclient.Seminar, error) {
	c.call("Join")
	if caller.Participant != internalapi.ParticipantAccepted {
		return contentclient.Seminar{}, problem.New(problem.Forbidden, "only participants can do this")
	}
	c.mu.Lock()
	defer c.wrote(ctx)
	defer c.mu.Unlock()
	s := c.seminars[id]
	s.Participants = append(s.Participants, contentclient.Member{UserID: caller.UserID, JoinedAt: wire.At(time.Now()), IsActive: true})
	return *s, nil
}

func (c fakeContent) Drop(ctx context.Context, caller internalapi.Caller, id int64) (contentclient.Seminar, error) {
	c.call("Drop")
	c.mu.Lock()
	defer c.wrote(ctx)
	defer c.mu.Unlock()
	s := c.seminars[id]
	for i, p := range s.Participants {
		if p.UserID == caller.UserID {
			at := wire.At(time.Now())
			s.Participants[i].IsActive, s.Participants[i].DroppedAt = false, &at
		}
	}
	return *s, nil
}

func (c fakeContent) UserSeminars(ctx context.Context, _ internalapi.Caller, userID int64) (contentclient.UserSeminars, error) {
	c.call("UserSeminars")
	c.read(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := contentclient.UserSeminars{Participating: []contentclient.UserSeminar{}}
	for _, s := range c.seminars {
		for _, p := range s.Participants {
			if p.UserID == userID {
				out.Participating = append(out.Participating, contentclient.UserSeminar{ID: s.ID, Name: s.Name, JoinedAt: p.JoinedAt, IsActive: p.IsActive, DroppedAt: p.DroppedAt})
			}
		}
	}
	return out, nil
}

func (c fakeContent) Healthy(context.Context) error { return nil }
