import type { ReactNode } from 'react'
import { Link, Navigate, NavLink, Route, Routes } from 'react-router-dom'
import { LoginPage, SignupPage } from './pages/auth'
import { SeminarFormPage, SeminarListPage, SeminarPage } from './pages/seminars'
import { BecomeParticipantPage, EditProfilePage, UserPage } from './pages/users'
import { useTitle } from './components/forms'
import { useSession } from './session'

function RequireLogin({ children }: { children: ReactNode }) {
  const { token } = useSession()
  return token ? <>{children}</> : <Navigate to="/login" replace />
}

function Nav() {
  const { token, me, signOut } = useSession()
  return (
    <header className="nav">
      <Link to="/" className="brand">
        seminarhub
      </Link>
      {token ? (
        <nav aria-label="main">
          <NavLink to="/seminars" end>
            Seminars
          </NavLink>
          {me && (
            <NavLink to={`/users/${me.id}`} className="me" title={me.username}>
              {me.username}
            </NavLink>
          )}
          <button type="button" className="link" onClick={() => signOut()}>
            Log out
          </button>
        </nav>
      ) : (
        <nav aria-label="main">
          <NavLink to="/login">Log in</NavLink>
          <NavLink to="/signup">Sign up</NavLink>
        </nav>
      )}
    </header>
  )
}

function LandingPage() {
  useTitle('')
  return (
    <section className="narrow">
      <h1>Seminars, without the spreadsheet</h1>
      <p>
        Instructors open seminars with a capacity; participants join and drop them, and nobody ever gets a seat that
        is not there.
      </p>
      <div className="actions">
        <Link className="button" to="/signup">
          Sign up
        </Link>
        <Link className="button secondary" to="/login">
          Log in
        </Link>
      </div>
    </section>
  )
}

function NotFoundPage() {
  useTitle('Not found')
  return (
    <section className="narrow">
      <h1>This page does not exist</h1>
      <p>The link may be old, or mistyped.</p>
      <Link to="/">Back to the start</Link>
    </section>
  )
}

export function App() {
  const { token } = useSession()
  const guard = (el: ReactNode) => <RequireLogin>{el}</RequireLogin>
  return (
    <>
      <Nav />
      <main>
        <Routes>
          <Route path="/" element={token ? <Navigate to="/seminars" replace /> : <LandingPage />} />
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
          <Route path="/seminars" element={guard(<SeminarListPage />)} />
          <Route path="/seminars/new" element={guard(<SeminarFormPage mode="create" />)} />
          <Route path="/seminars/:id" element={guard(<SeminarPage />)} />
          <Route path="/seminars/:id/edit" element={guard(<SeminarFormPage mode="edit" />)} />
          <Route path="/users/:id" element={guard(<UserPage />)} />
          <Route path="/me/edit" element={guard(<EditProfilePage />)} />
          <Route path="/me/participant" element={guard(<BecomeParticipantPage />)} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </main>
    </>
  )
}
