// End-to-end flows in a real headless Chromium (Debian's, driven by
// playwright-core) against the full running stack behind Nginx. Started by
// tests/e2e (TestBrowserFlows), which passes BASE_URL and ARTIFACTS.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const BASE = process.env.BASE_URL
const ARTIFACTS = process.env.ARTIFACTS || 'artifacts'
const tag = Date.now().toString(36)
// ROLLOUT=1: only the rolling-update flow runs (tests/e2e starts it behind
// two edges of different builds); otherwise everything else does.
const ROLLOUT = process.env.ROLLOUT === '1'
const flow = (name, fn) => test(name, { skip: ROLLOUT }, fn)
let browser

before(async () => {
  assert.ok(BASE, 'BASE_URL is required')
  mkdirSync(ARTIFACTS, { recursive: true })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
})
after(async () => browser?.close())

// Each person browses in a context of their own (their own sessionStorage).
async function person(viewport = { width: 1100, height: 800 }, options = {}) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: process.env.IGNORE_HTTPS_ERRORS === '1', ...options })
  const page = await context.newPage()
  const offOrigin = []
  page.on('request', (r) => { if (!r.url().startsWith(BASE)) offOrigin.push(r.url()) })
  page.on('pageerror', (e) => { throw e })
  page.offOrigin = offOrigin
  // On a Kubernetes node the browser shares the network with the pods, and
  // Chromium aborts every load in flight with ERR_NETWORK_CHANGED whenever
  // an interface comes or goes (a pod's veth, as the HPA scales): a
  // navigation that met one — itself or any of its requests — is made
  // again, as a person would reload. Nothing else is retried.
  let changed = false
  page.on('requestfailed', (r) => { if (r.failure()?.errorText.includes('ERR_NETWORK_CHANGED')) changed = true })
  const goto = page.goto.bind(page)
  page.goto = async (url, opts) => {
    for (let attempt = 1; ; attempt++) {
      changed = false
      try {
        const response = await goto(url, opts)
        if (!changed || attempt === 3) return response
      } catch (e) {
        if (!String(e).includes('ERR_NETWORK_CHANGED') || attempt === 3) throw e
      }
    }
  }
  return page
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

async function signup(page, { username, role, first = '', last = '' }) {
  await page.goto(`${BASE}/signup`)
  await page.getByLabel(role === 'instructor' ? 'Instructor' : 'Participant').check()
  await page.getByLabel('Username *').fill(username)
  await page.getByLabel('Password *').fill('pw-' + username)
  await page.getByLabel('E-mail *').fill(`${username}@example.com`)
  if (first) {
    await page.getByLabel('First name').fill(first)
    await page.getByLabel('Last name').fill(last)
  }
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.getByRole('heading', { name: 'Seminars' }).waitFor()
}

async function login(page, username) {
  await page.goto(`${BASE}/login`)
  await page.getByLabel('Username *').fill(username)
  await page.getByLabel('Password *').fill('pw-' + username)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('heading', { name: 'Seminars' }).waitFor()
}

