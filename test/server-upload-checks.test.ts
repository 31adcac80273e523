// What the server's upload refuses: an artifact.json edited to claim a platform path (and the runtime
// never routes a reserved path to a function even when one was loaded without that check: issue 12,
// route hijack), and hostile JSON values found by fuzzing the schema.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESERVED_ROUTE_PREFIXES } from '../artifact/index.js'
import { createRuntime, type Artifact } from '../runtime/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { buildFunction } from './helpers.js'

const TOKEN = 'test-token'
let hello: Artifact
let server: JaegisServer

function form(a: Artifact, meta: unknown): FormData {
  const f = new FormData()
  f.set('artifact', new Blob([JSON.stringify(meta)]), 'artifact.json')
  f.set('wasm', new Blob([a.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}
const api = (method: string, path: string, body?: BodyInit) =>
  fetch(server.url + '/_api/v1' + path, { method, body, headers: { authorization: `Bearer ${TOKEN}` } })
const claiming = (route: string) => ({ ...hello.meta, config: { ...hello.meta.config, name: 'hijack', route } })

beforeAll(async () => {
  hello = (await buildFunction('hello')).artifact
  server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-reserved-')), token: TOKEN })
})
afterAll(() => server?.close(1000))

describe('reserved routes through the admin API', () => {
  it('refuses an uploaded artifact whose route is a platform path, and the platform keeps answering', async () => {
    for (const route of ['/_api/v1', '/_api', '/healthz', '/readyz', '/metrics', '/fn/hello', '/_dashboard']) {
      const res = await api('POST', '/functions', form(hello, claiming(route)))
      const text = await res.text()
      expect(res.status, text).toBe(400)
      expect(JSON.parse(text).error.message).toBe(`invalid artifact: config.route ${JSON.stringify(route)} is reserved for the platform (/_api, /healthz, /readyz, /metrics, /fn, /_dashboard)`)
    }
    expect((await api('GET', '/functions/hijack')).status).toBe(404)
    const list = await api('GET', '/functions')
    expect(list.status).toBe(200)
    expect(JSON.stringify(await list.json())).not.toContain('hijack')
  })

  it('still accepts an ordinary route', async () => {
    const res = await api('POST', '/functions', form(hello, claiming('/hello-route')))
    expect(res.status, await res.clone().text()).toBe(201)
    expect(await (await fetch(`${server.url}/hello-route?name=r`)).text()).toBe('Hello, r!\n')
  })
})

describe('hostile artifact.json values', () => {
  it('refuses values that cannot be printed with 400, not an internal error', async () => {
    const f = new FormData()
    f.set('artifact', new Blob([JSON.stringify({ ...hello.meta, abi: 1 }).replace('"abi":1', '"abi":{"toString":[]}')]), 'artifact.json')
    f.set('wasm', new Blob([hello.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
    const res = await api('POST', '/functions', f)
    const text = await res.text()
    expect(res.status, text).toBe(400)
    expect(JSON.parse(text).error.message).toBe('artifact was built for Jaegis ABI v{"toString":[]}; this runtime speaks v1')
  })
})

describe('Runtime.resolveRoute', () => {
  it('never resolves a reserved path, even for an artifact loaded without verification', () => {
    const runtime = createRuntime()
    try {
      for (const [i, prefix] of RESERVED_ROUTE_PREFIXES.entries()) {
        const name = `claim-${i}`
        runtime.load({ ...hello, meta: { ...hello.meta, config: { ...hello.meta.config, name, route: prefix } } })
        expect(runtime.resolveRoute(prefix)).toBeUndefined()
        expect(runtime.resolveRoute(`${prefix}/v1/functions`)).toBeUndefined()
      }
      runtime.load({ ...hello, meta: { ...hello.meta, config: { ...hello.meta.config, name: 'shop', route: '/shop' } } })
      expect(runtime.resolveRoute('/shop/cart')).toEqual({ name: 'shop', rest: '/cart' })
    } finally {
      runtime.close()
    }
  })
})
