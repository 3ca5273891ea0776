// The session: the token and the signed-in user.
//
// Where the token lives: sessionStorage. It survives a reload and links
// opened in the same tab (the app must keep working on reload), ends when the
// tab closes, and is not shared with other tabs. localStorage would keep it
// forever on shared computers; memory alone would log the person out on every
// reload. Any script running on the page could read it in either storage, so
// the real defence is the Content-Security-Policy (script-src 'self') that
// Nginx sends, which this app satisfies.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { useNavigate } from 'react-router-dom'
import { createClient, endpoints, type Api, type User, type UserWithToken } from './api'

const KEY = 'seminarhub.token'
/** Set when the API refused the token, so the login page can say why. */
export const EXPIRED_KEY = 'seminarhub.expired'

interface Session {
  api: Api
  token: string | null
  me: User | null
  /** Start a session from a signup or login answer. */
  signIn: (session: UserWithToken) => void
  /** Re-read the signed-in user after something changed. */
  refresh: () => Promise<void>
  setMe: (u: User) => void
  signOut: () => Promise<void>
}

const Ctx = createContext<Session | null>(null)

export function SessionProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate()
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(KEY))
  const [me, setMe] = useState<User | null>(null)

  const expire = useCallback(() => {
    sessionStorage.removeItem(KEY)
    sessionStorage.setItem(EXPIRED_KEY, '1')
    setToken(null)
    setMe(null)
    navigate('/login', { state: { expired: true } })
  }, [navigate])

  const api = useMemo(() => endpoints(createClient(() => sessionStorage.getItem(KEY), expire)), [expire])

  const refresh = useCallback(async () => {
    if (!sessionStorage.getItem(KEY)) return
    setMe(await api.user('me'))
  }, [api])

  useEffect(() => {
    if (token && !me) refresh().catch(() => undefined)
  }, [token, me, refresh])

  const signIn = useCallback(({ token, ...user }: UserWithToken) => {
    sessionStorage.setItem(KEY, token)
    setToken(token)
    setMe(user)
  }, [])

  const signOut = useCallback(async () => {
    try {
      await api.logout()
    } finally {
      sessionStorage.removeItem(KEY)
      setToken(null)
      setMe(null)
      navigate('/login')
    }
  }, [api, navigate])

  const value = useMemo(() => ({ api, token, me, signIn, refresh, setMe, signOut }), [api, token, me, signIn, refresh, signOut])
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>
}

export function useSession(): Session {
  const s = useContext(Ctx)
  if (!s) throw new Error('useSession outside SessionProvider')
  return s
}
