// jaegis serve in-process: HTTP invocation, error codes, admin API, auth, deploys, persistence.
import { mkdtempSync, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex, type Artifact } from '../runtime/index.js'
import { errorBody } from '../gateway/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { buildFunction } from './helpers.js'

let hello: Artifact
let hello2: Artifact
let misbehave: Artifact
let routed: Artifact
let keyed: Artifact
let server: JaegisServer
let dataDir: string
const TOKEN = 'test-token'

function form(a: Artifact, wasm: Uint8Array = a.wasm, meta: unknown = a.meta): FormData {
  const f = new FormData()
  f.set('artifact', new Blob([typeof meta === 'string' ? meta : JSON.stringify(meta)]), 'artifact.json')
  f.set('wasm', new Blob([wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}
const api = (method: string, path: string, body?: BodyInit, token: string | null = TOKEN) =>
  fetch(server.url + '/_api/v1' + path, { method, body, headers: token ? { authorization: `Bearer ${token}` } : {} })
const deploy = async (a: Artifact) => {
  const res = await api('POST', '/functions', form(a))
  expect(res.status, await res.clone().text()).toBeLessThan(300)
  return res.json() as Promise<{ version: number; digest: string; key?: string }>
}

beforeAll(async () => {
  ;[hello, hello2, misbehave, routed, keyed] = await Promise.all([
    buildFunction('hello').then((r) => r.artifact),
    buildFunction('hello', (t) => t.replace('timeout_ms = 1000', 'timeout_ms = 999')).then(async (r) => {
      // A different version of hello: same code, one more custom byte, so a different digest.
      const wasm = new Uint8Array([...r.artifact.wasm, 0, 3, 2, 0x76, 0x32])
      return { meta: { ...r.artifact.meta, digest: sha256Hex(wasm), sizeBytes: wasm.length }, wasm }
    }),
    buildFunction('misbehave').then((r) => r.artifact),
    buildFunction('hello', (t) => t.replace('name = "hello"', 'name = "greeter"\nroute = "/greet"')).then((r) => r.artifact),
    buildFunction('hello', (t) => t.replace('name = "hello"', 'name = "secret"') + '\n[auth]\nrequire_key = true\n').then((r) => r.artifact),
  ])
  dataDir = mkdtempSync(join(tmpdir(), 'jaegis-server-'))
  server = await startServer({ port: 0, dataDir, token: TOKEN, maxInflight: 64 })
  await deploy(hello)
  await deploy(misbehave)
})
afterAll(() => server?.close(1000))

describe('invocation over HTTP', () => {
  it('runs a function with method, path, query, headers and body', async () => {
    const res = await fetch(`${server.url}/fn/hello?name=http`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('Hello, http!\n')
    const st = await fetch(`${server.url}/fn/misbehave/status?201`)
    expect(st.status).toBe(201)
    expect(st.headers.get('x-test')).toBe('yes')
  })

  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe(code)
    return body.error.message
  }

  it('answers 404 UNKNOWN_FUNCTION, 413, 504, 500 with safe messages', async () => {
    await expectError(await fetch(`${server.url}/fn/nobody`), 404, 'UNKNOWN_FUNCTION')
    const big = new Uint8Array(misbehave.meta.config.limits.bodyBytes + 10)
    await expectError(await fetch(`${server.url}/fn/misbehave`, { method: 'POST', body: big }), 413, 'BODY_TOO_LARGE')
    expect(await expectError(await fetch(`${server.url}/fn/misbehave/spin`), 504, 'TIMEOUT')).toMatch(/timeout of 200 ms/)
    expect(await expectError(await fetch(`${server.url}/fn/misbehave/abort?x`), 500, 'TRAP')).toContain('something broke: x')
    await expectError(await fetch(`${server.url}/fn/misbehave/hog`), 500, 'MEMORY_LIMIT')
    // and the host keeps serving
    expect((await fetch(`${server.url}/fn/hello`)).status).toBe(200)
    await expectError(await fetch(`${server.url}/nothing-here`), 404, 'NOT_FOUND')
  })

  it('serves requests that queued behind a stopped invocation', async () => {
    const spin = fetch(`${server.url}/fn/misbehave/spin`)
    const queued = Array.from({ length: 5 }, (_, i) => fetch(`${server.url}/fn/hello?name=q${i}`))
    expect((await spin).status).toBe(504)
    const answers = await Promise.all(queued)
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(await answers[4]!.text()).toBe('Hello, q4!\n')
  })

  it('accepts bodies up to the limit', async () => {
    const body = JSON.stringify({ blob: 'x'.repeat(900_000) })
    const echo = await buildFunction('echo').then((r) => r.artifact)
    await deploy(echo)
    const res = await fetch(`${server.url}/fn/echo`, { method: 'POST', body })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(body)
  })

  it('shows only a reference id for internal errors and logs the detail', () => {
    const logged: Array<[string, unknown]> = []
    const { status, body } = errorBody(new Error('secret database password in here'), (ref, err) => logged.push([ref, err]))
    expect(status).toBe(500)
    const parsed = JSON.parse(body)
    expect(parsed.error.code).toBe('INTERNAL')
    expect(body).not.toContain('secret')
    expect(parsed.error.message).toContain(logged[0]![0])
    expect(String(logged[0]![1])).toContain('secret database password')
  })

  it('answers 503 with Retry-After when too many requests are in flight', async () => {
    // One slot, held by a function that runs until its 5 s deadline (a body still arriving holds none).
    const slow = await buildFunction('misbehave', (t) => t.replace('timeout_ms = 200', 'timeout_ms = 5000')).then((r) => r.artifact)
    const tight = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-tight-')), token: TOKEN, maxInflight: 1, deployOnStart: [hello, slow] })
    try {
      const held = httpRequest(`${tight.url}/fn/hello`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } })
      held.on('error', () => {})
      held.write('x')
      const spinning = fetch(`${tight.url}/fn/misbehave/spin`)
      let res = await fetch(`${tight.url}/fn/hello`)
      while (res.status === 200) res = await fetch(`${tight.url}/fn/hello`) // until the spin holds the slot
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('1')
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED')
      expect((await spinning).status).toBe(504)
      expect((await fetch(`${tight.url}/fn/hello`)).status).toBe(200)
      held.end()
    } finally {
      await tight.close(500)
    }
  })

  it('takes its connection timeouts from `timeouts`: a head trickled past headersTimeoutMs gets 408', async () => {
    const strict = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-timeouts-')), token: TOKEN, deployOnStart: [hello], timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600 } })
    try {
      const socket = connect(strict.port, '127.0.0.1')
      let answer = ''
      socket.on('data', (d) => (answer += d))
      const closed = new Promise((ok) => socket.on('close', ok))
      socket.write('GET /fn/hello HTTP/1.1\r\n')
      const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 20) // never silent long enough for an inactivity timeout
      await closed
      clearInterval(drip)
      expect(answer).toMatch(/^HTTP\/1\.1 408 /)
      expect(answer).toContain('REQUEST_TIMEOUT')
    } finally {
      await strict.close(500)
    }
  })

  it('serves a route a manifest claims and refuses a conflicting claim', async () => {
    await deploy(routed)
    expect(await (await fetch(`${server.url}/greet?name=route`)).text()).toBe('Hello, route!\n')
    expect((await fetch(`${server.url}/greet/deeper`)).status).toBe(200)
    const thief = await buildFunction('hello', (t) => t.replace('name = "hello"', 'name = "thief"\nroute = "/greet"')).then((r) => r.artifact)
    const res = await api('POST', '/functions', form(thief))
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('already claimed by function \\"greeter\\"')
  })

  it('requires the function key when the manifest asks for one', async () => {
    const { key } = await deploy(keyed)
    expect(key).toMatch(/^jfk_/)
    expect((await fetch(`${server.url}/fn/secret`)).status).toBe(401)
    expect((await fetch(`${server.url}/fn/secret`, { headers: { 'x-jaegis-key': 'wrong' } })).status).toBe(401)
    expect((await fetch(`${server.url}/fn/secret`, { headers: { 'x-jaegis-key': key! } })).status).toBe(200)
  })
})

