package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/metric"

	"github.com/seminarhub/seminarhub/platform/postgres"
	"github.com/seminarhub/seminarhub/services/content/internal/seminar"
)

// Postgres is the content database. Writes to a seminar run in one
// transaction that first locks the seminar's row, so joins, drops and
// capacity changes of one seminar happen one at a time.
type Postgres struct{ pool *pgxpool.Pool }

// NewPostgres wraps a pool.
func NewPostgres(pool *pgxpool.Pool) *Postgres { return &Postgres{pool: pool} }

var readCommitted = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}

// translate maps constraint violations to the domain errors they stand for.
// These fire only when a race slipped past the locked check (or a bug did):
// the database has the last word.
func translate(err error) error {
	switch {
	case postgres.ConstraintViolated(err, "memberships_one_charge"):
		return seminar.ErrAlreadyInCharge
	case postgres.ConstraintViolated(err, "memberships_one_per_user"), postgres.ConstraintViolated(err, "memberships_no_rejoin"):
		return seminar.ErrAlreadyMember
	case postgres.ConstraintViolated(err, "seminars_within_capacity"):
		return seminar.ErrFull
	}
	return err
}

const seminarColumns = `id, name, capacity, count, to_char(time, 'HH24:MI'), online, created_at`

func scanSeminar(row pgx.Row) (seminar.Seminar, error) {
	var s seminar.Seminar
	err := row.Scan(&s.ID, &s.Name, &s.Capacity, &s.Count, &s.Time, &s.Online, &s.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, seminar.ErrNotFound
	}
	return s, err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func scanMember(row pgx.CollectableRow) (seminar.Member, error) {
	var m seminar.Member
	var role string
	err := row.Scan(&m.ID, &m.UserID, &role, &m.JoinedAt, &m.Active, &m.DroppedAt)
	m.Role = seminar.Role(role)
	return m, err
}

func members(ctx context.Context, q querier, seminarID int64) ([]seminar.Member, error) {
	rows, err := q.Query(ctx, `
		SELECT id, user_id, role, joined_at, is_active, dropped_at
		FROM memberships WHERE seminar_id = $1 ORDER BY joined_at, id`, seminarID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanMember)
}

// Create inserts a seminar with its creator as instructor in charge.
func (st *Postgres) Create(ctx context.Context, caller seminar.Caller, s seminar.Seminar) (seminar.Seminar, error) {
	err := postgres.Tx(ctx, st.pool, readCommitted, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO seminars (name, capacity, count, time, online) VALUES ($1, $2, $3, $4::time, $5)
			RETURNING id, created_at`, s.Name, s.Capacity, s.Count, s.Time, s.Online).Scan(&s.ID, &s.CreatedAt)
		if err != nil {
			return err
		}
		m := seminar.Member{UserID: caller.UserID, Role: seminar.Instructor, Active: true}
		if err := insertMember(ctx, tx, s.ID, &m); err != nil {
			return err
		}
		s.Members = []seminar.Member{m}
		return nil
	})
	return s, translate(err)
}

func insertMember(ctx context.Context, tx pgx.Tx, seminarID int64, m *seminar.Member) error {
	return tx.QueryRow(ctx, `
		INSERT INTO memberships (seminar_id, user_id, role) VALUES ($1, $2, $3)
		RETURNING id, joined_at`, seminarID, m.UserID, string(m.Role)).Scan(&m.ID, &m.JoinedAt)
}

// Change locks seminar id (SELECT ... FOR UPDATE), loads its memberships,
// lets decide look at a consistent, exclusive snapshot, and writes the
// effect it returns. Every join, drop and update goes through here, so two of
// them on one seminar never decide on the same stale count.
func (st *Postgres) Change(ctx context.Context, id int64, decide func(*seminar.Seminar) (Effect, error)) (seminar.Seminar, error) {
	var s seminar.Seminar
	err := postgres.Tx(ctx, st.pool, readCommitted, func(tx pgx.Tx) error {
		var err error
		if s, err = scanSeminar(tx.QueryRow(ctx, `SELECT `+seminarColumns+` FROM seminars WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return err
		}
		if s.Members, err = members(ctx, tx, id); err != nil {
			return err
		}
		effect, err := decide(&s)
		if err != nil {
			return err
		}
		if effect.Fields {
			if _, err := tx.Exec(ctx, `
				UPDATE seminars SET name = $2, capacity = $3, count = $4, time = $5::time, online = $6 WHERE id = $1`,
				s.ID, s.Name, s.Capacity, s.Count, s.Time, s.Online); err != nil {
				return err
			}
		}
		if m := effect.Join; m != nil {
			if err := insertMember(ctx, tx, s.ID, m); err != nil {
				return err
			}
			s.Members = append(s.Members, *m)
		}
		if m := effect.Drop; m != nil {
			var at pgtype.Timestamptz
			if err := tx.QueryRow(ctx, `
				UPDATE memberships SET is_active = false, dropped_at = clock_timestamp()
				WHERE id = $1 RETURNING dropped_at`, m.ID).Scan(&at); err != nil {
				return err
			}
			m.DroppedAt = &at.Time
		}
		return nil
	})
	return s, translate(err)
}

// Seminar reads one seminar with its memberships: two statements, however
// many members it has.
func (st *Postgres) Seminar(ctx context.Context, id int64) (seminar.Seminar, error) {
	s, err := scanSeminar(st.pool.QueryRow(ctx, `SELECT `+seminarColumns+` FROM seminars WHERE id = $1`, id))
	if err != nil {
		return s, err
	}
	s.Members, err = members(ctx, st.pool, id)
	return s, err
}

