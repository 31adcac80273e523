// The admin API at scale and under hostile input: 2,000 functions (list and deploy stay O(functions)),
// malformed percent-encoding, the policy `explain` reports, and random requests that must never
// crash the process nor change state without the token.
import { mkdtempSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { readArtifactSync, type Artifact } from '../runtime/index.js'
import { Autoscaler, FixedKeepAlivePolicy } from '../scheduler/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { FileStore } from '../server/store/file-store.js'
import { ROOT } from './helpers.js'

const TOKEN = 'admin-test-token'
const FUNCTIONS = 2000
let hello: Artifact
let server: JaegisServer
const uncaught: unknown[] = []
const onUncaught = (err: unknown) => uncaught.push(err)

/** `hello` re-labelled as `name`: same wasm (one stored artifact), another function. */
const relabel = (a: Artifact, name: string): Artifact => ({ ...a, meta: { ...a.meta, config: { ...a.meta.config, name } } })
const form = (a: Artifact) => {
  const f = new FormData()
  f.set('artifact', new Blob([JSON.stringify(a.meta)]), 'artifact.json')
  f.set('wasm', new Blob([a.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}
const api = (method: string, path: string, body?: BodyInit) => fetch(`${server.url}/_api/v1${path}`, { method, body, headers: { authorization: `Bearer ${TOKEN}` } })

beforeAll(async () => {
  process.on('uncaughtException', onUncaught)
  hello = readArtifactSync(join(ROOT, 'build', 'functions', 'hello'))
  // 2,000 deployments written straight into the store; the server loads them all at start.
  const dataDir = mkdtempSync(join(tmpdir(), 'jaegis-admin-'))
  const store = await FileStore.open(dataDir)
  await store.putArtifact(hello)
  const deployedAt = new Date().toISOString()
  for (let i = 0; i < FUNCTIONS; i++) {
    const name = i === 0 ? 'hello' : `fn-${i}`
    await store.putDeployment({ name, current: 1, versions: [{ version: 1, digest: hello.meta.digest, deployedAt, config: { ...hello.meta.config, name } }] })
  }
  await store.close()
  server = await startServer({ port: 0, dataDir, token: TOKEN, onError: () => {}, autoscaler: new Autoscaler({ policy: new FixedKeepAlivePolicy() }) })
}, 120_000)
afterAll(async () => {
  await server?.close(1000)
  process.off('uncaughtException', onUncaught)
})

describe(`admin API with ${FUNCTIONS} functions`, () => {
  it('lists every function copying the runtime stats once, not once per function', async () => {
    const stats = vi.spyOn(server.runtime, 'stats')
    const res = await api('GET', '/functions')
    expect(res.status).toBe(200)
    const { functions } = (await res.json()) as { functions: Array<{ name: string; pool?: unknown }> }
    expect(functions).toHaveLength(FUNCTIONS)
    expect(functions.every((f) => f.pool !== undefined)).toBe(true)
    expect(stats.mock.calls.length).toBeLessThanOrEqual(1)
    stats.mockRestore()
  })

  it('deploys without reading every other deployment', async () => {
    const list = vi.spyOn(server.store, 'listDeployments')
    const res = await api('POST', '/functions', form(relabel(hello, 'one-more')))
    expect(res.status).toBe(201)
    expect((await fetch(`${server.url}/fn/one-more`)).status).toBe(200)
    expect(list).not.toHaveBeenCalled()
    list.mockRestore()
    // A delete reads every deployment once (to collect unused artifacts): O(functions), not more.
    const again = vi.spyOn(server.store, 'listDeployments')
    const del = await api('DELETE', '/functions/one-more')
    expect(del.status).toBe(200)
    expect((await fetch(`${server.url}/fn/one-more`)).status).toBe(404)
    expect(again.mock.calls.length).toBeLessThanOrEqual(1)
    again.mockRestore()
  })
})

describe('admin API input', () => {
  it('answers malformed percent-encoding with 400 and keeps serving', async () => {
    for (const path of ['/functions/%E0%A4%A', '/functions/%E0%A4%A/logs', '/functions/%ZZ/rollback', '/functions/%/pool']) {
      const method = path.endsWith('rollback') ? 'POST' : path.endsWith('pool') ? 'PUT' : 'GET'
      const res = await api(method, path)
      expect(res.status, path).toBe(400)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST')
    }
    expect((await fetch(`${server.url}/fn/hello`)).status).toBe(200)
    expect(uncaught).toEqual([])
  })

  it('explain reports the policy that runs', async () => {
    const res = await api('GET', '/functions/hello/explain')
    expect(((await res.json()) as { autoscaler: string }).autoscaler).toBe('fixed')
  })
})

/** Sends raw bytes and collects whatever comes back until the server closes the connection. */
function raw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes))
    socket.on('data', (c) => chunks.push(c))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(err)))
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')))
  })
}

