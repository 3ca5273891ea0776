package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
	"github.com/seminarhub/seminarhub/services/content/internal/store"
	"github.com/seminarhub/seminarhub/services/content/migrations"
	"github.com/seminarhub/seminarhub/testkit/pgtest"
	"github.com/seminarhub/seminarhub/testkit/redistest"
	"github.com/seminarhub/seminarhub/testkit/suite"
)

// The contract every Store keeps, run against the database alone and with
// the cache in front of it: whatever a write committed, the next read sees.

func TestPostgresKeepsTheStoreContract(t *testing.T) {
	t.Parallel()
	contract(t, func(t *testing.T) store.Store {
		return store.NewPostgres(pgtest.Migrated(t, migrations.All))
	})
}

func TestCachedKeepsTheStoreContract(t *testing.T) {
	t.Parallel()
	redisURL := redistest.Start(t).URL // one for every case, each in its own namespace
	contract(t, func(t *testing.T) store.Store { return cached(t, redisURL) })
}

// cached puts a cache of its own in front of a fresh database.
func cached(t *testing.T, redisURL string) *store.Cached {
	t.Helper()
	return store.NewCached(store.NewPostgres(pgtest.Migrated(t, migrations.All)), redistest.Cache(t, redisURL), time.Minute)
}

func contract(t *testing.T, open func(t *testing.T) store.Store) {
	cases := map[string]func(t *testing.T, st store.Store){
		"a created seminar reads back with its instructor in charge": func(t *testing.T, st store.Store) {
			s := create(t, st, 1, 5)
			got := read(t, st, s.ID)
			if got.Name != "S" || got.Capacity != 5 || len(got.Members) != 1 || got.Members[0].UserID != 1 || got.Members[0].Role != seminar.Instructor {
				t.Fatalf("read back %+v", got)
			}
		},
		"an unknown seminar is not found": func(t *testing.T, st store.Store) {
			if _, err := st.Seminar(context.Background(), 999); !errors.Is(err, seminar.ErrNotFound) {
				t.Fatalf("err %v, want ErrNotFound", err)
			}
		},
		"a join is seen by the seminar, the list and the member's seminars": func(t *testing.T, st store.Store) {
			s := create(t, st, 1, 5)
			warm(t, st, s.ID, 5)
			if err := join(st, s.ID, participant(5), "participant"); err != nil {
				t.Fatal(err)
			}
			if got := read(t, st, s.ID); len(got.Members) != 2 || got.ActiveParticipants() != 1 {
				t.Fatalf("seminar after join: %+v", got.Members)
			}
			if got := list(t, st, store.ListFilter{}); len(got) != 1 || got[0].ActiveParticipants != 1 {
				t.Fatalf("list after join: %+v", got)
			}
			if got := membershipsOf(t, st, 5); len(got) != 1 || got[0].SeminarID != s.ID || !got[0].Member.Active {
				t.Fatalf("member's seminars after join: %+v", got)
			}
		},
		"a drop frees a seat, stamps the time and shows in the member's seminars": func(t *testing.T, st store.Store) {
			s := create(t, st, 1, 1)
			if err := join(st, s.ID, participant(5), "participant"); err != nil {
				t.Fatal(err)
			}
			warm(t, st, s.ID, 5)
			got, err := st.Change(context.Background(), s.ID, func(s *seminar.Seminar) (store.Effect, error) {
				m, err := s.Drop(participant(5))
				return store.Effect{Drop: m}, err
			})
			if err != nil {
				t.Fatal(err)
			}
			if p := got.Members[1]; p.UserID != 5 || p.Active || p.DroppedAt == nil || p.DroppedAt.Before(p.JoinedAt) {
				t.Fatalf("dropped member = %+v", p)
			}
			if mine := membershipsOf(t, st, 5); len(mine) != 1 || mine[0].Member.Active || mine[0].Member.DroppedAt == nil {
				t.Fatalf("member's seminars after drop: %+v", mine)
			}
			if l := list(t, st, store.ListFilter{}); l[0].ActiveParticipants != 0 {
				t.Fatalf("list after drop counts %d active", l[0].ActiveParticipants)
			}
			if err := join(st, s.ID, participant(6), "participant"); err != nil {
				t.Fatalf("the freed seat could not be taken: %v", err)
			}
		},
		"a rename is seen by the seminar, the list and every member's seminars": func(t *testing.T, st store.Store) {
			s := create(t, st, 1, 5)
			if err := join(st, s.ID, participant(5), "participant"); err != nil {
				t.Fatal(err)
			}
			warm(t, st, s.ID, 5)
			if _, err := st.Change(context.Background(), s.ID, func(s *seminar.Seminar) (store.Effect, error) {
				return store.Effect{Fields: true}, s.Update(instructor(1), input.Object{"name": []byte(`"세미나 🎓"`)})
			}); err != nil {
				t.Fatal(err)
			}
			if got := read(t, st, s.ID).Name; got != "세미나 🎓" {
				t.Fatalf("seminar name %q", got)
			}
			if got := list(t, st, store.ListFilter{})[0].Name; got != "세미나 🎓" {
				t.Fatalf("list name %q", got)
			}
			for _, u := range []int64{1, 5} {
				if got := membershipsOf(t, st, u)[0].SeminarName; got != "세미나 🎓" {
					t.Fatalf("user %d sees name %q", u, got)
				}
			}
		},
		"a refused change changes nothing": func(t *testing.T, st store.Store) {
			s := create(t, st, 1, 1)
			if err := join(st, s.ID, participant(5), "participant"); err != nil {
				t.Fatal(err)
			}
			if err := join(st, s.ID, participant(6), "participant"); !errors.Is(err, seminar.ErrFull) {
				t.Fatalf("join of a full seminar: %v, want ErrFull", err)
			}
			if got := read(t, st, s.ID); len(got.Members) != 2 {
				t.Fatalf("members after a refused join: %+v", got.Members)
			}
		},
		"a created seminar heads the newest-first list and its pages": func(t *testing.T, st store.Store) {
			first := create(t, st, 1, 5)
			list(t, st, store.ListFilter{})
			list(t, st, store.ListFilter{Limit: 2})
			second := create(t, st, 2, 5)
			if got := list(t, st, store.ListFilter{}); len(got) != 2 || got[0].ID != second.ID || got[1].ID != first.ID {
				t.Fatalf("list after a create: %+v", got)
			}
			page := list(t, st, store.ListFilter{Limit: 2})
			if len(page) != 2 || page[0].ID != second.ID {
				t.Fatalf("first page after a create: %+v", page)
			}
			rest := list(t, st, store.ListFilter{Limit: 2, After: &page[0].At})
			if len(rest) != 1 || rest[0].ID != first.ID {
				t.Fatalf("page after %d: %+v", page[0].ID, rest)
			}
		},
		"the list filters by name case-insensitively, literally, in either order": func(t *testing.T, st store.Store) {
			for i, name := range []string{"Django Basics", "React", "advanced DJANGO"} {
				s, _ := seminar.New(instructor(int64(i+1)), input.Object{"name": []byte(`"` + name + `"`), "capacity": []byte("5"), "count": []byte("1"), "time": []byte(`"10:00"`)})
				if _, err := st.Create(context.Background(), instructor(int64(i+1)), s); err != nil {
					t.Fatal(err)
				}
			}
			q := "django"
			newest := list(t, st, store.ListFilter{NameContains: &q})
			earliest := list(t, st, store.ListFilter{NameContains: &q, EarliestFirst: true})
			if len(newest) != 2 || newest[0].Name != "advanced DJANGO" || newest[1].Name != "Django Basics" {
				t.Fatalf("newest first = %+v", newest)
			}
			if len(earliest) != 2 || earliest[0].Name != "Django Basics" {
				t.Fatalf("earliest first = %+v", earliest)
			}
			none := "%"
			if got := list(t, st, store.ListFilter{NameContains: &none}); len(got) != 0 {
				t.Fatalf("a %% in the name matched %d seminars; it must be taken literally", len(got))
			}
		},
	}
	suite.Run(t, open, cases)
}

