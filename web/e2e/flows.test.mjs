// End-to-end flows in a real headless Chromium (Debian's, driven by
// playwright-core) against the full running stack behind Nginx. Started by
// tests/e2e (TestBrowserFlows), which passes BASE_URL and ARTIFACTS.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const BASE = process.env.BASE_URL
const ARTIFACTS = process.env.ARTIFACTS || 'artifacts'
const tag = Date.now().toString(36)
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
async function person(viewport = { width: 1100, height: 800 }) {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: process.env.IGNORE_HTTPS_ERRORS === '1' })
  const page = await context.newPage()
  const offOrigin = []
  page.on('request', (r) => { if (!r.url().startsWith(BASE)) offOrigin.push(r.url()) })
  page.on('pageerror', (e) => { throw e })
  page.offOrigin = offOrigin
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

test('instructors and participants run a seminar through the browser', async () => {
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
  await shot(teacher, 'create-seminar-validation')
  await teacher.getByLabel('Time (HH:MM, 24-hour) *').fill('14:30')
  await teacher.getByRole('button', { name: 'Create' }).click()
  await teacher.getByRole('heading', { name: seminarName }).waitFor()
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
      await p.getByRole('button', { name: 'Drop this seminar' }).waitFor()
    }
  }
  await shot(pages[0], 'seminar-phone-width')
  const late = pages[3]
  await late.reload()
  await late.getByRole('button', { name: 'Try to join' }).click()
  await late.getByRole('alert').getByText('this seminar is full').waitFor()
  await shot(late, 'seminar-full')

  // One drops; the page shows them as dropped, with the date.
  await pages[1].getByRole('button', { name: 'Drop this seminar' }).click()
  await pages[1].locator('li.dropped', { hasText: names[1] }).getByText(/^dropped /).waitFor()
  await shot(pages[1], 'seminar-after-drop')

  // The list shows the active count, newest first, and search works.
  await teacher.goto(`${BASE}/seminars`)
  await teacher.getByLabel('Search by name').fill(tag)
  const card = teacher.locator('li.card', { hasText: seminarName })
  await card.getByText('2 participants').waitFor()
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

test('a revoked token sends the person to log in', async () => {
  const p = await person()
  const username = `eve${tag}`
  await signup(p, { username, role: 'participant' })
  const token = await p.evaluate(() => sessionStorage.getItem('seminarhub.token'))
  assert.ok(token)
  // The token is revoked elsewhere (another tab logging out, say).
  const res = await fetch(`${BASE}/api/v1/user/logout/`, { method: 'POST', headers: { Authorization: `Token ${token}` } })
  assert.equal(res.status, 200)
  await p.reload()
  await p.getByText('Your session has ended. Please log in again.').waitFor()
})
