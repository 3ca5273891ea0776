import { useCallback, useEffect, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router-dom'
import { ApiError, formatTime, fullName, seminarActions, type Seminar, type SeminarSummary } from '../api'
import { ErrorBanner, Field, fieldErrors, Loading, useSubmit } from '../components/forms'
import { useSession } from '../session'

export function SeminarListPage() {
  const { api, me } = useSession()
  const [name, setName] = useState('')
  const [order, setOrder] = useState<'newest' | 'earliest'>('newest')
  const [list, setList] = useState<SeminarSummary[] | null>(null)
  const [error, setError] = useState<unknown>(null)

  useEffect(() => {
    let live = true
    setError(null)
    const t = setTimeout(() => {
      api.seminars(name, order).then((l) => live && setList(l), (e) => live && setError(e))
    }, 200)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [api, name, order])

  return (
    <section>
      <div className="row">
        <h1>Seminars</h1>
        {me?.instructor && !me.instructor.charge && (
          <Link className="button" to="/seminars/new">
            New seminar
          </Link>
        )}
      </div>
      <div className="toolbar">
        <label htmlFor="search">Search by name</label>
        <input id="search" type="search" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="button" aria-pressed={order === 'earliest'} onClick={() => setOrder(order === 'newest' ? 'earliest' : 'newest')}>
          {order === 'newest' ? 'Newest first' : 'Earliest first'}
        </button>
      </div>
      <ErrorBanner error={error} />
      {!list && !error && <Loading />}
      {list && list.length === 0 && <p className="muted">No seminars {name ? `match “${name}”` : 'yet'}.</p>}
      {list && list.length > 0 && (
        <ul className="cards" aria-label="seminars">
          {list.map((s) => (
            <li key={s.id} className="card" data-seminar-id={s.id}>
              <Link to={`/seminars/${s.id}`} className="title">
                {s.name}
              </Link>
              <span className="muted">by {s.instructors.map(fullName).join(', ') || '—'}</span>
              <span className="count" data-testid="participant-count">
                {s.participant_count} participant{s.participant_count === 1 ? '' : 's'}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

export function SeminarPage() {
  const { api, me, refresh } = useSession()
  const id = Number(useParams().id)
  const [seminar, setSeminar] = useState<Seminar | null>(null)
  const [loadError, setLoadError] = useState<unknown>(null)
  const { busy, error, run } = useSubmit()

  const load = useCallback(() => api.seminar(id).then(setSeminar, setLoadError), [api, id])
  useEffect(() => {
    load()
  }, [load])

  if (loadError) return <ErrorBanner error={loadError instanceof ApiError && loadError.status === 404 ? new Error('This seminar does not exist.') : loadError} />
  if (!seminar) return <Loading />
  const can = seminarActions(seminar, me)
  const act = (f: () => Promise<Seminar>) =>
    run(async () => {
      setSeminar(await f())
      await refresh()
    })

  return (
    <section>
      <div className="row">
        <h1>{seminar.name}</h1>
        {can.edit && (
          <Link className="button" to={`/seminars/${seminar.id}/edit`}>
            Edit
          </Link>
        )}
      </div>
      <dl className="facts">
        <dt>Time</dt>
        <dd>{seminar.time}</dd>
        <dt>Sessions</dt>
        <dd>{seminar.count}</dd>
        <dt>Where</dt>
        <dd>{seminar.online ? 'Online' : 'In person'}</dd>
        <dt>Seats</dt>
        <dd data-testid="seats">
          {seminar.participants.filter((p) => p.is_active).length} / {seminar.capacity}
        </dd>
      </dl>
      <ErrorBanner error={error} />
      <div className="actions">
        {can.joinAsParticipant && (
          <button type="button" disabled={busy} onClick={act(() => api.join(seminar.id, 'participant'))}>
            Join as participant
          </button>
        )}
        {can.joinAsInstructor && (
          <button type="button" disabled={busy} onClick={act(() => api.join(seminar.id, 'instructor'))}>
            Join as instructor
          </button>
        )}
        {can.drop && (
          <button type="button" className="danger" disabled={busy} onClick={act(() => api.drop(seminar.id))}>
            Drop this seminar
          </button>
        )}
        {me?.participant && !can.joinAsParticipant && !can.drop && !can.edit && !seminar.participants.some((p) => p.id === me.id) && (
          // Let the API say why (full, not accepted): its message is shown.
          <button type="button" disabled={busy} onClick={act(() => api.join(seminar.id, 'participant'))}>
            Try to join
          </button>
        )}
      </div>
      <h2>Instructors</h2>
      <ul>
        {seminar.instructors.map((i) => (
          <li key={i.id}>
            <Link to={`/users/${i.id}`}>{fullName(i)}</Link> <span className="muted">since {formatTime(i.joined_at)}</span>
          </li>
        ))}
      </ul>
      <h2>Participants</h2>
      {seminar.participants.length === 0 ? (
        <p className="muted">Nobody has joined yet.</p>
      ) : (
        <ul aria-label="participants">
          {seminar.participants.map((p) => (
            <li key={p.id} className={p.is_active ? '' : 'dropped'}>
              <Link to={`/users/${p.id}`}>{fullName(p)}</Link>{' '}
              {p.is_active ? (
                <span className="muted">joined {formatTime(p.joined_at)}</span>
              ) : (
                <span className="badge">dropped {formatTime(p.dropped_at)}</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

export function SeminarFormPage({ mode }: { mode: 'create' | 'edit' }) {
  const { api, refresh } = useSession()
  const navigate = useNavigate()
  const id = Number(useParams().id)
  const [f, setF] = useState({ name: '', capacity: '', count: '', time: '', online: true })
  const [loaded, setLoaded] = useState(mode === 'create')
  const { busy, error, run, setError } = useSubmit()
  const errors = fieldErrors(error)

  useEffect(() => {
    if (mode !== 'edit') return
    api.seminar(id).then(
      (s) => {
        setF({ name: s.name, capacity: String(s.capacity), count: String(s.count), time: s.time, online: s.online })
        setLoaded(true)
      },
      setError,
    )
  }, [api, id, mode, setError])

  if (!loaded) return error ? <ErrorBanner error={error} /> : <Loading />
  const set = (k: 'name' | 'capacity' | 'count' | 'time') => (v: string) => setF({ ...f, [k]: v })
  return (
    <section className="narrow">
      <h1>{mode === 'create' ? 'New seminar' : 'Edit seminar'}</h1>
      <ErrorBanner error={error} />
      <form
        onSubmit={run(async () => {
          const s = mode === 'create' ? await api.createSeminar(f) : await api.updateSeminar(id, f)
          await refresh()
          navigate(`/seminars/${s.id}`)
        })}
      >
        <Field label="Name" name="name" value={f.name} onChange={set('name')} errors={errors} required />
        <Field label="Capacity" name="capacity" value={f.capacity} onChange={set('capacity')} errors={errors} required inputMode="numeric" />
        <Field label="Number of sessions" name="count" value={f.count} onChange={set('count')} errors={errors} required inputMode="numeric" />
        <Field label="Time (HH:MM, 24-hour)" name="time" value={f.time} onChange={set('time')} errors={errors} required />
        <label className="inline">
          <input type="checkbox" name="online" checked={f.online} onChange={(e) => setF({ ...f, online: e.target.checked })} /> Online
        </label>
        <button type="submit" disabled={busy}>
          {mode === 'create' ? 'Create' : 'Save'}
        </button>
      </form>
    </section>
  )
}
