// /_dashboard end to end: Debian's Chromium driven by playwright-core against a real startServer under
// load. Logs in, reads every panel's numbers and chart points and compares them with /metrics, follows
// a live update, runs the simulator on an uploaded trace, and saves screenshots under test-output/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { readArtifact } from '../runtime/index.js'
import { parseTrace, POLICY_NAMES, sweepPolicies, trimTrace } from '../scheduler/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { quantileMs } from '../server/dashboard/recorder.js'
import { ROOT, SHARED_DATA } from './helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const HAS_CHROMIUM = existsSync(CHROMIUM)
const OUT = join(ROOT, 'test-output', 'dashboard')
const TOKEN = 'dash-e2e-secret'
const TRACE = join(SHARED_DATA, 'azure-functions', 'azure2021_30_per_invocation.csv')

if (!HAS_CHROMIUM) console.warn(`dashboard e2e skipped: ${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`)

let server: JaegisServer
let browser: Browser
let loading = true
let load: Promise<void>
const sent = { hello: 0, tooLarge: 0 }

/** Requests while the test runs: hello at a steady pace, and now and then a body too large for echo. */
async function sendLoad(): Promise<void> {
  const big = new Uint8Array(1024 * 1024 + 1)
  for (let round = 0; loading; round++) {
    const batch: Promise<unknown>[] = []
    for (let i = 0; i < 8; i++) batch.push(fetch(`${server.url}/fn/hello?name=load`).then((r) => r.arrayBuffer()).then(() => sent.hello++))
    if (round % 10 === 0) batch.push(fetch(`${server.url}/fn/echo`, { method: 'POST', body: big }).then((r) => r.arrayBuffer()).then(() => sent.tooLarge++))
    await Promise.all(batch)
    await new Promise((r) => setTimeout(r, 40))
  }
}

