import { useEffect, useState } from 'react'
import { Link, useLocation, useNavigate } from 'react-router-dom'
import { ErrorBanner, Field, fieldErrors, useRetryWhenBusy, useSubmit, useTitle } from '../components/forms'
import { EXPIRED_KEY, useSession } from '../session'

export function LoginPage() {
  const { api, signIn } = useSession()
  useTitle('Log in')
  const navigate = useNavigate()
  const fromState = (useLocation().state as { expired?: boolean } | null)?.expired
  const [expired] = useState(() => fromState || sessionStorage.getItem(EXPIRED_KEY) === '1')
  useEffect(() => sessionStorage.removeItem(EXPIRED_KEY), [])
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const { busy, error, run } = useSubmit()
  const { retry, notice } = useRetryWhenBusy('signing in')
  const errors = fieldErrors(error)
  return (
    <section className="narrow">
      <h1>Log in</h1>
      {expired && <p className="notice">Your session has ended. Please log in again.</p>}
      <ErrorBanner error={error} />
      {notice}
      <form
        onSubmit={run(async () => {
          signIn(await retry(() => api.login(username, password)))
          navigate('/seminars')
        })}
      >
        <Field label="Username" name="username" value={username} onChange={setUsername} errors={errors} required autoComplete="username" />
        <Field label="Password" name="password" type="password" value={password} onChange={setPassword} errors={errors} required autoComplete="current-password" />
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        New here? <Link to="/signup">Sign up</Link>
      </p>
    </section>
  )
}

export function SignupPage() {
  const { api, signIn } = useSession()
  useTitle('Sign up')
  const navigate = useNavigate()
  const [role, setRole] = useState<'participant' | 'instructor'>('participant')
  const [f, setF] = useState({ username: '', password: '', email: '', first_name: '', last_name: '', university: '', company: '', year: '' })
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v })
  const { busy, error, run } = useSubmit()
  const { retry, notice } = useRetryWhenBusy('signing up')
  const errors = fieldErrors(error)
  return (
    <section className="narrow">
      <h1>Sign up</h1>
      <ErrorBanner error={error} />
      {notice}
      <form
        onSubmit={run(async () => {
          const body: Record<string, unknown> = { role, username: f.username, password: f.password, email: f.email, first_name: f.first_name, last_name: f.last_name }
          if (role === 'participant') body.university = f.university
          else Object.assign(body, { company: f.company, year: f.year === '' ? null : f.year })
          signIn(await retry(() => api.signup(body)))
          navigate('/seminars')
        })}
      >
        <fieldset>
          <legend>I am joining as</legend>
          {(['participant', 'instructor'] as const).map((r) => (
            <label key={r} className="inline">
              <input type="radio" name="role" value={r} checked={role === r} onChange={() => setRole(r)} /> {r === 'participant' ? 'Participant' : 'Instructor'}
            </label>
          ))}
          {errors.role && <span className="field-error">{errors.role}</span>}
        </fieldset>
        <Field label="Username" name="username" value={f.username} onChange={set('username')} errors={errors} required autoComplete="username" />
        <Field label="Password" name="password" type="password" value={f.password} onChange={set('password')} errors={errors} required autoComplete="new-password" />
        <Field label="E-mail" name="email" type="email" value={f.email} onChange={set('email')} errors={errors} required autoComplete="email" />
        <Field label="First name" name="first_name" value={f.first_name} onChange={set('first_name')} errors={errors} autoComplete="given-name" />
        <Field label="Last name" name="last_name" value={f.last_name} onChange={set('last_name')} errors={errors} autoComplete="family-name" />
        {role === 'participant' ? (
          <Field label="University" name="university" value={f.university} onChange={set('university')} errors={errors} />
        ) : (
          <>
            <Field label="Company" name="company" value={f.company} onChange={set('company')} errors={errors} />
            <Field label="Years of experience" name="year" value={f.year} onChange={set('year')} errors={errors} inputMode="numeric" />
          </>
        )}
        <button type="submit" disabled={busy}>
          Sign up
        </button>
      </form>
      <p>
        Already registered? <Link to="/login">Log in</Link>
      </p>
    </section>
  )
}