func instructor(id int64) seminar.Caller { return seminar.Caller{UserID: id, Instructor: true} }

func participant(id int64) seminar.Caller {
	return seminar.Caller{UserID: id, Participant: seminar.AcceptedParticipant}
}

func create(t *testing.T, st store.Store, owner int64, capacity int) seminar.Seminar {
	t.Helper()
	s, err := seminar.New(instructor(owner), input.Object{
		"name": []byte(`"S"`), "capacity": []byte(fmt.Sprint(capacity)), "count": []byte("3"), "time": []byte(`"10:00"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err = st.Create(context.Background(), instructor(owner), s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func join(st store.Store, id int64, c seminar.Caller, role string) error {
	_, err := st.Change(context.Background(), id, func(s *seminar.Seminar) (store.Effect, error) {
		m, err := s.Join(c, input.Object{"role": []byte(`"` + role + `"`)})
		return store.Effect{Join: &m}, err
	})
	return err
}

func drop(st store.Store, id int64, c seminar.Caller) error {
	_, err := st.Change(context.Background(), id, func(s *seminar.Seminar) (store.Effect, error) {
		m, err := s.Drop(c)
		return store.Effect{Drop: m}, err
	})
	return err
}

func setCapacity(st store.Store, id int64, c seminar.Caller, capacity int) error {
	_, err := st.Change(context.Background(), id, func(s *seminar.Seminar) (store.Effect, error) {
		err := s.Update(c, input.Object{"capacity": []byte(fmt.Sprint(capacity))})
		return store.Effect{Fields: true}, err
	})
	return err
}

func read(t *testing.T, st store.Store, id int64) seminar.Seminar {
	t.Helper()
	s, err := st.Seminar(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func list(t *testing.T, st store.Store, f store.ListFilter) []store.Summary {
	t.Helper()
	l, err := st.List(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func membershipsOf(t *testing.T, st store.Store, userID int64) []store.UserMembership {
	t.Helper()
	m, err := st.MembershipsOf(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// warm reads everything a write could leave stale, so that a cache in front
// has it stored before the write.
func warm(t *testing.T, st store.Store, id, userID int64) {
	t.Helper()
	read(t, st, id)
	list(t, st, store.ListFilter{})
	membershipsOf(t, st, userID)
	membershipsOf(t, st, 1)
}
