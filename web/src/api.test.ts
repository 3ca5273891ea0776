import { describe, expect, it, vi } from 'vitest'
import { ApiError, busyFor, createClient, type Client, retryOnceWhenBusy, seatsLeft, seminarActions, type Seminar, type User } from './api'

function fakeFetch(status: number, body: unknown) {
  return vi.fn(async () => new Response(body === undefined ? '' : JSON.stringify(body), { status }))
}

/** failure awaits a request that must fail and returns its ApiError. */
async function failure(c: Client, method = 'GET', path = '/x'): Promise<ApiError> {
  try {
    await c.request(method, path)
  } catch (e) {
    return e as ApiError
  }
  throw new Error('the request did not fail')
}

describe('createClient', () => {
  it('sends the token and a JSON body', async () => {
    const f = fakeFetch(200, { ok: 1 })
    const c = createClient(() => 'abc', () => undefined, f as unknown as typeof fetch)
    await c.request('POST', '/api/v1/seminar/', { name: 'x' })
    const [path, init] = f.mock.calls[0] as unknown as [string, RequestInit]
    const headers = init.headers as Record<string, string>
    expect(path).toBe('/api/v1/seminar/')
    expect(headers.Authorization).toBe('Token abc')
    expect(headers['Content-Type']).toBe('application/json')
    expect(init.body).toBe('{"name":"x"}')
  })

  it('turns an error body into an ApiError with the message and fields', async () => {
    const c = createClient(() => null, () => undefined, fakeFetch(400, { error: 'invalid input', fields: { time: 'bad' } }) as unknown as typeof fetch)
    const err = await failure(c, 'POST')
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.message).toBe('invalid input')
    expect(err.fields).toEqual({ time: 'bad' })
  })

  it('falls back to a readable message when the body is not JSON', async () => {
    const f = vi.fn(async () => new Response('<html>bad gateway</html>', { status: 502 }))
    const err = await failure(createClient(() => null, () => undefined, f as unknown as typeof fetch))
    expect(err.message).toBe('Request failed (502)')
  })

  it('reports an expired or revoked token, but not a failed login', async () => {
    const expired = vi.fn()
    await createClient(() => 'old', expired, fakeFetch(401, { error: 'invalid or revoked token' }) as unknown as typeof fetch).request('GET', '/x').catch(() => undefined)
    expect(expired).toHaveBeenCalledOnce()
    const anonymous = vi.fn()
    await createClient(() => null, anonymous, fakeFetch(401, { error: 'no' }) as unknown as typeof fetch).request('GET', '/x').catch(() => undefined)
    expect(anonymous).not.toHaveBeenCalled()
  })

  it('says the server cannot be reached when fetch itself fails, twice for a read', async () => {
    const f = vi.fn(async () => {
      throw new TypeError('network')
    })
    const err = await failure(createClient(() => null, () => undefined, f as unknown as typeof fetch))
    expect(err.status).toBe(0)
    expect(err.message).toMatch(/cannot be reached/)
    expect(f).toHaveBeenCalledTimes(2)
  })

  it('sends a read once more when the first never reached an answer', async () => {
    const f = vi.fn(async () => new Response('{"ok":1}', { status: 200 }))
    f.mockRejectedValueOnce(new TypeError('network changed'))
    const c = createClient(() => null, () => undefined, f as unknown as typeof fetch)
    expect(await c.request('GET', '/api/v1/seminar/1/')).toEqual({ ok: 1 })
    expect(f).toHaveBeenCalledTimes(2)
  })

  it('never sends a write twice: it may have been applied', async () => {
    const f = vi.fn(async () => {
      throw new TypeError('network')
    })
    const err = await failure(createClient(() => null, () => undefined, f as unknown as typeof fetch), 'POST')
    expect(err.status).toBe(0)
    expect(f).toHaveBeenCalledTimes(1)
  })
})

const person = (id: number) => ({ id, username: `u${id}`, email: '', first_name: '', last_name: '', joined_at: '2026-01-01T00:00:00.000000Z' })
const seminar = (over: Partial<Seminar> = {}): Seminar => ({
  id: 1, name: 'S', capacity: 2, count: 1, time: '10:00', online: true, instructors: [person(1)], participants: [], ...over,
})
const user = (id: number, over: Partial<User> = {}): User => ({
  id, username: `u${id}`, email: '', first_name: '', last_name: '', last_login: null, date_joined: '', participant: null, instructor: null, ...over,
})
const participantProfile = { id: 1, university: '', accepted: true, seminars: [] }

