// Package httpapi is the content service's internal HTTP API. Each handler
// validates through the seminar domain, runs one store call (one
// transaction) and answers with the client package's wire types. Caching is
// the store's business (store.Cached): no handler names a key.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/input"
	"github.com/seminarhub/seminarhub/platform/internalapi"
	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/platform/wire"
	"github.com/seminarhub/seminarhub/services/content/client"
	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
	"github.com/seminarhub/seminarhub/services/content/internal/store"
)

type api struct {
	log   *slog.Logger
	store store.Store
}

// New builds the service's HTTP handler over st (a cached store in
// production: see store.Cached).
func New(log *slog.Logger, base config.Base, st store.Store) http.Handler {
	a := &api{log: log, store: st}
	r := httpx.NewEngine("content", log)
	internalapi.Ping(r, base.InternalSecret)

	v1 := r.Group("/internal/v1", httpx.RequireInternalSecret(base.InternalSecret), httpx.Deadline(base.RequestTimeout), internalapi.RequireCaller)
	v1.POST("/seminars", a.create)
	v1.GET("/seminars", a.list)
	v1.GET("/seminar-pages", a.page)
	v1.GET("/seminars/:id", a.get)
	v1.PATCH("/seminars/:id", a.update)
	v1.POST("/seminars/:id/members", a.join)
	v1.DELETE("/seminars/:id/members", a.drop)
	v1.GET("/users/:id/seminars", a.userSeminars)
	return httpx.StripTrailingSlash(r)
}

// callerOf translates the caller the gateway sent (RequireCaller has
// checked it is there) into the seminar rules' terms.
func callerOf(c *gin.Context) seminar.Caller {
	ic, _ := internalapi.CallerOf(c)
	out := seminar.Caller{UserID: ic.UserID, Instructor: ic.Instructor}
	switch ic.Participant {
	case internalapi.ParticipantAccepted:
		out.Participant = seminar.AcceptedParticipant
	case internalapi.ParticipantPending:
		out.Participant = seminar.PendingParticipant
	}
	return out
}

// fail answers an error; the store's own (an unreachable database, data it
// refused) are put in the shared vocabulary first.
func (a *api) fail(c *gin.Context, err error) { httpx.Fail(c, a.log, postgres.Classify(err)) }

// pathID reads :id; anything but a positive integer names no seminar.
func (a *api) pathID(c *gin.Context) (int64, bool) {
	id, ok := httpx.PositiveID(c.Param("id"))
	if !ok {
		a.fail(c, seminar.ErrNotFound)
	}
	return id, ok
}

func (a *api) create(c *gin.Context) {
	caller := callerOf(c)
	obj, ok := httpx.ReadObject(c)
	if !ok {
		return
	}
	s, err := seminar.New(caller, obj)
	if err != nil {
		a.fail(c, err)
		return
	}
	if s, err = a.store.Create(c, caller, s); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toWire(s))
}

