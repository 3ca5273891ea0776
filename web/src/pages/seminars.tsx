import { useCallback, useEffect, useState } from 'react'
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router-dom'
import { ApiError, formatTime, fullName, seatsLeft, seminarActions, type Seminar, type SeminarCard } from '../api'
import { ErrorBanner, Field, fieldErrors, Loading, Notice, useSubmit, useTitle } from '../components/forms'
import { useSession } from '../session'

export function SeminarListPage() {
  const { api, me } = useSession()
  // Search and order live in the URL: Back, reload and shared links keep them.
  const [params, setParams] = useSearchParams()
  const name = params.get('name') ?? ''
  const order: 'newest' | 'earliest' = params.get('order') === 'earliest' ? 'earliest' : 'newest'
  const [list, setList] = useState<SeminarCard[] | null>(null)
  const [next, setNext] = useState<string | null>(null)
  const [more, setMore] = useState(false)
  const [error, setError] = useState<unknown>(null)
  useTitle('Seminars')

  const update = (changes: Record<string, string>) => {
    const p = new URLSearchParams(params)
    for (const [k, v] of Object.entries(changes)) {
      if (v) p.set(k, v)
      else p.delete(k)
    }
    setParams(p, { replace: true })
  }

  useEffect(() => {
    let live = true
    setError(null)
    const t = setTimeout(() => {
      api.seminarPage(name, order).then(
        (page) => {
          if (!live) return
          setList(page.results)
          setNext(page.next)
        },
        (e) => live && setError(e),
      )
    }, 200)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [api, name, order])

  const showMore = async () => {
    if (!next) return
    setMore(true)
    try {
      const page = await api.seminarPage(name, order, next)
      setList((l) => [...(l ?? []), ...page.results])
      setNext(page.next)
    } catch (e) {
      setError(e)
    } finally {
      setMore(false)
    }
  }

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
      {me && !me.instructor && <p className="muted">Only instructors open seminars; as a participant you join them.</p>}
      {me?.instructor?.charge && <p className="muted">You are in charge of a seminar already; an instructor runs one at a time.</p>}
      <div className="toolbar">
        <label htmlFor="search">Search by name</label>
        <input id="search" type="search" value={name} onChange={(e) => update({ name: e.target.value })} />
        <button type="button" aria-pressed={order === 'earliest'} onClick={() => update({ order: order === 'newest' ? 'earliest' : '' })}>
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
              <span className="facts-inline muted" data-testid="card-facts">
                {s.time} · {s.online ? 'Online' : 'In person'} · {seatsLeft(s)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" className="secondary" disabled={more} onClick={showMore}>
          {more ? 'Loading…' : 'Show more'}
        </button>
      )}
    </section>
  )
}

export function SeminarPage() {
  const { api, me, refresh } = useSession()
  const id = Number(useParams().id)
  const [seminar, setSeminar] = useState<Seminar | null>(null)
  const [loadError, setLoadError] = useState<unknown>(null)
  const [confirmDrop, setConfirmDrop] = useState(false)
  // A notice handed over by the page before (a form that saved).
  const handed = (useLocation().state as { notice?: string } | null)?.notice
  const [notice, setNotice] = useState(handed ?? '')
  const { busy, error, run } = useSubmit()
  useTitle(seminar?.name ?? 'Seminar')

  const load = useCallback(() => api.seminar(id).then(setSeminar, setLoadError), [api, id])
  useEffect(() => {
    load()
  }, [load])

  if (loadError) return <ErrorBanner error={loadError instanceof ApiError && loadError.status === 404 ? new Error('This seminar does not exist.') : loadError} />
  if (!seminar) return <Loading />
  const can = seminarActions(seminar, me)
  const mine = me ? seminar.participants.find((p) => p.id === me.id) : undefined
  const act = (f: () => Promise<Seminar>, done: string) =>
    run(async () => {
      setNotice('')
      setSeminar(await f())
      setConfirmDrop(false)
      setNotice(done)
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
      {notice && <Notice>{notice}</Notice>}
      {mine && !mine.is_active && (
        <p className="muted" data-testid="dropped-explanation">
          You dropped this seminar on {formatTime(mine.dropped_at)}. Dropping is final: a participant who drops cannot join the same seminar again.
        </p>
      )}
      <div className="actions">
        {can.joinAsParticipant && (
          <button type="button" disabled={busy} onClick={act(() => api.join(seminar.id, 'participant'), 'You joined this seminar.')}>
            Join as participant
          </button>
        )}
        {can.joinAsInstructor && (
          <button type="button" disabled={busy} onClick={act(() => api.join(seminar.id, 'instructor'), 'You now teach this seminar.')}>
            Join as instructor
          </button>
        )}
        {can.drop && !confirmDrop && (
          <button type="button" className="danger" disabled={busy} onClick={() => setConfirmDrop(true)}>
            Drop this seminar
          </button>
        )}
        {me?.participant && !can.joinAsParticipant && !can.drop && !can.edit && !mine && (
          // Let the API say why (full, not accepted): its message is shown.
          <button type="button" disabled={busy} onClick={act(() => api.join(seminar.id, 'participant'), 'You joined this seminar.')}>
            Try to join
          </button>
        )}
      </div>
      {can.drop && confirmDrop && (
        <div role="alertdialog" aria-labelledby="drop-question" className="confirm">
          <p id="drop-question">Drop “{seminar.name}”? This cannot be undone: you will not be able to join this seminar again.</p>
          <div className="actions">
            <button type="button" className="danger" disabled={busy} onClick={act(() => api.drop(seminar.id), 'You dropped this seminar.')}>
              Drop for good
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={() => setConfirmDrop(false)}>
              Keep my seat
            </button>
          </div>
        </div>
      )}
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
  const { api, me, refresh } = useSession()
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
  useTitle(mode === 'create' ? 'New seminar' : 'Edit seminar')

  // Say who may open a seminar before anyone fills in the form.
  if (mode === 'create' && me && (!me.instructor || me.instructor.charge)) {
    return (
      <section className="narrow">
        <h1>New seminar</h1>
        <p>
          {me.instructor
            ? 'You are in charge of a seminar already: an instructor runs one seminar at a time.'
            : 'Only instructors open seminars. As a participant you join the ones instructors open.'}
        </p>
        <Link to="/seminars">Back to the seminars</Link>
      </section>
    )
  }
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
          navigate(`/seminars/${s.id}`, { state: { notice: mode === 'create' ? 'Seminar created.' : 'Changes saved.' } })
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
