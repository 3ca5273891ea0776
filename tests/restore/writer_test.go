package restore

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// write is one write the API acknowledged (2xx), with when it was sent and
// when the answer came.
type write struct {
	Kind           string // signup, seminar, join, drop
	User           account
	Seminar        int64
	SeminarName    string
	Started, Acked time.Time
}

func (w write) String() string {
	return fmt.Sprintf("%s (user %d %s, seminar %d) acknowledged %s", w.Kind, w.User.ID, w.User.Username, w.Seminar, w.Acked.Format("15:04:05.000"))
}

// writer keeps a class busy through the edge — instructors sign up and
// open seminars, participants sign up, join, and every third drops — and
// logs every acknowledged write. Failures (the database gone) are simply
// not acknowledged; the workers carry on.
type writer struct {
	in      *instance
	mu      sync.Mutex
	log     []write
	stopped atomic.Bool
	wg      sync.WaitGroup
	seats   atomic.Int64
}

func startWriter(in *instance, workers int) *writer {
	w := &writer{in: in}
	for range workers {
		w.wg.Add(1)
		go func() { defer w.wg.Done(); w.work() }()
	}
	return w
}

// halt stops the workers and returns the log, in order of acknowledgement.
func (w *writer) halt() []write {
	w.stopped.Store(true)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	slices.SortFunc(w.log, func(a, b write) int { return a.Acked.Compare(b.Acked) })
	return w.log
}

func (w *writer) record(x write) {
	x.Acked = time.Now()
	w.mu.Lock()
	w.log = append(w.log, x)
	w.mu.Unlock()
}

func (w *writer) pause() { time.Sleep(100 * time.Millisecond) }

func (w *writer) work() {
	for !w.stopped.Load() {
		start := time.Now()
		instructor, err := w.in.signup("instructor")
		if err != nil {
			w.pause()
			continue
		}
		w.record(write{Kind: "signup", User: instructor, Started: start})
		name := fmt.Sprintf("Drill seminar %s 수업 🎓", instructor.Username)
		start = time.Now()
		code, b, err := w.in.do(http.MethodPost, "/api/v1/seminar/", instructor.Token,
			map[string]any{"name": name, "capacity": 100, "count": 10, "time": "10:00", "online": true})
		var s seminar
		if err != nil || code != http.StatusCreated || json.Unmarshal(b, &s) != nil {
			w.pause()
			continue
		}
		w.record(write{Kind: "seminar", User: instructor, Seminar: s.ID, SeminarName: name, Started: start})
		for i := 0; i < 8 && !w.stopped.Load(); i++ {
			start = time.Now()
			p, err := w.in.signup("participant")
			if err != nil {
				w.pause()
				continue
			}
			w.record(write{Kind: "signup", User: p, Started: start})
			path := fmt.Sprintf("/api/v1/seminar/%d/user/", s.ID)
			start = time.Now()
			if code, _, err := w.in.do(http.MethodPost, path, p.Token, map[string]any{"role": "participant"}); err != nil || code != http.StatusCreated {
				w.pause()
				continue
			}
			w.record(write{Kind: "join", User: p, Seminar: s.ID, Started: start})
			w.seats.Add(1)
			if i%3 != 0 {
				continue
			}
			start = time.Now()
			if code, _, err := w.in.do(http.MethodDelete, path, p.Token, nil); err != nil || code != http.StatusOK {
				w.pause()
				continue
			}
			w.record(write{Kind: "drop", User: p, Seminar: s.ID, Started: start})
		}
	}
}

// checker reads what the restored API serves, remembering seminars.
type checker struct {
	in       *instance
	token    string
	seminars map[int64]*seminar // nil: not found
}

func newChecker(in *instance) (*checker, error) {
	a, err := in.signup("participant")
	if err != nil {
		return nil, err
	}
	return &checker{in: in, token: a.Token, seminars: map[int64]*seminar{}}, nil
}

func (c *checker) seminar(id int64) (*seminar, error) {
	if s, ok := c.seminars[id]; ok {
		return s, nil
	}
	code, b, err := c.in.do(http.MethodGet, fmt.Sprintf("/api/v1/seminar/%d/", id), c.token, nil)
	if err != nil {
		return nil, err
	}
	var s *seminar
	switch code {
	case http.StatusOK:
		s = &seminar{}
		if err := json.Unmarshal(b, s); err != nil {
			return nil, err
		}
	case http.StatusNotFound:
	default:
		return nil, fmt.Errorf("GET seminar %d: %d %s", id, code, b)
	}
	c.seminars[id] = s
	return s, nil
}

// present says whether the API serves the write: the account (by id and
// username: ids of lost accounts are given out again), the seminar (id and
// name), the membership (active or dropped), the drop (inactive).
func (c *checker) present(w write) (bool, error) {
	switch w.Kind {
	case "signup":
		code, b, err := c.in.do(http.MethodGet, fmt.Sprintf("/api/v1/user/%d/", w.User.ID), c.token, nil)
		if err != nil {
			return false, err
		}
		if code == http.StatusNotFound {
			return false, nil
		}
		var a account
		if code != http.StatusOK || json.Unmarshal(b, &a) != nil {
			return false, fmt.Errorf("GET user %d: %d %s", w.User.ID, code, b)
		}
		return a.Username == w.User.Username, nil
	case "seminar":
		s, err := c.seminar(w.Seminar)
		return err == nil && s != nil && s.Name == w.SeminarName, err
	default:
		s, err := c.seminar(w.Seminar)
		if err != nil || s == nil {
			return false, err
		}
		for _, p := range s.Participants {
			if p.ID == w.User.ID && p.Username == w.User.Username {
				return w.Kind == "join" || !p.IsActive, nil
			}
		}
		return false, nil
	}
}