describe('seminarActions', () => {
  it('offers joining to an accepted participant while seats are free', () => {
    expect(seminarActions(seminar(), user(5, { participant: participantProfile }))).toEqual({ joinAsParticipant: true, joinAsInstructor: false, drop: false, edit: false })
  })
  it('does not offer joining a full seminar or to a participant not accepted', () => {
    const full = seminar({ capacity: 1, participants: [{ ...person(9), is_active: true, dropped_at: null }] })
    expect(seminarActions(full, user(5, { participant: participantProfile })).joinAsParticipant).toBe(false)
    expect(seminarActions(seminar(), user(5, { participant: { ...participantProfile, accepted: false } })).joinAsParticipant).toBe(false)
  })
  it('offers dropping only to an active participant, and never rejoining', () => {
    const active = seminar({ participants: [{ ...person(5), is_active: true, dropped_at: null }] })
    const dropped = seminar({ participants: [{ ...person(5), is_active: false, dropped_at: '2026-01-02T00:00:00.000000Z' }] })
    const me = user(5, { participant: participantProfile })
    expect(seminarActions(active, me)).toMatchObject({ drop: true, joinAsParticipant: false })
    expect(seminarActions(dropped, me)).toMatchObject({ drop: false, joinAsParticipant: false })
  })
  it('lets instructors in charge edit, and free instructors join as instructor', () => {
    expect(seminarActions(seminar(), user(1, { instructor: { id: 1, company: '', year: null, charge: { id: 1, name: 'S', joined_at: '' } } })).edit).toBe(true)
    expect(seminarActions(seminar(), user(2, { instructor: { id: 2, company: '', year: null, charge: null } })).joinAsInstructor).toBe(true)
    expect(seminarActions(seminar(), user(3, { instructor: { id: 3, company: '', year: null, charge: { id: 7, name: 'T', joined_at: '' } } })).joinAsInstructor).toBe(false)
  })
  it('offers nothing when signed out', () => {
    expect(seminarActions(seminar(), null)).toEqual({ joinAsParticipant: false, joinAsInstructor: false, drop: false, edit: false })
  })
})

describe('seatsLeft', () => {
  it('counts the free seats, in words', () => {
    expect(seatsLeft({ capacity: 5, participant_count: 2 })).toBe('3 seats left')
    expect(seatsLeft({ capacity: 5, participant_count: 4 })).toBe('1 seat left')
    expect(seatsLeft({ capacity: 5, participant_count: 5 })).toBe('Full')
  })
})

describe('retryOnceWhenBusy', () => {
  const busy = () => new ApiError(503, 'many people are signing in right now, try again in a few seconds', {}, 3)
  const noSleep = vi.fn(async () => undefined)

  it('says how long it waits, waits that long and a little more, and tries once more', async () => {
    const call = vi.fn().mockRejectedValueOnce(busy()).mockResolvedValueOnce('in')
    const onWait = vi.fn()
    const sleep = vi.fn(async () => undefined)
    await expect(retryOnceWhenBusy(call, onWait, sleep)).resolves.toBe('in')
    expect(call).toHaveBeenCalledTimes(2)
    expect(onWait).toHaveBeenCalledWith(3)
    const [ms] = sleep.mock.calls[0] as unknown as [number]
    expect(ms).toBeGreaterThanOrEqual(3000)
    expect(ms).toBeLessThan(4000)
  })

  it('gives up after the one retry', async () => {
    const call = vi.fn().mockRejectedValue(busy())
    await expect(retryOnceWhenBusy(call, () => undefined, noSleep)).rejects.toMatchObject({ status: 503 })
    expect(call).toHaveBeenCalledTimes(2)
  })

  it('does not retry other failures, nor a 503 without Retry-After', async () => {
    for (const e of [new ApiError(403, 'wrong username or password'), new ApiError(503, 'database down')]) {
      const call = vi.fn().mockRejectedValue(e)
      await expect(retryOnceWhenBusy(call, () => undefined, noSleep)).rejects.toBe(e)
      expect(call).toHaveBeenCalledOnce()
    }
  })

  it('reads Retry-After from the answer', async () => {
    const f = vi.fn(async () => new Response(JSON.stringify({ error: 'busy' }), { status: 503, headers: { 'Retry-After': '7' } }))
    const err = await failure(createClient(() => null, () => undefined, f as unknown as typeof fetch), 'PUT')
    expect(busyFor(err)).toBe(7)
  })
})