// List returns seminar summaries in two statements: the seminars (with the
// trigger-maintained active count, so nothing is aggregated per row), then
// the instructors of all of them at once.
func (st *Postgres) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	if f.NameContains != nil && strings.ContainsRune(*f.NameContains, 0) {
		// No name contains NUL (PostgreSQL cannot store it), and PostgreSQL
		// would reject the query: such a search finds nothing.
		return []Summary{}, nil
	}
	order, after := `created_at DESC, id DESC`, `<`
	if f.EarliestFirst {
		order, after = `created_at ASC, id ASC`, `>`
	}
	var afterAt *time.Time
	var afterID *int64
	if f.After != nil {
		afterAt, afterID = &f.After.CreatedAt, &f.After.ID
	}
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	rows, err := st.pool.Query(ctx, `
		SELECT id, name, capacity, to_char(time, 'HH24:MI'), online, active_participants, created_at FROM seminars
		WHERE ($1::text IS NULL OR strpos(lower(name), lower($1::text)) > 0)
		  AND ($2::timestamptz IS NULL OR (created_at, id) `+after+` ($2, $3))
		ORDER BY `+order+`
		LIMIT $4`, f.NameContains, afterAt, afterID, limit)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Summary, error) {
		var s Summary
		err := r.Scan(&s.ID, &s.Name, &s.Capacity, &s.Time, &s.Online, &s.ActiveParticipants, &s.At.CreatedAt)
		s.At.ID = s.ID
		s.Instructors = []seminar.Member{}
		return s, err
	})
	if err != nil || len(list) == 0 {
		return list, err
	}
	ids := make([]int64, len(list))
	index := make(map[int64]int, len(list))
	for i, s := range list {
		ids[i] = s.ID
		index[s.ID] = i
	}
	rows, err = st.pool.Query(ctx, `
		SELECT seminar_id, id, user_id, role, joined_at, is_active, dropped_at
		FROM memberships WHERE seminar_id = ANY($1) AND role = 'instructor'
		ORDER BY joined_at, id`, ids)
	if err != nil {
		return nil, err
	}
	var seminarID int64
	var m seminar.Member
	var role string
	_, err = pgx.ForEachRow(rows, []any{&seminarID, &m.ID, &m.UserID, &role, &m.JoinedAt, &m.Active, &m.DroppedAt}, func() error {
		m.Role = seminar.Role(role)
		i := index[seminarID]
		list[i].Instructors = append(list[i].Instructors, m)
		return nil
	})
	return list, err
}

// MembershipsOf lists every seminar a user belongs to, oldest first, in one
// statement.
func (st *Postgres) MembershipsOf(ctx context.Context, userID int64) ([]UserMembership, error) {
	rows, err := st.pool.Query(ctx, `
		SELECT s.id, s.name, m.id, m.user_id, m.role, m.joined_at, m.is_active, m.dropped_at
		FROM memberships m JOIN seminars s ON s.id = m.seminar_id
		WHERE m.user_id = $1 ORDER BY m.joined_at, m.id`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (UserMembership, error) {
		var um UserMembership
		var role string
		err := r.Scan(&um.SeminarID, &um.SeminarName, &um.Member.ID, &um.Member.UserID, &role,
			&um.Member.JoinedAt, &um.Member.Active, &um.Member.DroppedAt)
		um.Member.Role = seminar.Role(role)
		return um, err
	})
}

// RecordSeats reports, through mp, the seats taken and offered over every seminar as
// the gauges seminar.seats.filled and seminar.seats.capacity, from the
// counts the memberships trigger keeps: one pass over seminars per scrape
// (every replica reports the same numbers; graphs take the max). What an
// operator watches fill up over a term.
func RecordSeats(p *Postgres, mp metric.MeterProvider) error {
	meter := mp.Meter("github.com/seminarhub/seminarhub/services/content/internal/store")
	filled, err := meter.Int64ObservableGauge("seminar.seats.filled",
		metric.WithDescription("active participants over every seminar"), metric.WithUnit("{seat}"))
	if err != nil {
		return err
	}
	capacity, err := meter.Int64ObservableGauge("seminar.seats.capacity",
		metric.WithDescription("seats offered over every seminar"), metric.WithUnit("{seat}"))
	if err != nil {
		return err
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		conn, err := p.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		// Straight through the wire protocol, beneath pgx's query tracers:
		// a scrape is not a request, and traced it would be a root span in
		// Jaeger every 15 s per replica and a statement in the counts that
		// show what requests cost.
		res := conn.Conn().PgConn().ExecParams(ctx,
			`SELECT coalesce(sum(active_participants), 0), coalesce(sum(capacity), 0) FROM seminars`,
			nil, nil, nil, nil).Read()
		if res.Err != nil {
			return res.Err
		}
		if len(res.Rows) != 1 || len(res.Rows[0]) != 2 {
			return fmt.Errorf("seats: %d rows", len(res.Rows))
		}
		for i, g := range []metric.Int64ObservableGauge{filled, capacity} {
			n, err := strconv.ParseInt(string(res.Rows[0][i]), 10, 64)
			if err != nil {
				return err
			}
			o.ObserveInt64(g, n)
		}
		return nil
	}, filled, capacity)
	return err
}
