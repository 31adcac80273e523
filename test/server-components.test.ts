// A non-AssemblyScript function through the whole service: `jaegis deploy`'s upload of a prebuilt
// WASI command module (Spin's Rust WAGI test program), served at /fn/<name> like any other.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAnyFunction } from '../compiler/index.js'
import type { Artifact } from '../runtime/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { ROOT } from './helpers.js'

let server: JaegisServer
let artifact: Artifact

beforeAll(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'jaegis-wagi-')), 'wagi')
  cpSync(join(ROOT, 'test', 'fixtures', 'components', 'third-party', 'wagi-test.wasm'), join(dir, 'wagi-test.wasm'))
  writeFileSync(join(dir, 'jaegis.toml'), 'name = "wagi"\nlanguage = "wasm"\nentry = "wagi-test.wasm"\n[env]\nFROM_MANIFEST = "yes"\n')
  artifact = (await buildAnyFunction(dir)).artifact
  server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-srv-wagi-')), token: 't' })
})
afterAll(() => server?.close(500))

describe('a WASI command module deployed over HTTP', () => {
  it('is accepted from the two-part upload, rebuilt by the server, and served', async () => {
    const form = new FormData()
    form.set('artifact', new Blob([JSON.stringify(artifact.meta)]), 'artifact.json')
    form.set('wasm', new Blob([artifact.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
    const res = await fetch(`${server.url}/_api/v1/functions`, { method: 'POST', body: form, headers: { authorization: 'Bearer t' } })
    expect(res.status, await res.clone().text()).toBe(201)
    const out = await fetch(`${server.url}/fn/wagi/some/path?x=1`)
    expect(out.status).toBe(200)
    const body = JSON.parse(await out.text()) as { env: Record<string, string> } & Record<string, unknown>
    const env = (body.env ?? body) as Record<string, string>
    expect(JSON.stringify(body)).toContain('FROM_MANIFEST')
    expect(JSON.stringify(env)).toContain('x=1')
  })

  it('survives a restart: the derived parts are in the store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jaegis-srv-wagi2-'))
    const a = await startServer({ port: 0, dataDir, token: 't', deployOnStart: [artifact] })
    await a.close(500)
    const b = await startServer({ port: 0, dataDir, token: 't' })
    try {
      expect((await fetch(`${b.url}/fn/wagi/`)).status).toBe(200)
    } finally {
      await b.close(500)
    }
  })
})
