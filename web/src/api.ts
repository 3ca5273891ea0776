// The API client: the only place that knows URLs, the token header and the
// error shape ({"error", "fields"}). Same origin as the page, always.

import type { components } from './api.gen'

// The objects the API answers with are generated from the contract
// (api/openapi.yaml → api.gen.ts, `npm run gen:api`): written once, there.
type Schemas = components['schemas']
export type User = Schemas['User']
/** What signup and login answer: the user and their new token. */
export type UserWithToken = Schemas['UserWithToken']
export type Seminar = Schemas['Seminar']
export type SeminarSummary = Schemas['SeminarSummary']
/** A seminar as a page of the list shows it. */
export type SeminarCard = Schemas['SeminarCard']
/** One page of the list (the API's opt-in pagination). */
export type SeminarPage = Schemas['SeminarPage']

/** "3 seats left", "1 seat left", "Full". */
export function seatsLeft(s: { capacity: number; participant_count: number }): string {
  const left = s.capacity - s.participant_count
  if (left <= 0) return 'Full'
  return `${left} seat${left === 1 ? '' : 's'} left`
}

/** An answer that was not 2xx, with the API's message for a person. */
export class ApiError extends Error {
  readonly status: number
  readonly fields: Record<string, string>
  /** Seconds the API asked to wait before trying again (Retry-After), if it did. */
  readonly retryAfter?: number
  constructor(status: number, message: string, fields: Record<string, string> = {}, retryAfter?: number) {
    super(message)
    this.status = status
    this.fields = fields
    this.retryAfter = retryAfter
  }
}

/**
 * busyFor is how long the service asked to wait when it refused a request
 * because it was at capacity (503 with Retry-After: many people signing in
 * at once), in seconds; null for any other outcome.
 */
export function busyFor(e: unknown): number | null {
  return e instanceof ApiError && e.status === 503 && e.retryAfter ? e.retryAfter : null
}

/**
 * retryOnceWhenBusy runs call; when the service says it is at capacity, it
 * tells onWait how many seconds it will wait, waits that long (and up to a
 * second more, so that a whole class told the same time does not come back
 * in the same instant) and tries once more. Any other failure, or a second
 * refusal, is the caller's.
 */
export async function retryOnceWhenBusy<T>(call: () => Promise<T>, onWait: (seconds: number) => void, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  try {
    return await call()
  } catch (e) {
    const seconds = busyFor(e)
    if (seconds === null) throw e
    onWait(seconds)
    await sleep(seconds * 1000 + Math.random() * 1000)
    return call()
  }
}

export type Fetch = typeof fetch

const unreachable = () => new ApiError(0, 'The server cannot be reached. Check your connection and try again.')

export interface Client {
  request<T>(method: string, path: string, body?: unknown): Promise<T>
}

/**
 * createClient returns a client that sends the token (when there is one) and
 * calls onUnauthorized when the API says the token is no good (401), so the
 * app can send the person to log in.
 */
export function createClient(getToken: () => string | null, onUnauthorized: () => void, fetchImpl: Fetch = fetch): Client {
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { Accept: 'application/json' }
      const token = getToken()
      if (token) headers.Authorization = `Token ${token}`
      if (body !== undefined) headers['Content-Type'] = 'application/json'
      const send = () => fetchImpl(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      let res: Response
      try {
        res = await send()
      } catch {
        // A read that never reached an answer — a phone moving between
        // networks, a connection cut as the browser saw the network change —
        // is sent once more. A write is not: it may have been applied.
        if (method !== 'GET') throw unreachable()
        try {
          await new Promise((r) => setTimeout(r, 250))
          res = await send()
        } catch {
          throw unreachable()
        }
      }
      const text = await res.text()
      let data: unknown = null
      try {
        data = text ? JSON.parse(text) : null
      } catch {
        data = null
      }
      if (!res.ok) {
        const obj = (data ?? {}) as { error?: unknown; fields?: unknown }
        const message = typeof obj.error === 'string' && obj.error ? obj.error : `Request failed (${res.status})`
        const fields = obj.fields && typeof obj.fields === 'object' ? (obj.fields as Record<string, string>) : {}
        if (res.status === 401 && token) onUnauthorized()
        const retryAfter = Number.parseInt(res.headers.get('Retry-After') ?? '', 10)
        throw new ApiError(res.status, message, fields, retryAfter > 0 ? retryAfter : undefined)
      }
      return data as T
    },
  }
}