/** Samples of a Prometheus text exposition: name{labels} -> value. */
function scrape(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out = []
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

async function login(page: Page, token: string): Promise<void> {
  await page.goto(`${server.url}/_dashboard/`)
  await page.fill('#token', token)
  await page.click('#login-form button')
}

const dash = (page: Page) => page.evaluate(() => {
  const s = (window as unknown as { jaegisDashboard: any }).jaegisDashboard
  return { updates: s.updates, fn: s.fn, charts: Object.fromEntries(Object.entries(s.charts).map(([k, c]: [string, any]) => [k, c.data])), overview: s.overview }
})

describe.skipIf(!HAS_CHROMIUM)('dashboard in Chromium (skipped without /usr/bin/chromium)', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true })
    const built = join(ROOT, 'build', 'functions')
    server = await startServer({
      port: 0, token: TOKEN, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-dash-')),
      deployOnStart: [await readArtifact(join(built, 'hello')), await readArtifact(join(built, 'echo'))],
      dashboard: { sampleMs: 500, forecastBucketMs: 1000, simTrace: TRACE },
    })
    load = sendLoad()
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
  })
  afterAll(async () => {
    loading = false
    await load
    await browser?.close()
    await server?.close(500)
  })

  it('shows nothing but the login page without the token', async () => {
    // (the API's refusals are tested without a browser in dashboard-api.test.ts)
    const page = await browser.newPage()
    await login(page, 'not-the-token')
    await expect.poll(() => page.textContent('#login-error')).toMatch(/not this server's admin token/)
    expect(await page.isHidden('#dash')).toBe(true)
    expect(await page.textContent('#functions')).not.toMatch(/hello/)
    await page.screenshot({ path: join(OUT, 'login-refused.png') })
    await page.close()
  })

  it('renders every panel with the numbers of /metrics, and follows live updates', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } })
    await login(page, TOKEN)
    await page.waitForSelector('#dash:not([hidden])')
    // A live update arrives over SSE and changes the page.
    await expect.poll(async () => Number(await page.getAttribute('#live', 'data-updates')), { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
    expect(await page.textContent('#live')).toMatch(/live: .* \(\d+ updates\)/)
    // The forecast needs a few active buckets; the page reloads the overview every 10 updates.
    await expect.poll(async () => (await dash(page)).charts.forecast?.[2].filter((v: number | null) => v !== null).length ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(2)
    expect(await page.textContent('#hosts')).toMatch(/single host \(1 gateway process\)/)

    // Stop the load, let one more sample be taken, and reload: now the page and /metrics must agree exactly.
    loading = false
    await load
    const settled = (await dash(page)).updates
    await expect.poll(async () => (await dash(page)).updates, { timeout: 10_000 }).toBeGreaterThanOrEqual(settled + 2)
    await page.reload()
    await page.waitForSelector('#dash:not([hidden])') // the token survived the reload (sessionStorage)
    await page.waitForSelector('#functions tr[data-function="hello"]')
    const metrics = scrape(await (await fetch(`${server.url}/metrics`)).text())
    const sum = (name: string, match: Record<string, string>) => metrics.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0)
    const cell = (fn: string, col: string) => page.textContent(`#functions tr[data-function="${fn}"] td[data-col="${col}"]`)

    const helloTotal = sum('jaegis_invocations_total', { function: 'hello' })
    expect(helloTotal).toBe(sent.hello)
    expect(Number(await cell('hello', 'invocations'))).toBe(helloTotal)
    const starts = Object.fromEntries(['warm', 'hostwarm', 'hostcold'].map((k) => [k, sum('jaegis_starts_total', { function: 'hello', kind: k })]))
    expect(await cell('hello', 'starts')).toBe(Object.entries(starts).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', '))
    const tooLarge = sum('jaegis_errors_total', { function: 'echo', code: 'BODY_TOO_LARGE' })
    expect(tooLarge).toBe(sent.tooLarge)
    expect(tooLarge).toBeGreaterThan(0)
    expect(await cell('echo', 'errors')).toBe(`BODY_TOO_LARGE: ${tooLarge}`)
    // p50 / p99 over everything, from the histogram /metrics exposes.
    const cumulative = metrics.filter((s) => s.name === 'jaegis_invocation_duration_seconds_bucket' && s.labels.function === 'hello').map((s) => s.value)
    const perBucket = cumulative.map((c, i) => c - (i ? cumulative[i - 1]! : 0))
    expect(await cell('hello', 'p50')).toBe(quantileMs(perBucket, 0.5)!.toFixed(3))
    expect(await cell('hello', 'p99')).toBe(quantileMs(perBucket, 0.99)!.toFixed(3))

    // The charts' points add up to the same counts.
    await page.selectOption('#fn', 'echo')
    const echoCharts = (await dash(page)).charts
    const errIdx = echoCharts.errors.length - 1
    expect(echoCharts.errors[errIdx].reduce((a: number, v: number) => a + v, 0)).toBe(tooLarge)
    await page.selectOption('#fn', 'hello')
    const c = (await dash(page)).charts
    const xs: number[] = c.rate[0]
    const fromRate = c.rate[1].reduce((a: number, r: number, i: number) => a + r * (i ? xs[i]! - xs[i - 1]! : 0.5), 0)
    expect(Math.round(fromRate)).toBe(helloTotal)
    for (const [i, kind] of ['warm', 'hostwarm', 'hostcold'].entries()) expect(c.starts[i + 1].reduce((a: number, v: number) => a + v, 0)).toBe(starts[kind])
    const p99s = c.latency[2].filter((v: number | null) => v !== null)
    expect(p99s.length).toBeGreaterThan(2)
    expect(Math.max(...p99s)).toBeGreaterThan(0)
    // Pool against target, with the autoscaler's reason: the same as `jaegis explain` and /metrics.
    const explain = await (await fetch(`${server.url}/_api/v1/functions/hello/explain`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()
    expect(c.pool[3].at(-1)).toBe(explain.decision.target.warm)
    expect(await page.textContent('#reason')).toBe(explain.decision.target.explanation.summary)
    expect(c.pool[2].at(-1)).toBe(sum('jaegis_pool_target_instances', { function: 'hello' }))
    expect(c.pool[1].at(-1)).toBe(sum('jaegis_pool_ready_instances', { function: 'hello' }))
    // Forecast against actual: observed buckets add up to what was served, intervals hold their mean.
    const observed = c.forecast[1].filter((v: number | null) => v !== null)
    expect(observed.reduce((a: number, v: number) => a + v / 60, 0)).toBeCloseTo(helloTotal, 6)
    for (let i = 0; i < c.forecast[0].length; i++) {
      const [mean, lo, hi] = [c.forecast[2][i], c.forecast[3][i], c.forecast[4][i]]
      if (mean === null) continue
      expect(lo).toBeLessThanOrEqual(mean + 1e-9)
      expect(hi).toBeGreaterThanOrEqual(mean - 1e-9)
    }
    expect(await page.textContent('#forecast-note')).toMatch(/\d+ forecasts \(.+\), one 1 s bucket ahead/)
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true })
    await page.close()
  })

  it('plots the simulator trade-off for an uploaded trace', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await login(page, TOKEN)
    await page.waitForSelector('#dash:not([hidden])')
    await page.setInputFiles('#sim-file', TRACE)
    await page.waitForSelector('#sim-plot svg polyline', { state: 'attached', timeout: 50_000 })
    expect(await page.textContent('#sim-status')).toMatch(/azure2021_30_per_invocation\.csv: 14 functions, 3 min, 29 invocations/)
    const rows = await page.$$eval('#sim-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)))
    const expected = sweepPolicies(trimTrace(parseTrace(readFileSync(TRACE, 'utf8')), 240), POLICY_NAMES)
      .flatMap((s) => s.points.map((p) => [s.policy, s.knob, String(p.knob), p.coldStartPct.toFixed(3), p.wastedGbS.toFixed(1)]))
    expect(rows).toEqual(expected)
    expect(await page.$$eval('#sim-plot svg polyline', (ls) => ls.length)).toBe(POLICY_NAMES.length)
    await page.locator('#sim-plot').screenshot({ path: join(OUT, 'simulator.png') })
    await page.close()
  })
})
