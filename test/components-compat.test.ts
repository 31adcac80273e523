// Compatibility: binaries built elsewhere, by other toolchains, run unchanged. See
// test/fixtures/components/third-party/ORIGIN.md for where each one comes from and its license.
import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRuntime } from '../runtime/index.js'
import { buildComponentFunction } from '../compiler/component/index.js'
import { FIXTURES, text } from './components-helpers.js'

const WAGI_TEST = join(FIXTURES, 'third-party', 'wagi-test.wasm')

describe("Spin's WAGI test module (Rust, built by Fermyon)", () => {
  it('is the binary ORIGIN.md describes', () => {
    expect(createHash('sha256').update(readFileSync(WAGI_TEST)).digest('hex')).toBe('a6c5889e49db18de4844034c7bb9ad2484473bf3c5ade14a2ff550fdfe85c933')
  })

  it('deploys from a function folder and answers with its arguments and the CGI environment', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'jaegis-wagi-')), 'wagi')
    cpSync(WAGI_TEST, join(dir, 'wagi-test.wasm'))
    writeFileSync(join(dir, 'jaegis.toml'), ['name = "wagi"', 'language = "wasm"', 'entry = "wagi-test.wasm"', '', '[env]', 'FROM_MANIFEST = "yes"', ''].join('\n'))
    const built = await buildComponentFunction(dir)
    expect(built.artifact.meta.kind).toBe('wasi')
    const rt = createRuntime()
    rt.load(built.outDir) // from disk, as a host would
    const res = rt.invokeSync('wagi', { method: 'PUT', path: '/some/where', query: 'x=1&y=2', headers: { 'x-custom': 'v', host: 'example.test:8080' }, body: 'payload' })
    expect(res.status).toBe(200)
    expect(res.headers).toEqual([['content-type', 'application/json']])
    const out = JSON.parse(text(res.body)) as { args: string[]; vars: Record<string, string> }
    expect(out.args).toEqual(['wagi'])
    expect(out.vars).toMatchObject({
      REQUEST_METHOD: 'PUT',
      PATH_INFO: '/some/where',
      QUERY_STRING: 'x=1&y=2',
      CONTENT_LENGTH: '7',
      HTTP_X_CUSTOM: 'v',
      SERVER_NAME: 'example.test',
      SERVER_PORT: '8080',
      FROM_MANIFEST: 'yes',
    })
    expect(out.vars.PATH).toBeUndefined()
    expect(out.vars.HOME).toBeUndefined()
  })
})
