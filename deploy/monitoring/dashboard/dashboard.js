// A dashboard served by Prometheus itself (--web.user-assets, at /user/):
// no server of its own, no library — every panel of panels.js is queried
// from this Prometheus's HTTP API and drawn as an SVG line per series.
// Each panel says how it went in data-state: "ok", "empty" (no series:
// nothing measured yet) or "error" (the query failed), for people and for
// the browser test alike.
(function () {
  'use strict'
  const api = new URL('../api/v1/', location.href)
  const params = new URLSearchParams(location.search)
  const minutes = Math.max(1, Number(params.get('minutes')) || 30)
  const step = Math.max(1, Math.round((minutes * 60) / 120))
  const colours = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2']
  document.getElementById('range').textContent = minutes === 1 ? 'minute' : minutes + ' minutes'

  function format (v, unit) {
    if (!Number.isFinite(v)) return '–'
    switch (unit) {
      case 'percent': return (100 * v).toFixed(v < 0.1 ? 2 : 1) + ' %'
      case 'ms': return v.toFixed(v < 10 ? 1 : 0) + ' ms'
      case 'rps': return v.toFixed(v < 10 ? 2 : 0) + '/s'
      default: return Math.abs(v) < 10 && !Number.isInteger(v) ? v.toFixed(2) : String(Math.round(v))
    }
  }

  function legendOf (template, labels) {
    return template.replace(/\{(\w+)\}/g, (_, k) => labels[k] || '')
  }

  async function query (path, args) {
    const r = await fetch(new URL(path + '?' + new URLSearchParams(args), api))
    const body = await r.json().catch(() => ({}))
    if (!r.ok || body.status !== 'success') throw new Error(body.error || 'HTTP ' + r.status)
    return body.data.result
  }

  function element (tag, attrs, text) {
    const e = document.createElementNS(tag === 'svg' || tag === 'polyline' ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag)
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v)
    if (text !== undefined) e.textContent = text
    return e
  }

  // draw returns an SVG with one line per series, all on one scale.
  function draw (series, start, end) {
    const svg = element('svg', { viewBox: '0 0 300 80', preserveAspectRatio: 'none', role: 'img' })
    let max = 0
    for (const s of series) for (const [, v] of s.points) if (Number.isFinite(v)) max = Math.max(max, v)
    max = max || 1
    series.forEach((s, i) => {
      const pts = s.points.filter(([, v]) => Number.isFinite(v))
        .map(([t, v]) => `${(300 * (t - start) / (end - start)).toFixed(1)},${(78 - 76 * v / max).toFixed(1)}`)
      svg.append(element('polyline', { points: pts.join(' '), fill: 'none', stroke: colours[i % colours.length], 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' }))
    })
    return svg
  }

  async function render (panel, node) {
    const end = Math.floor(Date.now() / 1000)
    const start = end - minutes * 60
    const series = []
    try {
      for (const q of panel.queries) {
        for (const r of await query('query_range', { query: q.expr, start, end, step })) {
          series.push({ name: legendOf(q.legend, r.metric), points: r.values.map(([t, v]) => [t, Number(v)]) })
        }
      }
    } catch (e) {
      node.dataset.state = 'error'
      node.querySelector('.body').replaceChildren(element('p', { class: 'message' }, 'Query failed: ' + e.message))
      return
    }
    const current = series.map((s) => ({ name: s.name, value: s.points.length ? s.points[s.points.length - 1][1] : NaN }))
    if (!current.some((c) => Number.isFinite(c.value))) {
      node.dataset.state = 'empty'
      node.querySelector('.body').replaceChildren(element('p', { class: 'message' }, 'No data in this range yet.'))
      return
    }
    node.dataset.state = 'ok'
    const values = element('ul', { class: 'values' })
    current.forEach((c, i) => {
      const li = element('li')
      li.append(element('span', { class: 'swatch', style: 'background:' + colours[i % colours.length] }),
        element('span', { class: 'name' }, c.name), element('span', { class: 'value' }, format(c.value, panel.unit)))
      values.append(li)
    })
    node.querySelector('.body').replaceChildren(values, draw(series, start, end))
  }

  async function firing () {
    const banner = document.getElementById('firing')
    try {
      const alerts = await query('query', { query: 'ALERTS{alertstate="firing"}' })
      banner.hidden = alerts.length === 0
      banner.textContent = 'Firing: ' + alerts.map((a) => a.metric.alertname + (a.metric.severity ? ' (' + a.metric.severity + ')' : '')).join(', ')
    } catch (e) {
      banner.hidden = false
      banner.textContent = 'Alerts could not be read: ' + e.message
    }
  }

  const main = document.getElementById('panels')
  const nodes = []
  for (const panel of window.PANELS) {
    if (panel.section) {
      main.append(element('h2', {}, panel.section))
      continue
    }
    const node = element('section', { class: 'panel', 'data-state': 'loading' })
    node.append(element('h3', {}, panel.title), element('div', { class: 'body' }, 'Loading…'))
    main.append(node)
    nodes.push([panel, node])
  }
  async function refresh () {
    await Promise.all([firing(), ...nodes.map(([panel, node]) => render(panel, node))])
    document.body.dataset.rendered = String(Date.now())
  }
  refresh()
  setInterval(refresh, 15000)
})()
