// /_dashboard's data API without a browser: nothing without the admin token, tickets open one stream
// once, and the same routes answer through a cluster's workers (forwarded to the primary).
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startServer, type JaegisServer } from '../server/index.js'
import { SHARED_DATA } from './helpers.js'

const TOKEN = 'dash-api-secret'
const TRACE = join(SHARED_DATA, 'azure-functions', 'azure2021_30_per_invocation.csv')
const servers: JaegisServer[] = []
afterAll(() => Promise.all(servers.map((s) => s.close(500))))

async function start(workers: number): Promise<JaegisServer> {
  const s = await startServer({ port: 0, token: TOKEN, workers, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-dash-api-')), dashboard: { sampleMs: 200 } })
  servers.push(s)
  return s
}

/** Reads an event stream until a `sample` event arrives; its data. */
async function firstSample(res: Response): Promise<{ tMs: number; functions: unknown[] }> {
  const reader = res.body!.getReader()
  let text = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`stream ended before a sample: ${text}`)
    text += new TextDecoder().decode(value)
    const m = /event: sample\ndata: (.*)\n\n/.exec(text)
    if (m) {
      await reader.cancel()
      return JSON.parse(m[1]!)
    }
  }
}

describe('dashboard API', () => {
  it('gives a wrong or missing token nothing, and a ticket one stream', async () => {
    const s = await start(1)
    for (const [method, path] of [['GET', 'overview'], ['POST', 'sim'], ['POST', 'sim/shared'], ['POST', 'ticket']]) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }]) {
        const r = await fetch(`${s.url}/_dashboard/api/${path}`, { method, headers, body: method === 'POST' ? readFileSync(TRACE) : undefined })
        expect(r.status).toBe(401)
        expect((await r.json()).error.code).toBe('UNAUTHORIZED')
      }
    }
    expect((await fetch(`${s.url}/_dashboard/api/events`)).status).toBe(401)
    expect((await fetch(`${s.url}/_dashboard/api/events?ticket=made-up`)).status).toBe(401)
    const { ticket } = await (await fetch(`${s.url}/_dashboard/api/ticket`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).json()
    const stream = await fetch(`${s.url}/_dashboard/api/events?ticket=${ticket}`)
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    expect((await firstSample(stream)).tMs).toBeGreaterThan(0)
    expect((await fetch(`${s.url}/_dashboard/api/events?ticket=${ticket}`)).status).toBe(401)
    // The page and its assets are public and hold no data; nothing else is read from disk.
    const page = await fetch(`${s.url}/_dashboard/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<script type="module" src="\/_dashboard\/app.js">/)
    expect((await fetch(`${s.url}/_dashboard/vendor/uPlot.esm.js`)).headers.get('content-type')).toMatch(/javascript/)
    for (const path of ['../token', 'static/index.html', 'vendor/../../package.json', 'recorder.ts']) expect((await fetch(`${s.url}/_dashboard/${path}`)).status).toBe(404)
    const shared = await fetch(`${s.url}/_dashboard/api/sim/shared`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(shared.status).toBe(404)
    expect((await shared.json()).error.message).toMatch(/--sim-trace/)
  })

  it('answers through the workers of a cluster', async () => {
    const s = await start(2)
    const auth = { authorization: `Bearer ${TOKEN}` }
    for (let i = 0; i < 20; i++) await (await fetch(`${s.url}/fn/nope`)).arrayBuffer()
    expect((await fetch(`${s.url}/_dashboard/api/overview`)).status).toBe(401)
    await expect.poll(async () => {
      const o = await (await fetch(`${s.url}/_dashboard/api/overview`, { headers: auth })).json()
      expect(o.host).toEqual({ mode: 'single host', workers: 2 })
      return o.functions.find((f: { name: string }) => f.name === '')?.totals.errors
    }, { timeout: 5000 }).toEqual({ UNKNOWN_FUNCTION: 20 })
    const { ticket } = await (await fetch(`${s.url}/_dashboard/api/ticket`, { method: 'POST', headers: auth })).json()
    expect((await firstSample(await fetch(`${s.url}/_dashboard/api/events?ticket=${ticket}`))).functions.length).toBeGreaterThan(0)
  })
})