flow('instructors and participants run a seminar through the browser', async () => {
  const inst = `inst${tag}`
  const seminarName = `Browser seminar ${tag}`
  const teacher = await person()

  // An instructor signs up, logs out, logs in again and creates a seminar.
  await signup(teacher, { username: inst, role: 'instructor', first: 'Ada', last: 'Lovelace' })
  await teacher.getByRole('button', { name: 'Log out' }).click()
  await teacher.getByRole('heading', { name: 'Log in' }).waitFor()
  await login(teacher, inst)
  await teacher.getByRole('link', { name: 'New seminar' }).click()
  // A validation message from the API appears next to its field.
  await teacher.getByLabel('Name *').fill(seminarName)
  await teacher.getByLabel('Capacity *').fill('3')
  await teacher.getByLabel('Number of sessions *').fill('4')
  await teacher.getByLabel('Time (HH:MM, 24-hour) *').fill('25:00')
  await teacher.getByRole('button', { name: 'Create' }).click()
  await teacher.getByText('must be a 24-hour time "HH:MM"').waitFor()
  // The summary names the field, and the focus is on it.
  await teacher.getByRole('alert').getByText('One field needs attention: time.').waitFor()
  await teacher.waitForFunction(() => document.activeElement?.id === 'f-time', null, { timeout: 5000 })
  await shot(teacher, 'create-seminar-validation')
  await teacher.getByLabel('Time (HH:MM, 24-hour) *').fill('14:30')
  await teacher.getByRole('button', { name: 'Create' }).click()
  await teacher.getByRole('heading', { name: seminarName }).waitFor()
  await teacher.getByRole('status').getByText('Seminar created.').waitFor()
  const seminarURL = teacher.url()
  assert.match(seminarURL, /\/seminars\/\d+$/)

  // Three participants sign up and join; a fourth finds it full.
  const names = ['alice', 'bob', 'carol', 'dave'].map((n) => `${n}${tag}`)
  const pages = []
  for (const [i, username] of names.entries()) {
    const p = await person(i === 0 ? { width: 390, height: 844 } : undefined) // one on a phone-width screen
    await signup(p, { username, role: 'participant' })
    await p.goto(seminarURL) // a deep link works
    pages.push(p)
    if (i < 3) {
      await p.getByRole('button', { name: 'Join as participant' }).click()
      await p.getByRole('status').getByText('You joined this seminar.').waitFor()
      await p.getByRole('button', { name: 'Drop this seminar' }).waitFor()
    }
  }
  await shot(pages[0], 'seminar-phone-width')
  const late = pages[3]
  await late.reload()
  await late.getByRole('button', { name: 'Try to join' }).click()
  await late.getByRole('alert').getByText('this seminar is full').waitFor()
  await shot(late, 'seminar-full')

  // One drops: asked first (it cannot be undone), then shown as dropped,
  // with the date and why there is no way back in.
  await pages[1].getByRole('button', { name: 'Drop this seminar' }).click()
  await pages[1].getByRole('alertdialog').getByText('This cannot be undone').waitFor()
  await shot(pages[1], 'seminar-drop-confirmation')
  await pages[1].getByRole('button', { name: 'Keep my seat' }).click()
  await pages[1].getByRole('button', { name: 'Drop this seminar' }).click()
  await pages[1].getByRole('button', { name: 'Drop for good' }).click()
  await pages[1].getByRole('status').getByText('You dropped this seminar.').waitFor()
  await pages[1].locator('li.dropped', { hasText: names[1] }).getByText(/^dropped /).waitFor()
  await pages[1].getByTestId('dropped-explanation').getByText('cannot join the same seminar again').waitFor()
  await shot(pages[1], 'seminar-after-drop')

  // The list shows the active count, newest first, and search works.
  await teacher.goto(`${BASE}/seminars`)
  await teacher.getByLabel('Search by name').fill(tag)
  const card = teacher.locator('li.card', { hasText: seminarName })
  await card.getByText('2 participants').waitFor()
  await card.getByTestId('card-facts').getByText('14:30 · Online · 1 seat left').waitFor()
  await shot(teacher, 'seminar-list')
  await teacher.getByLabel('Search by name').fill('')
  await teacher.getByRole('button', { name: 'Newest first' }).click()
  await teacher.getByRole('button', { name: 'Earliest first' }).waitFor()

  // User pages show the seminar and the charge.
  await teacher.goto(seminarURL)
  await teacher.getByRole('link', { name: 'Ada Lovelace' }).click()
  await teacher.getByTestId('charge').getByRole('link', { name: seminarName }).waitFor()
  await shot(teacher, 'instructor-page')
  await pages[0].goto(`${BASE}/seminars`)
  await pages[0].getByRole('link', { name: names[0] }).click()
  await pages[0].getByRole('list', { name: 'user seminars' }).getByRole('link', { name: seminarName }).waitFor()
  await shot(pages[0], 'participant-page')

  // The page only ever talked to its own origin.
  for (const p of [teacher, ...pages]) assert.deepEqual(p.offOrigin, [])
})

// The service refuses a login it cannot serve before its deadline — many
// people signing in at once — with 503 and Retry-After (tests/e2e shows it
// for a class of 200). Here the browser is handed exactly that answer once,
// so the app's side is seen at its own pace: it says so, counts down, and
// gets in on its own.
flow('a login refused because many are signing in says so and gets in by itself', async () => {
  const username = `busy${tag}`
  const p = await person({ width: 390, height: 844 })
  await signup(p, { username, role: 'participant' })
  await p.getByRole('button', { name: 'Log out' }).click()
  await p.getByRole('heading', { name: 'Log in' }).waitFor()
  let logins = 0
  await p.route('**/api/v1/user/login/', async (route) => {
    if (logins++ > 0) return route.continue()
    await route.fulfill({
      status: 503,
      headers: { 'Retry-After': '2', 'Cache-Control': 'no-store' },
      contentType: 'application/json',
      body: JSON.stringify({ error: 'many people are signing in right now, try again in a few seconds' }),
    })
  })
  await p.getByLabel('Username *').fill(username)
  await p.getByLabel('Password *').fill('pw-' + username)
  await p.getByRole('button', { name: 'Log in' }).click()
  await p.getByText(/Many people are signing in right now — trying again in [12] s/).waitFor()
  await shot(p, 'login-busy-retrying')
  await p.getByRole('heading', { name: 'Seminars' }).waitFor({ timeout: 10000 })
  assert.equal(logins, 2, 'one refusal, then one retry')
})

