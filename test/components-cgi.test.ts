// WASI preview-1 command modules run CGI-style (WAGI): a C program built with clang for wasm32-wasi
// gets the request on stdin and in CGI variables, and its stdout becomes the response.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Artifact, type LogEntry } from '../runtime/index.js'
import { buildComponentArtifact } from '../compiler/component/index.js'
import { FIXTURES, compileC, errorOf, testConfig, text, wasiClangMissing } from './components-helpers.js'

const missing = wasiClangMissing()
if (missing) console.warn(`skipping CGI tests that need C for wasm32-wasi: ${missing}`)

describe.skipIf(missing !== undefined)('CGI command modules (C, wasm32-wasi)', () => {
  let artifact: Artifact
  let dataDir: string
  const logs: LogEntry[] = []
  const rt = createRuntime({ onLog: (e) => logs.push(e) })

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jaegis-cgi-data-'))
    writeFileSync(join(dataDir, 'hello.txt'), 'mapped file content')
    const wasm = compileC(join(FIXTURES, 'cgi', 'cgi.c'))
    artifact = (await buildComponentArtifact({ wasm, config: testConfig('cgi', { env: { GREETING: 'hi from the manifest' } }), files: [{ guest: '/data', host: dataDir }] })).artifact
    rt.load(artifact)
  })

  it('builds a wasi artifact whose only core module is metered', () => {
    expect(artifact.meta.kind).toBe('wasi')
    expect(artifact.meta.component!.world).toBe('cgi')
    expect(artifact.meta.component!.coreModules).toEqual([expect.objectContaining({ file: 'command.wasm', metered: true })])
  })

  it('passes the body on stdin and parses the header block', () => {
    const res = rt.invokeSync('cgi', { method: 'post', path: '/echo', body: 'request body bytes' })
    expect(res.status).toBe(200)
    expect(res.headers).toEqual([
      ['content-type', 'text/plain'],
      ['x-method', 'POST'],
    ])
    expect(text(res.body)).toBe('request body bytes')
  })

  it('sets CGI variables, HTTP_* headers and the manifest environment, and nothing else', () => {
    const env = (name: string, headers?: Record<string, string>) => text(rt.invokeSync('cgi', { path: '/env', query: name, headers }).body)
    expect(env('REQUEST_METHOD')).toBe('GET')
    expect(env('PATH_INFO')).toBe('/env')
    expect(env('QUERY_STRING')).toBe('QUERY_STRING')
    expect(env('GATEWAY_INTERFACE')).toBe('CGI/1.1')
    expect(env('HTTP_X_TRACE_ID', { 'X-Trace-Id': 'abc123' })).toBe('abc123')
    expect(env('GREETING')).toBe('hi from the manifest')
    expect(env('HOME')).toBe('(unset)')
    expect(env('PATH')).toBe('(unset)')
  })

  it('honours a Status header, and serves stdout without a header block as the body', () => {
    const res = rt.invokeSync('cgi', { path: '/nowhere' })
    expect(res.status).toBe(404)
    expect(text(res.body)).toBe('no route /nowhere')
    const plain = rt.invokeSync('cgi', { path: '/plain' })
    expect(plain.status).toBe(200)
    expect(plain.headers).toEqual([])
    expect(text(plain.body)).toBe('just a body, no headers')
  })

  it('reads a mapped directory, refuses writes to it and paths outside it', () => {
    expect(text(rt.invokeSync('cgi', { path: '/read', query: '/data/hello.txt' }).body)).toBe('mapped file content')
    logs.length = 0
    expect(text(rt.invokeSync('cgi', { path: '/write', query: '/data/new.txt' }).body)).toBe('write denied')
    expect(logs.map((l) => l.message)).toContainEqual(expect.stringMatching(/opening \/data\/new\.txt for writing denied/))
    const outside = rt.invokeSync('cgi', { path: '/read', query: '/etc/passwd' })
    expect(outside.status).toBe(404)
    expect(text(outside.body)).toMatch(/^open failed: /)
  })

  it('refuses socket calls inside the program and logs them', () => {
    logs.length = 0
    expect(text(rt.invokeSync('cgi', { path: '/sock' }).body)).toBe('shutdown: -1 Capabilities insufficient')
    expect(logs.map((l) => l.message)).toContain('sockets: shutdown denied (functions have no socket access)')
  })

  it('stops a command that loops forever at its deadline and keeps serving', () => {
    const t0 = performance.now()
    const err = errorOf(() => rt.invokeSync('cgi', { path: '/spin' }))
    expect(err.code).toBe('TIMEOUT')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(500)
    expect(text(rt.invokeSync('cgi', { path: '/env', query: 'GREETING' }).body)).toBe('hi from the manifest')
  })

  it('fails a command that grows memory past its limit with MEMORY_LIMIT', () => {
    const err = errorOf(() => rt.invokeSync('cgi', { path: '/hog' }))
    expect(err.code).toBe('MEMORY_LIMIT')
    expect(err.message).toMatch(/memory limit of 16 MiB/)
  })

  it('turns a non-zero exit status into a TRAP and logs stderr', () => {
    logs.length = 0
    const err = errorOf(() => rt.invokeSync('cgi', { path: '/exit' }))
    expect(err.code).toBe('TRAP')
    expect(err.message).toBe('command exited with status 3')
    expect(logs.map((l) => [l.function, l.level, l.message])).toContainEqual(['cgi', 'error', 'giving up'])
    expect(rt.stats().functions.cgi!.errors).toMatchObject({ TRAP: 1 })
  })

  it('runs each request in a fresh instance', () => {
    const before = rt.stats().functions.cgi!.invocations
    for (let i = 0; i < 5; i++) expect(rt.invokeSync('cgi', { path: '/echo', body: `n${i}` }).body).toEqual(new TextEncoder().encode(`n${i}`))
    expect(rt.stats().functions.cgi!.invocations).toBe(before + 5)
  })
})

describe('CGI output parsing and build-time checks', () => {
  it('refuses a module that imports something other than WASI preview 1', async () => {
    // (module (import "env" "f" (func)) (memory (export "memory") 1) (func (export "_start")))
    const wasm = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 9, 1, 3, 101, 110, 118, 1, 102, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 19, 2, 6, 109, 101, 109, 111, 114, 121, 2, 0, 6, 95, 115, 116, 97, 114, 116, 0, 1, 10, 4, 1, 2, 0, 11])
    await expect(buildComponentArtifact({ wasm, config: testConfig('bad') })).rejects.toMatchObject({ code: 'COMPILE_FAILED', message: expect.stringContaining('env.f') })
  })

  it('refuses bytes that are not wasm', async () => {
    await expect(buildComponentArtifact({ wasm: new TextEncoder().encode('#!/bin/sh\necho hi'), config: testConfig('bad') })).rejects.toMatchObject({ code: 'INVALID_WASM' })
  })
})