describe('admin API', () => {
  it('refuses a missing or wrong token with 401 and changes nothing', async () => {
    for (const token of [null, 'nope']) {
      expect((await api('GET', '/functions', undefined, token)).status).toBe(401)
      expect((await api('DELETE', '/functions/hello', undefined, token)).status).toBe(401)
      expect((await api('POST', '/functions', form(hello2), token)).status).toBe(401)
    }
    expect((await fetch(`${server.url}/fn/hello`)).status).toBe(200)
    const show = (await (await api('GET', '/functions/hello')).json()) as { digest: string }
    expect(show.digest).toBe(hello.meta.digest)
  })

  it('rejects malformed uploads with 400 and a reason, leaving the running version alone', async () => {
    const cases: Array<[BodyInit, RegExp]> = [
      ['just text', /multipart\/form-data/],
      [form(hello, new TextEncoder().encode('not wasm at all'), { ...hello.meta, digest: sha256Hex(new TextEncoder().encode('not wasm at all')) }), /not a valid WebAssembly module/],
      [form(hello, hello.wasm, { ...hello.meta, digest: '0'.repeat(64) }), /digest mismatch/],
      [form(hello, hello.wasm, { ...hello.meta, abi: 2 }), /built for Jaegis ABI v2/],
      [form(hello, hello.wasm, { ...hello.meta, config: { ...hello.meta.config, limits: { ...hello.meta.config.limits, timeoutMs: -5 } } }), /config\.limits\.timeoutMs/],
      [form(hello, hello.wasm, '{not json'), /artifact\.json is not JSON/],
    ]
    for (const [body, message] of cases) {
      const res = await api('POST', '/functions', body)
      const text = await res.text()
      expect(res.status, text).toBe(400)
      expect(text).toMatch(message)
    }
    const show = (await (await api('GET', '/functions/hello')).json()) as { digest: string; version: number }
    expect(show.digest).toBe(hello.meta.digest)
    expect(await (await fetch(`${server.url}/fn/hello`)).text()).toBe('Hello, world!\n')
  })

  it('deploys versions, shows them, rolls back, and deletes', async () => {
    const v = await deploy(hello2)
    expect(v.digest).toBe(hello2.meta.digest)
    const show = (await (await api('GET', '/functions/hello')).json()) as { version: number; versions: Array<{ version: number; digest: string }>; limits: { timeout_ms: number }; pool: { ready: number } }
    expect(show.version).toBe(v.version)
    expect(show.versions.map((x) => x.digest)).toEqual([hello.meta.digest, hello2.meta.digest])
    expect(show.limits.timeout_ms).toBe(999)
    expect(show.pool.ready).toBeGreaterThanOrEqual(0)
    // same digest again: unchanged
    const again = await api('POST', '/functions', form(hello2))
    expect(again.status).toBe(200)
    expect(((await again.json()) as { changed: boolean }).changed).toBe(false)
    const rb = (await (await api('POST', '/functions/hello/rollback', '{}')).json()) as { version: number; digest: string }
    expect(rb.digest).toBe(hello.meta.digest)
    const noSuch = await api('POST', '/functions/hello/rollback', JSON.stringify({ version: 99 }))
    expect(noSuch.status).toBe(404)
    const list = (await (await api('GET', '/functions')).json()) as { functions: Array<{ name: string }> }
    expect(list.functions.map((f) => f.name)).toContain('hello')
    const pool = await api('PUT', '/functions/hello/pool', JSON.stringify({ min_warm: 3, max_warm: 5 }))
    expect(((await pool.json()) as { pool: { min_warm: number } }).pool.min_warm).toBe(3)
    expect((await api('DELETE', '/functions/greeter')).status).toBe(200)
    expect((await fetch(`${server.url}/fn/greeter`)).status).toBe(404)
    expect((await fetch(`${server.url}/greet`)).status).toBe(404)
    expect((await api('DELETE', '/functions/greeter')).status).toBe(404)
  })

  it('returns recent logs, including failed invocations', async () => {
    await fetch(`${server.url}/fn/misbehave/log`)
    await fetch(`${server.url}/fn/misbehave/trap`)
    const { logs } = (await (await api('GET', '/functions/misbehave/logs?limit=50')).json()) as { logs: Array<{ level: string; message: string }> }
    const lines = logs.map((l) => `${l.level} ${l.message}`)
    expect(lines).toContain('info info line')
    expect(lines).toContain('error error line')
    expect(lines).toContain('error invocation failed: TRAP')
  })

  it('streams logs as Server-Sent Events', async () => {
    const ctl = new AbortController()
    const res = await fetch(`${server.url}/_api/v1/functions/misbehave/logs?follow=1&limit=1`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: ctl.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    setTimeout(() => void fetch(`${server.url}/fn/misbehave/log`), 50)
    let text = ''
    while (!text.includes('error line')) text += new TextDecoder().decode((await reader.read()).value)
    ctl.abort()
    expect(text).toMatch(/^data: \{/m)
  })

  it('exposes health, readiness and Prometheus metrics', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok\n')
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/jaegis_invocations_total\{function="hello",status="200"\} \d+/)
    expect(metrics).toMatch(/jaegis_errors_total\{function="misbehave",code="TIMEOUT"\} 2/)
    expect(metrics).toMatch(/jaegis_errors_total\{function="",code="UNKNOWN_FUNCTION"\} [1-9]/)
    expect(metrics).toMatch(/jaegis_errors_total\{function="misbehave",code="BODY_TOO_LARGE"\} 1/)
    expect(metrics).toMatch(/jaegis_errors_total\{function="secret",code="UNAUTHORIZED"\} 2/)
    expect(metrics).not.toContain('function="nobody"')
    expect(metrics).toMatch(/jaegis_invocation_duration_seconds_bucket\{le="0.001",function="hello"\} \d+/)
    expect(metrics).toMatch(/jaegis_starts_total\{function="hello",kind="warm"\} \d+/)
    expect(metrics).toMatch(/jaegis_pool_ready_instances\{function="hello"\} \d+/)
  })
})

describe('redeploys and restarts', () => {
  it('keeps answering 2xx across a redeploy', async () => {
    let stop = false
    const statuses: number[] = []
    const loop = (async () => {
      while (!stop) statuses.push((await fetch(`${server.url}/fn/hello`)).status)
    })()
    await new Promise((r) => setTimeout(r, 50))
    await deploy(hello2)
    await deploy(hello)
    await new Promise((r) => setTimeout(r, 50))
    stop = true
    await loop
    expect(statuses.length).toBeGreaterThan(10)
    expect(statuses.every((s) => s === 200)).toBe(true)
  })

  it('keeps deployments across a restart and a token file with mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-restart-'))
    const first = await startServer({ port: 0, dataDir: dir, deployOnStart: [hello] })
    expect(first.tokenCreated).toBe(true)
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600)
    await first.close(500)
    const second = await startServer({ port: 0, dataDir: dir })
    try {
      expect(second.tokenCreated).toBe(false)
      expect(second.token).toBe(first.token)
      expect(await (await fetch(`${second.url}/fn/hello`)).text()).toBe('Hello, world!\n')
    } finally {
      await second.close(500)
    }
  })
})