flow('a revoked token sends the person to log in', async () => {
  const p = await person()
  const username = `eve${tag}`
  await signup(p, { username, role: 'participant' })
  const token = await p.evaluate(() => sessionStorage.getItem('seminarhub.token'))
  assert.ok(token)
  // The token is revoked elsewhere (another tab logging out, say).
  const res = await fetch(`${BASE}/api/v1/user/logout/`, { method: 'POST', headers: { Authorization: `Token ${token}` } })
  assert.equal(res.status, 200)
  // What the reloaded page asked and was told, to say why if no notice comes.
  const answers = []
  p.on('response', (r) => r.url().includes('/api/') && answers.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`))
  p.on('requestfailed', (r) => answers.push(`${r.method()} ${new URL(r.url()).pathname} failed: ${r.failure()?.errorText}`))
  await p.reload()
  await p.getByText('Your session has ended. Please log in again.').waitFor().catch((e) => {
    throw new Error(`${e.message}\nthe API after the reload: ${answers.join('; ') || 'nothing'}`)
  })
})

// The API as a script, for data no form would let a person type quickly.
async function api(method, path, token, body) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Token ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await res.json()
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(data)}`)
  return data
}

flow('no page scrolls sideways at any width, whatever the names', async () => {
  // Hostile data: unbroken names as long as allowed (100 for a seminar,
  // 150 for a username), Korean and emoji, long people's names, many
  // members.
  const long = 'Seminar' + 'x'.repeat(93)
  const teacher = await api('POST', '/api/v1/user/', undefined, {
    username: `w${tag}${'y'.repeat(100)}`.slice(0, 150), password: 'pw', email: 'w@example.com', role: 'instructor',
    first_name: '김'.repeat(40), last_name: 'Kowalczykowski'.repeat(4),
  })
  const seminar = await api('POST', '/api/v1/seminar/', teacher.token, { name: long, capacity: 100, count: 3, time: '09:00', online: false })
  const other = await api('POST', '/api/v1/user/', undefined, { username: `k${tag}`, password: 'pw', email: 'k@example.com', role: 'instructor' })
  await api('POST', '/api/v1/seminar/', other.token, { name: `한국어 세미나 🎓🚀 ${tag}`, capacity: 5, count: 1, time: '18:00' })
  for (let i = 0; i < 12; i++) {
    const p = await api('POST', '/api/v1/user/', undefined, { username: `m${i}${tag}${'z'.repeat(60)}`, password: 'pw', email: 'm@example.com', role: 'participant' })
    await api('POST', `/api/v1/seminar/${seminar.id}/user/`, p.token, { role: 'participant' })
  }
  // The checker itself works: a page with an unlabelled input fails it.
  const probe = await person(undefined, { bypassCSP: true })
  await probe.setContent('<!doctype html><html lang="en"><title>t</title><body><main><input type="text"></main></body></html>')
  assert.notDeepEqual(await seriousA11yViolations(probe), [], 'axe-core found nothing on a page built to fail')
  await probe.context().close()

  const paths = ['/', '/login', '/signup', '/seminars', `/seminars/${seminar.id}`, `/users/${teacher.id}`, '/seminars/new', '/me/edit', '/no/such/page']
  for (const width of [320, 390, 768, 1280, 1920]) {
    // The page's Content-Security-Policy (rightly) refuses injected scripts:
    // this context lets the test inject axe-core.
    const page = await person({ width, height: 900 }, { bypassCSP: true })
    await page.goto(`${BASE}/login`)
    await page.evaluate((token) => sessionStorage.setItem('seminarhub.token', token), teacher.token)
    for (const path of paths) {
      await page.goto(`${BASE}${path}`)
      await page.locator('h1').first().waitFor()
      await page.waitForLoadState('networkidle')
      const { scroll, view } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }))
      const name = `width-${width}${path.replaceAll('/', '-') || '-root'}`
      await shot(page, name)
      assert.ok(scroll <= view, `${path} at ${width} px is ${scroll} px wide (screenshot ${name}.png)`)
      assert.match(await page.title(), /seminarhub$/, `${path} has a title`)
      if (width === 390 || width === 1280) await noSeriousA11yViolations(page, `${path} at ${width} px`)
      if (width === 390) {
        // Touch targets on a phone: every button and header link at least 44 px tall.
        const small = await page.evaluate(() =>
          [...document.querySelectorAll('button, .button, .nav a')]
            .filter((e) => e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().height < 44)
            .map((e) => `${e.textContent?.trim()} (${Math.round(e.getBoundingClientRect().height)} px)`),
        )
        assert.deepEqual(small, [], `touch targets under 44 px on ${path}`)
      }
    }
    await page.context().close()
  }
})

