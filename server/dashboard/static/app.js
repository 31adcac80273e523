// The dashboard page: log in with the admin token (kept in sessionStorage), load /_dashboard/api/overview,
// draw the panels, then follow /_dashboard/api/events (opened with a one-use ticket) for live samples.
import { lineChart, setData } from '/_dashboard/charts.js'

const $ = (id) => document.getElementById(id)
const KEY = 'jaegis.token'
const state = { overview: null, fn: null, charts: {}, updates: 0, source: null }
window.jaegisDashboard = state // read by the end-to-end test and handy in the console

async function api(path, init = {}) {
  const res = await fetch(`/_dashboard/api/${path}`, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${sessionStorage.getItem(KEY)}` } })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw Object.assign(new Error(body.error?.message ?? `HTTP ${res.status}`), { status: res.status })
  return body
}

function showLogin(message = '') {
  $('login').hidden = false
  $('dash').hidden = true
  $('logout').hidden = true
  $('login-error').textContent = message
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault()
  sessionStorage.setItem(KEY, $('token').value.trim())
  await start()
})
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY)
  state.source?.close()
  showLogin()
})

const fmt = (x, digits = 2) => (x === null || x === undefined ? '–' : Number(x).toFixed(digits))
const pairs = (o) => Object.entries(o ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ') || '–'
const keysOf = (samples, field) => [...new Set(samples.flatMap((s) => Object.keys(s[field])))].sort()

function renderTable() {
  const body = $('functions').tBodies[0]
  body.replaceChildren()
  for (const f of state.overview.functions) {
    const last = f.samples.at(-1)
    const tr = document.createElement('tr')
    tr.dataset.function = f.name
    const cells = [f.name || '(no such function)', f.totals.invocations, fmt(last?.ratePerS), fmt(f.totals.p50Ms, 3), fmt(f.totals.p99Ms, 3), pairs(f.totals.errors), pairs(f.totals.starts),
      last ? `${last.ready} / ${last.poolTarget}${last.autoscalerTarget === null ? '' : ` (autoscaler ${last.autoscalerTarget})`}` : '–']
    const names = ['name', 'invocations', 'rate', 'p50', 'p99', 'errors', 'starts', 'pool']
    cells.forEach((c, i) => {
      const td = document.createElement('td')
      td.textContent = String(c)
      td.dataset.col = names[i]
      tr.append(td)
    })
    body.append(tr)
  }
}

function renderFunction() {
  const f = state.overview.functions.find((x) => x.name === state.fn)
  for (const id of ['rate', 'latency', 'errors', 'starts', 'pool', 'forecast']) $(`chart-${id}`).replaceChildren()
  state.charts = {}
  if (!f) return
  const s = f.samples
  const xs = s.map((p) => p.tMs / 1000)
  const c = state.charts
  c.rate = lineChart($('chart-rate'), ['req/s'])
  setData(c.rate, xs, [s.map((p) => p.ratePerS)])
  c.latency = lineChart($('chart-latency'), ['p50 ms', 'p99 ms'])
  setData(c.latency, xs, [s.map((p) => p.p50Ms), s.map((p) => p.p99Ms)])
  const codes = keysOf(s, 'errors')
  c.errors = lineChart($('chart-errors'), codes.length ? codes : ['(none yet)'])
  setData(c.errors, xs, (codes.length ? codes : ['']).map((k) => s.map((p) => p.errors[k] ?? 0)))
  const kinds = ['warm', 'hostwarm', 'hostcold']
  c.starts = lineChart($('chart-starts'), kinds)
  setData(c.starts, xs, kinds.map((k) => s.map((p) => p.starts[k] ?? 0)))
  c.pool = lineChart($('chart-pool'), ['ready', 'pool target', 'autoscaler target'], { series: [{}, { dash: [6, 4] }, { dash: [2, 3] }] })
  setData(c.pool, xs, [s.map((p) => p.ready), s.map((p) => p.poolTarget), s.map((p) => p.autoscalerTarget)])
  $('reason').textContent = f.reason ?? 'no decision yet (the autoscaler decides every few seconds once the function is tracked)'
  const fc = f.forecast
  c.forecast = lineChart($('chart-forecast'), ['observed', 'forecast', 'lower', 'upper'], {
    colours: ['#1d2330', '#d62728', '#f4a6a6', '#f4a6a6'],
    bands: [{ series: [4, 3], fill: '#d6272822' }],
  })
  setData(c.forecast, fc.map((p) => p.tMs / 1000), [fc.map((p) => p.observedPerMin), fc.map((p) => p.meanPerMin), fc.map((p) => p.lowerPerMin), fc.map((p) => p.upperPerMin)])
  const withForecast = fc.filter((p) => p.meanPerMin !== null)
  $('forecast-note').textContent = withForecast.length
    ? `${withForecast.length} forecasts (${withForecast.at(-1).model}), one ${state.overview.forecastBucketMs / 1000} s bucket ahead, ${fc.length} buckets observed`
    : `no forecast yet: it starts after a few active ${state.overview.forecastBucketMs / 1000} s buckets (${fc.length} observed)`
}

function renderAll() {
  const o = state.overview
  $('host').textContent = `${o.host.mode}, ${o.host.workers} gateway process${o.host.workers === 1 ? '' : 'es'}`
  $('hosts').textContent = `This server is a single host (${o.host.workers} gateway process${o.host.workers === 1 ? '' : 'es'}); a cluster view comes with jaegis control.`
  const select = $('fn')
  const names = o.functions.map((f) => f.name)
  if (select.options.length !== names.length || [...select.options].some((opt, i) => opt.value !== names[i])) {
    select.replaceChildren(...names.map((n) => new Option(n || '(no such function)', n)))
  }
  if (state.fn === null || !names.includes(state.fn)) state.fn = names[0] ?? null
  select.value = state.fn ?? ''
  renderTable()
  renderFunction()
}
$('fn').addEventListener('change', () => {
  state.fn = $('fn').value
  renderFunction()
})

async function follow() {
  const { ticket } = await api('ticket', { method: 'POST' })
  const source = new EventSource(`/_dashboard/api/events?ticket=${encodeURIComponent(ticket)}`)
  state.source = source
  source.addEventListener('sample', (e) => {
    const { tMs, functions } = JSON.parse(e.data)
    for (const { name, sample, reason } of functions) {
      let f = state.overview.functions.find((x) => x.name === name)
      if (!f) continue // a new function shows at the next full load
      f.samples.push(sample)
      f.reason = reason
      f.totals.invocations += sample.invocations
      for (const [k, v] of Object.entries(sample.errors)) f.totals.errors[k] = (f.totals.errors[k] ?? 0) + v
      for (const [k, v] of Object.entries(sample.starts)) f.totals.starts[k] = (f.totals.starts[k] ?? 0) + v
    }
    state.updates++
    $('live').textContent = `live: ${new Date(tMs).toLocaleTimeString()} (${state.updates} updates)`
    $('live').dataset.updates = String(state.updates)
    // Quantiles and forecasts come with a full reload every 10 updates; rates, pools and counts every sample.
    if (state.updates % 10 === 0) load().catch(() => {})
    else renderAll()
  })
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      $('live').textContent = 'disconnected; reconnecting…'
      setTimeout(() => follow().catch(() => {}), 2000)
    }
  }
}

async function load() {
  state.overview = await api('overview')
  renderAll()
}

async function runSim(promise) {
  $('sim-status').textContent = 'simulating (off the request path)…'
  try {
    const r = await promise
    state.sim = r
    $('sim-plot').innerHTML = r.svg
    const body = $('sim-table').tBodies[0]
    body.replaceChildren()
    for (const s of r.series) for (const p of s.points) {
      const tr = document.createElement('tr')
      for (const v of [s.policy, s.knob, p.knob, p.coldStartPct.toFixed(3), p.wastedGbS.toFixed(1)]) {
        const td = document.createElement('td')
        td.textContent = String(v)
        tr.append(td)
      }
      body.append(tr)
    }
    $('sim-status').textContent = `${r.trace.source}: ${r.trace.functions} functions, ${r.trace.minutes} min, ${r.trace.invocations} invocations`
  } catch (err) {
    $('sim-status').textContent = `simulation failed: ${err.message}`
  }
}
$('sim-shared').addEventListener('click', () => runSim(api('sim/shared', { method: 'POST' })))
$('sim-file').addEventListener('change', () => {
  const file = $('sim-file').files[0]
  if (file) runSim(file.text().then((text) => api(`sim?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: text, headers: { 'content-type': 'text/csv' } })))
})

async function start() {
  if (!sessionStorage.getItem(KEY)) return showLogin()
  try {
    await load()
  } catch (err) {
    sessionStorage.removeItem(KEY)
    return showLogin(err.status === 401 ? 'That token is not this server\'s admin token.' : err.message)
  }
  $('login').hidden = true
  $('dash').hidden = false
  $('logout').hidden = false
  $('sim-shared').disabled = !state.overview.sharedTrace
  $('sim-shared').title = state.overview.sharedTrace ?? 'start jaegis serve with --sim-trace <csv> to offer one'
  await follow()
}
start()
