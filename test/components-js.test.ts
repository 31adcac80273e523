// JavaScript functions built with componentize-js: the incomingHandler style (one instance, many
// requests) and the fetch-event style (a fresh instance per request), with capabilities and limits.
// Building a JavaScript component takes ~30 s of CPU; results are cached in the OS temp folder.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, verifyArtifact, type Artifact, type LogEntry } from '../runtime/index.js'
import { buildComponentFunction, scaffoldJsFunction } from '../compiler/component/index.js'
import { rewriteGlue } from '../runtime/component/glue.js'
import { FIXTURES, errorOf, text } from './components-helpers.js'

let kitchen: Artifact
let slow: Artifact
let scaffoldDir: string
let scaffold: Artifact
let server: ChildProcess
let serverPort: number

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'jaegis-js-'))
  const kitchenDir = join(base, 'kitchen')
  cpSync(join(FIXTURES, 'js-kitchen'), kitchenDir, { recursive: true })
  scaffoldDir = (await scaffoldJsFunction(base, 'fast')).dir
  const slowDir = (await scaffoldJsFunction(base, 'slow', { style: 'fetch-event' })).dir
  ;[kitchen, slow, scaffold] = await Promise.all([buildComponentFunction(kitchenDir).then((r) => r.artifact), buildComponentFunction(slowDir).then((r) => r.artifact), buildComponentFunction(scaffoldDir).then((r) => r.artifact)])
  // An upstream for outbound calls, in another process: a guest's outbound call blocks this thread.
  server = spawn(process.execPath, ['-e', "require('http').createServer((q, s) => s.end('upstream says ' + q.url)).listen(0, '127.0.0.1', function () { console.log(this.address().port) })"])
  serverPort = await new Promise<number>((resolve) => server.stdout!.once('data', (d) => resolve(Number(String(d).trim()))))
}, 600_000)

afterAll(() => {
  server?.kill()
})

