// Compatibility: binaries built elsewhere, by other toolchains, run unchanged. See
// test/fixtures/components/third-party/ORIGIN.md for where each one comes from and its license.
import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRuntime } from '../runtime/index.js'
import { buildComponentArtifact, buildComponentFunction, prepareUploadedArtifact } from '../compiler/component/index.js'
import { FIXTURES, compileCHttpComponent, testConfig, text, wasiClangMissing } from './components-helpers.js'

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

  it('gets the manifest args after its name, as under node:wasi', async () => {
    const { artifact } = await buildComponentArtifact({ wasm: readFileSync(WAGI_TEST), config: testConfig('wagi', { args: ['--flag', 'two words', ''] }) })
    const rt = createRuntime()
    rt.load(artifact)
    const out = JSON.parse(text(rt.invokeSync('wagi', { path: '/' }).body)) as { args: string[] }
    expect(out.args).toEqual(['wagi', '--flag', 'two words', ''])
  })

  it('re-derives the parts of an uploaded artifact from artifact.json and module.wasm alone', async () => {
    const wasm = readFileSync(WAGI_TEST)
    const { artifact } = await buildComponentArtifact({ wasm, config: testConfig('wagi'), allowedOutboundHosts: ['https://api.example.com'] })
    const uploaded = await prepareUploadedArtifact(JSON.parse(JSON.stringify(artifact.meta)), wasm)
    expect(uploaded.meta.component!.coreModules).toEqual(artifact.meta.component!.coreModules) // same digests, same bytes
    expect(uploaded.meta.component!.allowedOutboundHosts).toEqual(['https://api.example.com'])
    const withFiles = { ...artifact.meta, component: { ...artifact.meta.component!, files: [{ guest: '/etc', host: '/etc' }] } }
    await expect(prepareUploadedArtifact(withFiles, wasm)).rejects.toThrow(/maps host folder \/etc to \/etc, which this server does not allow for uploads \(allowed: none; the operator allows folders with jaegis serve --allow-files <dir>\)/)
    await expect(prepareUploadedArtifact({ ...artifact.meta, digest: '0'.repeat(64) }, wasm)).rejects.toThrow(/digest mismatch/)
  })
})

const missing = wasiClangMissing()
if (missing) console.warn(`skipping the C wasi:http component test: ${missing}`)

describe.skipIf(missing !== undefined)('a wasi:http@0.2.0 component in C (clang + wasm-tools, not jco or componentize-js)', () => {
  it('runs unchanged: method, path and query in, status and body out', async () => {
    const wasm = await compileCHttpComponent(join(FIXTURES, 'c-http', 'handler.c'))
    const { artifact, imports } = await buildComponentArtifact({ wasm, config: testConfig('c-http') })
    expect(artifact.meta.component).toMatchObject({ world: 'http', export: 'wasi:http/incoming-handler@0.2.0' })
    expect(imports).toContain('wasi:http/types')
    const rt = createRuntime()
    rt.load(artifact)
    const ok = rt.invokeSync('c-http', { path: '/hello', query: 'a=1' })
    expect([ok.status, text(ok.body)]).toEqual([200, 'hello from C: GET /hello?a=1\n'])
    const missingRes = rt.invokeSync('c-http', { method: 'POST', path: '/missing' })
    expect([missingRes.status, text(missingRes.body)]).toEqual([404, 'hello from C: POST /missing\n'])
  })
})
