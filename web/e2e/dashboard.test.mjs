// The operations dashboard (deploy/monitoring/dashboard, served by
// Prometheus at /user/) in a real headless Chromium: every panel rendered
// with numbers, none in error, on a desktop and on a 320 px phone.
// Started by tests/compose with DASHBOARD_URL after it has put load on the
// product; skipped otherwise.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const URL_ = process.env.DASHBOARD_URL
const ARTIFACTS = process.env.ARTIFACTS || 'artifacts'
const opts = { skip: !URL_ && 'DASHBOARD_URL is not set (tests/compose sets it)' }
let browser

before(async () => {
  if (!URL_) return
  mkdirSync(ARTIFACTS, { recursive: true })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  })
})
after(async () => browser?.close())

for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 320, height: 640 }]]) {
  test(`every dashboard panel shows numbers, none in error (${name})`, opts, async () => {
    const page = await browser.newPage({ viewport })
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(URL_)
    await page.waitForSelector('body[data-rendered]', { timeout: 30000 })
    const panels = await page.$$eval('section.panel', (nodes) => nodes.map((n) => ({
      title: n.querySelector('h3').textContent,
      state: n.dataset.state,
      values: [...n.querySelectorAll('.value')].map((v) => v.textContent),
      lines: n.querySelectorAll('svg polyline').length,
    })))
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true })
    assert.ok(panels.length >= 12, `${panels.length} panels`)
    for (const p of panels) {
      assert.equal(p.state, 'ok', `panel "${p.title}" is ${p.state}`)
      assert.ok(p.values.length > 0 && p.values.every((v) => /\d/.test(v)), `panel "${p.title}" shows ${JSON.stringify(p.values)}`)
      assert.equal(p.lines, p.values.length, `panel "${p.title}" draws ${p.lines} lines for ${p.values.length} series`)
    }
    const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth)
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the ${viewport.width} px screen`)
    assert.deepEqual(errors, [])
    await page.close()
  })
}

// Prometheus's own pages, beside the dashboard: the query page runs a query
// and tables its series (the gateway's target), and the alerts page lists
// the rules. (The stand-in image builds the UI from Prometheus's module as
// the release does.)
test('Prometheus\'s own query and alerts pages work', opts, async () => {
  const origin = new URL(URL_).origin
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(`${origin}/query?g0.expr=${encodeURIComponent('up{job="gateway"}')}&g0.tab=table`)
  await page.getByText('gateway:9090').first().waitFor({ timeout: 30000 })
  await page.screenshot({ path: join(ARTIFACTS, 'prometheus-query.png'), fullPage: true })
  await page.goto(`${origin}/alerts`)
  await page.getByText('SeminarhubErrorBudgetBurn').first().waitFor({ timeout: 30000 })
  await page.screenshot({ path: join(ARTIFACTS, 'prometheus-alerts.png'), fullPage: true })
  assert.deepEqual(errors, [])
  await page.close()
})