describe('JavaScript functions, incomingHandler style', () => {
  const logs: LogEntry[] = []
  const rt = createRuntime({ onLog: (e) => logs.push(e) })
  beforeAll(() => {
    rt.load(kitchen)
  })

  it('is a component artifact with metered core modules and reuse on', () => {
    expect(kitchen.meta.kind).toBe('component')
    expect(kitchen.meta.component).toMatchObject({ world: 'http', jsStyle: 'incoming-handler', export: expect.stringMatching(/^wasi:http\/incoming-handler@0\.2\./) })
    expect(kitchen.meta.component!.coreModules.filter((m) => m.metered)).toHaveLength(1)
    expect(kitchen.meta.config.reuse).toBe(true)
  })

  it('answers many requests on one instance, keeping module state', () => {
    const counts = [1, 2, 3].map(() => text(rt.invokeSync('kitchen', { path: '/count' }).body))
    expect(counts.map(Number)).toEqual([Number(counts[0]), Number(counts[0]) + 1, Number(counts[0]) + 2])
    expect(rt.stats().functions.kitchen!.starts.hostwarm).toBe(0)
  })

  it('passes method and body through', () => {
    const res = rt.invokeSync('kitchen', { method: 'POST', path: '/echo', body: 'some bytes' })
    expect(res.status).toBe(200)
    expect(text(res.body)).toBe('POST some bytes')
  })

  it('shows only the environment variables of the manifest', () => {
    expect(text(rt.invokeSync('kitchen', { path: '/env', query: 'GREETING' }).body)).toBe('hi from the manifest')
    expect(text(rt.invokeSync('kitchen', { path: '/env', query: 'PATH' }).body)).toBe('(unset)')
  })

  it('denies outbound HTTP to hosts not in allowed_outbound_hosts, inside the function, and logs it', () => {
    logs.length = 0
    const res = rt.invokeSync('kitchen', { path: '/fetch', query: encodeURIComponent('https://example.com/') })
    expect(res.status).toBe(502)
    expect(text(res.body)).toMatch(/^fetch failed: /)
    expect(logs.map((l) => [l.level, l.message])).toContainEqual(['warn', 'outbound HTTP to https://example.com denied: not in allowed_outbound_hosts'])
  })

  it('allows outbound HTTP to a listed host', () => {
    const res = rt.invokeSync('kitchen', { path: '/fetch', query: encodeURIComponent(`http://127.0.0.1:${serverPort}/hello`) })
    expect(text(res.body)).toBe('fetched 200: upstream says /hello')
  })

  it('reads the mapped directory and cannot write to it', () => {
    expect(text(rt.invokeSync('kitchen', { path: '/read', query: 'readme.txt' }).body)).toBe('/static: a file the function may read\n')
    logs.length = 0
    const res = rt.invokeSync('kitchen', { path: '/write', query: 'new.txt' })
    expect([res.status, text(res.body)]).toEqual([403, 'write failed: read-only'])
    expect(logs.map((l) => l.message)).toContainEqual('filesystem: opening /static/new.txt for writing denied (mapped read-only)')
    const escape = rt.invokeSync('kitchen', { path: '/read', query: '../jaegis.toml' })
    expect([escape.status, text(escape.body)]).toEqual([403, 'read failed: not-permitted'])
  })

  it('sends console output to the log', () => {
    logs.length = 0
    rt.invokeSync('kitchen', { path: '/log' })
    expect(logs.map((l) => [l.function, l.level, l.message])).toEqual([
      ['kitchen', 'info', 'info line'],
      ['kitchen', 'error', 'error line'],
    ])
  })

  it('stops a handler that loops forever at its deadline, then serves from a new instance', () => {
    // The same artifact with a short deadline (the config is not part of the digest). One request
    // first: a new engine instance compiles its code lazily on its first request.
    const short = verifyArtifact({ ...kitchen.meta, config: { ...kitchen.meta.config, name: 'kitchen-short', limits: { ...kitchen.meta.config.limits, timeoutMs: 300 } } }, kitchen.wasm, kitchen.files)
    rt.load(short)
    rt.invokeSync('kitchen-short', { path: '/echo' })
    const t0 = performance.now()
    const err = errorOf(() => rt.invokeSync('kitchen-short', { path: '/spin' }))
    expect(err.code).toBe('TIMEOUT')
    expect(err.message).toContain('300 ms')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300)
    expect(text(rt.invokeSync('kitchen-short', { path: '/echo', body: 'alive' }).body)).toBe('GET alive')
  })

  it('fails a handler that allocates past the memory limit', () => {
    const err = errorOf(() => rt.invokeSync('kitchen', { path: '/hog' }))
    expect(err.code).toBe('MEMORY_LIMIT')
    expect(err.message).toMatch(/memory limit of 64 MiB/)
    expect(text(rt.invokeSync('kitchen', { path: '/echo', body: 'still here' }).body)).toBe('GET still here')
  })

  it('turns an exception in the handler into an error and keeps serving', () => {
    logs.length = 0
    const err = errorOf(() => rt.invokeSync('kitchen', { path: '/throw' }))
    expect(err.code).toBe('TRAP')
    expect(logs.map((l) => l.message).join('\n')).toContain('handler blew up') // the engine prints the exception to stderr
    expect(text(rt.invokeSync('kitchen', { path: '/echo', body: 'ok' }).body)).toBe('GET ok')
  })
})

describe('JavaScript functions, fetch-event style', () => {
  it('answers from a fresh instance every time (reuse is forced off)', async () => {
    expect(slow.meta.config.reuse).toBe(false)
    expect(slow.meta.component!.jsStyle).toBe('fetch-event')
    const logs: LogEntry[] = []
    const rt = createRuntime({ onLog: (e) => logs.push(e) })
    rt.load(slow)
    for (let i = 0; i < 3; i++) {
      const res = rt.invokeSync('slow', { path: '/', query: `name=n${i}` })
      expect(res.status).toBe(200)
      expect(text(res.body)).toBe(`Hello, n${i}!\n`)
      await new Promise((r) => setImmediate(r)) // the pool refills off the request path
    }
    expect(rt.stats().functions.slow!.starts.warm).toBe(3)
    // Fresh by reset (components.md, "Fresh state by reset"), not by a new instance.
    expect(logs.filter((l) => /not reset/.test(l.message))).toEqual([])
  })
})