describe('random admin requests (fast-check)', () => {
  // A server of its own with two functions, so that its whole state is cheap to compare.
  let small: JaegisServer
  const smallDir = mkdtempSync(join(tmpdir(), 'jaegis-admin-fuzz-'))
  beforeAll(async () => {
    small = await startServer({ port: 0, dataDir: smallDir, token: TOKEN, onError: () => {}, deployOnStart: [hello, relabel(hello, 'fn-1')] })
  })
  afterAll(() => small?.close(1000))
  /** Everything a request could change: deployments (versions, keys), what the runtime serves and its pools, stored artifacts. */
  const state = async () => {
    const pools = Object.entries(small.runtime.stats().functions).map(([name, s]) => [name, s.digest, s.pool.minWarm, s.pool.maxWarm])
    return JSON.stringify([await small.store.listDeployments(), pools, readdirSync(join(smallDir, 'artifacts'))])
  }

  const segment = fc.oneof(
    fc.constantFrom('hello', 'functions', 'logs', 'pool', 'rollback', 'explain', 'nobody', 'fn-1', '%E0%A4%A', '%', '%%', '%ZZ', '%C0%AF', '..', '%2e%2e', '', 'Hello', '%00'),
    fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
    fc.stringMatching(/^[a-z0-9%._~-]{0,12}$/),
  )
  const path = fc.tuple(fc.array(segment, { maxLength: 4 }), fc.option(fc.stringMatching(/^[a-z=&%0-9]{0,16}$/), { nil: undefined })).map(
    ([segs, query]) => `/_api/v1/${segs.join('/')}${query === undefined ? '' : `?${query}`}`,
  )
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'FOO')
  const wrongAuth = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Bearer', 'Bearer ', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Token ${TOKEN}`, `Bearer ${TOKEN} extra`),
    fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`),
  )
  const body = fc.oneof(
    fc.constant(''),
    fc.constantFrom('{}', '{"version":1}', '{"min_warm":3,"max_warm":4}', '{"version":"x"}', 'null', '[', '{"min_warm":-1}'),
    fc.string({ maxLength: 200 }),
  )
  const contentType = fc.constantFrom(undefined, 'application/json', 'multipart/form-data; boundary=x', 'multipart/form-data', 'text/plain')
  const request = (auth: fc.Arbitrary<string | undefined>) =>
    fc.record({ method, path, auth, body, contentType, extra: fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z-]{0,10}$/), fc.stringMatching(/^[\x21-\x7e]{0,20}$/)), { maxLength: 3 }) })

  const send = async (r: { method: string; path: string; auth: string | undefined; body: string; contentType: string | undefined; extra: Array<[string, string]> }) => {
    const bodyBytes = Buffer.from(r.body)
    const headers = [`Host: x`, `Connection: close`, `Content-Length: ${bodyBytes.length}`]
    if (r.auth !== undefined) headers.push(`Authorization: ${r.auth}`)
    if (r.contentType !== undefined) headers.push(`Content-Type: ${r.contentType}`)
    for (const [k, v] of r.extra) if (!['host', 'content-length', 'transfer-encoding', 'connection', 'authorization', 'content-type', 'expect', 'upgrade'].includes(k)) headers.push(`${k}: ${v}`)
    const out = await raw(small.port, Buffer.concat([Buffer.from(`${r.method} ${r.path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`), bodyBytes]))
    return out
  }

  it('without a valid token: 401 or a refusal, never a change, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(request(wrongAuth), async (r) => {
        const before = await state()
        const out = await send(r)
        expect(out).toMatch(/^HTTP\/1\.1 (400|401) /)
        expect(await state()).toBe(before)
        expect((await fetch(`${small.url}/healthz`)).status).toBe(200)
        expect(uncaught).toEqual([])
      }),
      { numRuns: 150 },
    )
  }, 60_000)

  it('with the token: every request is answered and the process survives', async () => {
    await fc.assert(
      fc.asyncProperty(request(fc.constant(`Bearer ${TOKEN}`)), async (r) => {
        const out = await send(r)
        expect(out).toMatch(/^HTTP\/1\.1 \d{3} /)
        expect(out).not.toMatch(/^HTTP\/1\.1 500 /)
        expect((await fetch(`${small.url}/healthz`)).status).toBe(200)
        expect(uncaught).toEqual([])
      }),
      { numRuns: 150 },
    )
  }, 60_000)
})