/** Seminars per page of the list. */
export const PAGE_SIZE = 20

/** The endpoints, typed. */
export function endpoints(c: Client) {
  return {
    signup: (body: Record<string, unknown>) => c.request<UserWithToken>('POST', '/api/v1/user/', body),
    login: (username: string, password: string) => c.request<UserWithToken>('PUT', '/api/v1/user/login/', { username, password }),
    logout: () => c.request<Record<string, never>>('POST', '/api/v1/user/logout/'),
    user: (id: number | 'me') => c.request<User>('GET', `/api/v1/user/${id}/`),
    updateMe: (body: Record<string, unknown>) => c.request<User>('PUT', '/api/v1/user/me/', body),
    becomeParticipant: (body: Record<string, unknown>) => c.request<User>('POST', '/api/v1/user/participant/', body),
    seminars: (name: string, order: 'newest' | 'earliest') => {
      const q = new URLSearchParams()
      if (name) q.set('name', name)
      if (order === 'earliest') q.set('order', 'earliest')
      const qs = q.toString()
      return c.request<SeminarSummary[]>('GET', `/api/v1/seminar/${qs ? `?${qs}` : ''}`)
    },
    /** The first page of the list, or the page at `next` (a path the API gave). */
    seminarPage: (name: string, order: 'newest' | 'earliest', next?: string) => {
      if (next) return c.request<SeminarPage>('GET', next)
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) })
      if (name) q.set('name', name)
      if (order === 'earliest') q.set('order', 'earliest')
      return c.request<SeminarPage>('GET', `/api/v1/seminar/?${q}`)
    },
    seminar: (id: number) => c.request<Seminar>('GET', `/api/v1/seminar/${id}/`),
    createSeminar: (body: Record<string, unknown>) => c.request<Seminar>('POST', '/api/v1/seminar/', body),
    updateSeminar: (id: number, body: Record<string, unknown>) => c.request<Seminar>('PUT', `/api/v1/seminar/${id}/`, body),
    join: (id: number, role: 'participant' | 'instructor') => c.request<Seminar>('POST', `/api/v1/seminar/${id}/user/`, { role }),
    drop: (id: number) => c.request<Seminar>('DELETE', `/api/v1/seminar/${id}/user/`),
  }
}

export type Api = ReturnType<typeof endpoints>

/** Which membership actions make sense for this person on this seminar. */
export function seminarActions(s: Seminar, me: User | null) {
  const none = { joinAsParticipant: false, joinAsInstructor: false, drop: false, edit: false }
  if (!me) return none
  const asParticipant = s.participants.find((p) => p.id === me.id)
  const asInstructor = s.instructors.some((i) => i.id === me.id)
  const member = !!asParticipant || asInstructor
  const active = s.participants.filter((p) => p.is_active).length
  return {
    joinAsParticipant: !member && !!me.participant && me.participant.accepted && active < s.capacity,
    joinAsInstructor: !member && !!me.instructor && !me.instructor.charge,
    drop: !!asParticipant && asParticipant.is_active,
    edit: asInstructor,
  }
}

/** "2026-11-25T09:30:00.123456Z" → a short local date and time. */
export function formatTime(ts: string | null): string {
  if (!ts) return ''
  const d = new Date(ts)
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function fullName(p: { first_name: string; last_name: string; username: string }): string {
  const n = `${p.first_name} ${p.last_name}`.trim()
  return n || p.username
}
