import { useEffect, useState } from 'react'
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom'
import { ApiError, formatTime, fullName, type User } from '../api'
import { ErrorBanner, Field, fieldErrors, Loading, Notice, useSubmit, useTitle } from '../components/forms'
import { useSession } from '../session'

export function UserPage() {
  const { api, me } = useSession()
  const param = useParams().id ?? 'me'
  const [user, setUser] = useState<User | null>(null)
  const [error, setError] = useState<unknown>(null)
  const notice = (useLocation().state as { notice?: string } | null)?.notice
  useTitle(user ? fullName(user) : 'User')
  useEffect(() => {
    setUser(null)
    api.user(param === 'me' ? 'me' : Number(param)).then(setUser, setError)
  }, [api, param, me])
  if (error) return <ErrorBanner error={error instanceof ApiError && error.status === 404 ? new Error('This user does not exist.') : error} />
  if (!user) return <Loading />
  const mine = me?.id === user.id
  return (
    <section>
      <div className="row">
        <h1>{fullName(user)}</h1>
        {mine && (
          <span className="actions">
            <Link className="button" to="/me/edit">
              Edit profile
            </Link>
            {!user.participant && (
              <Link className="button" to="/me/participant">
                Become a participant
              </Link>
            )}
          </span>
        )}
      </div>
      {notice && <Notice>{notice}</Notice>}
      <dl className="facts">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        <dt>E-mail</dt>
        <dd>{user.email}</dd>
        <dt>Joined</dt>
        <dd>{formatTime(user.date_joined)}</dd>
      </dl>
      {user.instructor && (
        <>
          <h2>Instructor</h2>
          <dl className="facts">
            <dt>Company</dt>
            <dd>{user.instructor.company || '—'}</dd>
            <dt>Experience</dt>
            <dd>{user.instructor.year === null ? '—' : `${user.instructor.year} years`}</dd>
            <dt>In charge of</dt>
            <dd data-testid="charge">
              {user.instructor.charge ? <Link to={`/seminars/${user.instructor.charge.id}`}>{user.instructor.charge.name}</Link> : 'no seminar'}
            </dd>
          </dl>
        </>
      )}
      {user.participant && (
        <>
          <h2>Participant</h2>
          <dl className="facts">
            <dt>University</dt>
            <dd>{user.participant.university || '—'}</dd>
            <dt>Accepted</dt>
            <dd>{user.participant.accepted ? 'yes' : 'not yet'}</dd>
          </dl>
          <h3>Seminars</h3>
          {user.participant.seminars.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <ul aria-label="user seminars">
              {user.participant.seminars.map((s) => (
                <li key={s.id} className={s.is_active ? '' : 'dropped'}>
                  <Link to={`/seminars/${s.id}`}>{s.name}</Link>{' '}
                  {s.is_active ? <span className="muted">since {formatTime(s.joined_at)}</span> : <span className="badge">dropped {formatTime(s.dropped_at)}</span>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  )
}

export function EditProfilePage() {
  const { api, me, setMe } = useSession()
  useTitle('Edit profile')
  const navigate = useNavigate()
  const [f, setF] = useState<Record<string, string> | null>(null)
  const { busy, error, run } = useSubmit()
  useEffect(() => {
    if (me && !f)
      setF({
        username: me.username, email: me.email, first_name: me.first_name, last_name: me.last_name, password: '',
        university: me.participant?.university ?? '', company: me.instructor?.company ?? '', year: me.instructor?.year?.toString() ?? '',
      })
  }, [me, f])
  if (!me || !f) return <Loading />
  const errors = fieldErrors(error)
  const set = (k: string) => (v: string) => setF({ ...f, [k]: v })
  return (
    <section className="narrow">
      <h1>Edit profile</h1>
      <ErrorBanner error={error} />
      <form
        onSubmit={run(async () => {
          const body: Record<string, unknown> = { username: f.username, email: f.email, first_name: f.first_name, last_name: f.last_name }
          if (f.password) body.password = f.password
          if (me.participant) body.university = f.university
          if (me.instructor) Object.assign(body, { company: f.company, year: f.year === '' ? null : f.year })
          setMe(await api.updateMe(body))
          navigate(`/users/${me.id}`, { state: { notice: 'Profile saved.' } })
        })}
      >
        <Field label="Username" name="username" value={f.username} onChange={set('username')} errors={errors} required />
        <Field label="E-mail" name="email" type="email" value={f.email} onChange={set('email')} errors={errors} required />
        <Field label="First name" name="first_name" value={f.first_name} onChange={set('first_name')} errors={errors} />
        <Field label="Last name" name="last_name" value={f.last_name} onChange={set('last_name')} errors={errors} />
        <Field label="New password (leave empty to keep)" name="password" type="password" value={f.password} onChange={set('password')} errors={errors} autoComplete="new-password" />
        {me.participant && <Field label="University" name="university" value={f.university} onChange={set('university')} errors={errors} />}
        {me.instructor && (
          <>
            <Field label="Company" name="company" value={f.company} onChange={set('company')} errors={errors} />
            <Field label="Years of experience" name="year" value={f.year} onChange={set('year')} errors={errors} inputMode="numeric" />
          </>
        )}
        <button type="submit" disabled={busy}>
          Save
        </button>
      </form>
    </section>
  )
}

export function BecomeParticipantPage() {
  const { api, setMe } = useSession()
  useTitle('Become a participant')
  const navigate = useNavigate()
  const [university, setUniversity] = useState('')
  const { busy, error, run } = useSubmit()
  return (
    <section className="narrow">
      <h1>Become a participant</h1>
      <ErrorBanner error={error} />
      <form
        onSubmit={run(async () => {
          const u = await api.becomeParticipant({ university })
          setMe(u)
          navigate(`/users/${u.id}`, { state: { notice: 'You are a participant now.' } })
        })}
      >
        <Field label="University" name="university" value={university} onChange={setUniversity} errors={fieldErrors(error)} />
        <button type="submit" disabled={busy}>
          Become a participant
        </button>
      </form>
    </section>
  )
}