// axe-core's automated WCAG checks on the page as it stands: no serious or
// critical violation is allowed.
async function seriousA11yViolations(page) {
  await page.addScriptTag({ path: AXE })
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] })
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`)
  })
}

async function noSeriousA11yViolations(page, where) {
  assert.deepEqual(await seriousA11yViolations(page), [], `accessibility violations on ${where}`)
}

flow('the list comes in pages, and search and order live in the URL', async () => {
  const prefix = `Paged${tag}`
  for (let i = 0; i < 22; i++) {
    const t = await api('POST', '/api/v1/user/', undefined, { username: `p${i}${tag}`, password: 'pw', email: 'p@example.com', role: 'instructor' })
    await api('POST', '/api/v1/seminar/', t.token, { name: `${prefix} ${String(i).padStart(2, '0')}`, capacity: 5, count: 1, time: '10:00' })
  }
  const reader = await api('POST', '/api/v1/user/', undefined, { username: `r${tag}`, password: 'pw', email: 'r@example.com', role: 'participant' })
  const page = await person()
  await page.goto(`${BASE}/login`)
  await page.evaluate((token) => sessionStorage.setItem('seminarhub.token', token), reader.token)
  await page.goto(`${BASE}/seminars?name=${prefix}&order=earliest`)
  const cards = page.locator('li.card')
  await page.getByRole('button', { name: 'Show more' }).waitFor()
  assert.equal(await cards.count(), 20)
  assert.equal(await page.getByLabel('Search by name').inputValue(), prefix)
  await page.getByRole('button', { name: 'Earliest first' }).waitFor()
  await page.getByRole('button', { name: 'Show more' }).click()
  await page.locator('li.card', { hasText: `${prefix} 21` }).waitFor()
  assert.equal(await cards.count(), 22)
  assert.equal(await page.getByRole('button', { name: 'Show more' }).count(), 0)
  assert.match(await cards.first().textContent(), new RegExp(`${prefix} 00`))
  await shot(page, 'seminar-list-paged')
})

// tests/e2e (TestABrowserNeverKeepsABrokenAssetFromARollingUpdate) puts a
// balancer in front of two edges: the page comes from the new build, its
// first asset request goes to an old edge that does not have it (404).
// When the update is done, opening the site again must bring the app: the
// 404 was not kept.
test('a browser never keeps a broken asset from a rolling update', { skip: !ROLLOUT }, async () => {
  const p = await person()
  p.removeAllListeners('pageerror') // the broken first load is the point
  const missing = []
  p.on('response', (r) => { if (r.url().includes('/assets/') && r.status() === 404) missing.push(r) })
  await p.goto(`${BASE}/`)
  await p.waitForLoadState('load')
  assert.equal(missing.length, 1, 'the first asset request reached the old edge and found nothing')
  assert.equal(missing[0].headers()['cache-control'], 'no-store')
  assert.equal(await p.locator('#root').innerHTML(), '', 'without its script the app cannot start')
  await shot(p, 'rollout-broken-first-load')

  // The update is done: every edge has the new build, and the person opens
  // the site again. A kept 404 would be served from the browser's cache
  // here, and the app would stay broken (with "immutable" for a year).
  const found = []
  p.on('response', (r) => { if (r.url().includes('/assets/') && r.status() === 200) found.push(r.url()) })
  await p.goto(`${BASE}/`)
  await p.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 10000 })
  assert.ok(found.some((u) => u.endsWith('next.js')), "the new build's script came from an edge that has it")
  await shot(p, 'rollout-after-reload')
})