// change runs one seminar-changing request: lock, decide, write, answer.
func (a *api) change(c *gin.Context, status int, decide func(*seminar.Seminar, seminar.Caller, input.Object) (store.Effect, error)) {
	caller := callerOf(c)
	id, ok := a.pathID(c)
	if !ok {
		return
	}
	obj, ok := httpx.ReadObject(c)
	if !ok {
		return
	}
	s, err := a.store.Change(c, id, func(s *seminar.Seminar) (store.Effect, error) {
		return decide(s, caller, obj)
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(status, toWire(s))
}

func (a *api) update(c *gin.Context) {
	a.change(c, http.StatusOK, func(s *seminar.Seminar, caller seminar.Caller, obj input.Object) (store.Effect, error) {
		err := s.Update(caller, obj)
		return store.Effect{Fields: err == nil && len(obj) > 0}, err
	})
}

func (a *api) join(c *gin.Context) {
	a.change(c, http.StatusCreated, func(s *seminar.Seminar, caller seminar.Caller, obj input.Object) (store.Effect, error) {
		m, err := s.Join(caller, obj)
		return store.Effect{Join: &m}, err
	})
}

func (a *api) drop(c *gin.Context) {
	a.change(c, http.StatusOK, func(s *seminar.Seminar, caller seminar.Caller, _ input.Object) (store.Effect, error) {
		m, err := s.Drop(caller)
		return store.Effect{Drop: m}, err
	})
}

func (a *api) get(c *gin.Context) {
	id, ok := a.pathID(c)
	if !ok {
		return
	}
	a.read(c, func(ctx context.Context) (any, error) {
		s, err := a.store.Seminar(ctx, id)
		return toWire(s), err
	})
}

func (a *api) read(c *gin.Context, read func(context.Context) (any, error)) {
	if err := httpx.Read(c, read); err != nil {
		a.fail(c, err)
	}
}

// list answers the whole list, in one piece as the contract has it.
func (a *api) list(c *gin.Context) {
	f := listFilter(c)
	a.read(c, func(ctx context.Context) (any, error) {
		list, err := a.store.List(ctx, f)
		return summaries(list), err
	})
}

// page answers one page of the list (?limit=, ?cursor=): keyset
// pagination, stable however many seminars are created meanwhile.
func (a *api) page(c *gin.Context) {
	f := listFilter(c)
	limit, err := pageSize(c.Query("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if cursor := c.Query("cursor"); cursor != "" {
		if f.After, err = decodeCursor(orderOf(f), cursor); err != nil {
			a.fail(c, err)
			return
		}
	}
	f.Limit = limit + 1 // one more says whether a next page exists
	a.read(c, func(ctx context.Context) (any, error) {
		list, err := a.store.List(ctx, f)
		out := client.SummaryPage{Results: summaries(list)}
		if len(list) > limit {
			out.Results = out.Results[:limit]
			out.Next = encodeCursor(orderOf(f), list[limit-1].At)
		}
		return out, err
	})
}

func listFilter(c *gin.Context) store.ListFilter {
	f := store.ListFilter{EarliestFirst: c.Query("order") == "earliest"}
	if name, ok := c.GetQuery("name"); ok {
		f.NameContains = &name
	}
	return f
}

func orderOf(f store.ListFilter) string {
	if f.EarliestFirst {
		return "earliest"
	}
	return "newest"
}

func summaries(list []store.Summary) []client.Summary {
	out := make([]client.Summary, 0, len(list))
	for _, s := range list {
		out = append(out, client.Summary{
			ID: s.ID, Name: s.Name, Capacity: s.Capacity, Time: s.Time, Online: s.Online,
			Instructors: members(s.Instructors), ParticipantCount: s.ActiveParticipants,
		})
	}
	return out
}

func (a *api) userSeminars(c *gin.Context) {
	id, ok := httpx.PositiveID(c.Param("id"))
	if !ok {
		httpx.Abort(c, http.StatusNotFound, "user not found")
		return
	}
	a.read(c, func(ctx context.Context) (any, error) {
		list, err := a.store.MembershipsOf(ctx, id)
		return userSeminars(list), err
	})
}

func userSeminars(list []store.UserMembership) client.UserSeminars {
	out := client.UserSeminars{Participating: []client.UserSeminar{}}
	for _, um := range list {
		m := um.Member
		if m.Role == seminar.Instructor {
			out.Charge = &client.Charge{ID: um.SeminarID, Name: um.SeminarName, JoinedAt: wire.At(m.JoinedAt)}
			continue
		}
		out.Participating = append(out.Participating, client.UserSeminar{
			ID: um.SeminarID, Name: um.SeminarName, JoinedAt: wire.At(m.JoinedAt), IsActive: m.Active, DroppedAt: wire.Ptr(m.DroppedAt),
		})
	}
	return out
}

func toWire(s seminar.Seminar) client.Seminar {
	out := client.Seminar{
		ID: s.ID, Name: s.Name, Capacity: s.Capacity, Count: s.Count, Time: s.Time, Online: s.Online,
		Instructors: []client.Member{}, Participants: []client.Member{},
	}
	for _, m := range s.Members {
		w := member(m)
		if m.Role == seminar.Instructor {
			out.Instructors = append(out.Instructors, w)
		} else {
			out.Participants = append(out.Participants, w)
		}
	}
	return out
}

func members(ms []seminar.Member) []client.Member {
	out := make([]client.Member, 0, len(ms))
	for _, m := range ms {
		out = append(out, member(m))
	}
	return out
}

func member(m seminar.Member) client.Member {
	return client.Member{UserID: m.UserID, JoinedAt: wire.At(m.JoinedAt), IsActive: m.Active, DroppedAt: wire.Ptr(m.DroppedAt)}
}