describe('jaegis new --lang js', () => {
  it('scaffolds an incomingHandler function with reuse on, and refuses to overwrite', async () => {
    const toml = readFileSync(join(scaffoldDir, 'jaegis.toml'), 'utf8')
    expect(toml).toMatch(/language = "js"/)
    expect(toml).toMatch(/reuse = true/)
    const source = readFileSync(join(scaffoldDir, 'src', 'index.js'), 'utf8')
    expect(source).toMatch(/export const incomingHandler/)
    execFileSync(process.execPath, ['--check', join(scaffoldDir, 'src', 'index.js')]) // valid JavaScript
    await expect(scaffoldJsFunction(join(scaffoldDir, '..'), 'fast')).rejects.toMatchObject({ code: 'INVALID_MANIFEST', message: expect.stringContaining('already exists') })
    await expect(scaffoldJsFunction(scaffoldDir, 'Bad_Name')).rejects.toMatchObject({ code: 'INVALID_MANIFEST' })
  })
})

describe('the scaffolded function, built', () => {
  const rt = createRuntime()
  beforeAll(() => {
    rt.load(scaffold)
  })

  it('answers GET and POST on one instance, with status, headers and body', () => {
    for (let i = 0; i < 50; i++) {
      const res = rt.invokeSync('fast', { query: `name=n${i}`, headers: { host: 'example.test', 'x-a': 'one', 'x-b': 'twö' } })
      expect(res.status).toBe(200)
      expect(res.headers).toEqual([['content-type', 'text/plain; charset=utf-8']])
      expect(text(res.body)).toBe(`Hello, n${i}!\n`)
    }
    // POST reads (and drops) the request body before answering.
    const post = rt.invokeSync('fast', { method: 'POST', query: 'name=post', body: 'x'.repeat(100_000) })
    expect(post.status).toBe(200)
    expect(text(post.body)).toBe('Hello, post!\n')
    expect(rt.stats().functions.fast!.starts.hostwarm).toBe(0)
    expect(rt.stats().functions.fast!.errors).toEqual({})
  })

  it('runs every import of its glue on the fast synchronous path', () => {
    const glue = new TextDecoder().decode(scaffold.files![scaffold.meta.component!.glue!.file]!)
    const r = rewriteGlue(glue)
    expect(r.fastImports).toBeGreaterThan(50)
    expect(r.slowImports).toBe(0)
    expect(r.source).not.toContain('table._createdReps.add(rep)')
    expect(rewriteGlue('export function instantiate() {}\n').fastImports).toBe(0)
  })
})

describe('JavaScript functions waiting on the network, in lanes', () => {
  const DELAY_MS = 300
  let slowUpstream: ChildProcess
  let slowPort: number
  const rt = createRuntime({ lanes: { minLanes: 2 } })
  beforeAll(async () => {
    rt.load(kitchen)
    slowUpstream = spawn(process.execPath, ['-e', `require('http').createServer((q, s) => setTimeout(() => s.end('late ' + q.url), ${DELAY_MS})).listen(0, '127.0.0.1', function () { console.log(this.address().port) })`])
    slowPort = await new Promise<number>((resolve) => slowUpstream.stdout!.once('data', (d) => resolve(Number(String(d).trim()))))
  })
  afterAll(() => {
    rt.close()
    slowUpstream?.kill()
  })

  it('serves concurrent callers of a function whose fetch waits in parallel', async () => {
    const call = (i: number) => rt.invoke('kitchen', { path: '/fetch', query: encodeURIComponent(`http://127.0.0.1:${slowPort}/c${i}`) }).then((r) => text(r.body))
    // A first burst grows the lanes (each new lane starts and loads the function once).
    await Promise.all(Array.from({ length: 8 }, (_, i) => call(i)))
    const t0 = performance.now()
    const callers = Array.from({ length: 8 }, (_, i) => call(i))
    expect(await Promise.all(callers)).toEqual(Array.from({ length: 8 }, (_, i) => `fetched 200: late /c${i}`))
    // One after another they take 8 x 300 ms; waiting in lanes they overlap.
    expect(performance.now() - t0).toBeLessThan(4 * DELAY_MS)
  })
})
