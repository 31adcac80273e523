// jaegis serve with two worker processes sharing the port: every change reaches every worker before
// the admin API answers; metrics, logs and the autoscaler see every worker's invocations.
import { mkdtempSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Artifact } from '../runtime/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { buildFunction } from './helpers.js'

const TOKEN = 'workers-token'
let server: JaegisServer
let hello: Artifact
let greeter: Artifact

function form(a: Artifact): FormData {
  const f = new FormData()
  f.set('artifact', new Blob([JSON.stringify(a.meta)]), 'artifact.json')
  f.set('wasm', new Blob([a.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}
const api = (method: string, path: string, body?: BodyInit) => fetch(`${server.url}/_api/v1${path}`, { method, body, headers: { authorization: `Bearer ${TOKEN}` } })

/** GETs `path` on `n` new connections (so that they spread over the workers); statuses and bodies. */
async function spread(path: string, n: number): Promise<Array<{ status: number; body: string; pid: string }>> {
  return Promise.all(
    Array.from({ length: n }, () => {
      const agent = new Agent({ keepAlive: false })
      return new Promise<{ status: number; body: string; pid: string }>((resolve, reject) => {
        request(`${server.url}${path}`, { agent }, (res) => {
          let body = ''
          res.on('data', (d) => (body += d))
          res.on('end', () => resolve({ status: res.statusCode!, body, pid: String(res.headers['x-served-by'] ?? '') }))
        })
          .on('error', reject)
          .end()
      })
    }),
  )
}

beforeAll(async () => {
  ;[hello, greeter] = await Promise.all([buildFunction('hello').then((r) => r.artifact), buildFunction('hello', (t) => t.replace('name = "hello"', 'name = "greeter"').replace('Hello', 'Howdy')).then((r) => r.artifact)])
  server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-workers-')), token: TOKEN, workers: 2, deployOnStart: [hello] })
}, 120_000)
afterAll(() => server?.close(2000))

describe('jaegis serve --workers 2', () => {
  it('serves from two processes and reports two workers', async () => {
    expect(server.workers).toBe(2)
    const answers = await spread('/fn/hello?name=w', 20)
    expect(answers.every((a) => a.status === 200 && a.body === 'Hello, w!\n')).toBe(true)
  })

  it('makes a deploy, a rollback and a delete visible to every worker before the API answers', async () => {
    const d = await api('POST', '/functions', form(greeter))
    expect(d.status).toBe(201)
    // Straight after the answer, on fresh connections that land on either worker.
    expect((await spread('/fn/greeter', 20)).map((a) => a.status)).toEqual(Array(20).fill(200))
    const del = await api('DELETE', '/functions/greeter')
    expect(del.status).toBeLessThan(300)
    expect((await spread('/fn/greeter', 20)).map((a) => a.status)).toEqual(Array(20).fill(404))
  })

  it('counts every worker\'s invocations in /metrics and their pools in the admin API', async () => {
    const before = await invocations()
    await spread('/fn/hello', 30)
    await vi.waitFor(async () => expect((await invocations()) - before).toBe(30), { timeout: 5000 })
    // Pools are reported by each worker every 500 ms: one warm instance at least in each.
    await vi.waitFor(async () => {
      const show = (await (await api('GET', '/functions/hello')).json()) as { pool?: { ready: number } }
      expect(show.pool?.ready).toBeGreaterThanOrEqual(2)
    }, { timeout: 5000 })
  })

  it('answers /healthz in the worker and forwards the admin API (auth included)', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/_api/v1/functions`)).status).toBe(401)
    const list = (await (await api('GET', '/functions')).json()) as { functions: Array<{ name: string }> }
    expect(list.functions.map((f) => f.name)).toContain('hello')
  })
})

async function invocations(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const m = /jaegis_invocations_total\{function="hello",status="200"\} (\d+)/.exec(text)
  return m ? Number(m[1]) : 0
}
