// Limits and failures of the runtime: deadlines, memory, traps, isolation between requests.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Artifact, type LogEntry } from '../runtime/index.js'
import { build } from '../compiler/index.js'
import { buildFunction, text } from './helpers.js'

/** Builds functions/<name> with its assembly/index.ts edited: a new version of the code. */
async function buildEdited(name: string, edit: (source: string) => string): Promise<Artifact> {
  const { dir } = await buildFunction(name)
  const entry = join(dir, 'assembly', 'index.ts')
  writeFileSync(entry, edit(readFileSync(entry, 'utf8')))
  return (await build(dir)).artifact
}

let misbehave: Artifact
let reuse: Artifact
let hello: Artifact

beforeAll(async () => {
  ;[misbehave, reuse, hello] = await Promise.all([
    buildFunction('misbehave').then((r) => r.artifact),
    buildFunction('misbehave', (t) => t.replace('name = "misbehave"', 'name = "keeper"') + '\n[instance]\nreuse = true\n').then((r) => r.artifact),
    buildFunction('hello').then((r) => r.artifact),
  ])
})

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('expected an error')
}

describe('runtime limits', () => {
  it('stops a function that loops forever at its timeout and keeps serving', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    rt.load(hello)
    const t0 = performance.now()
    const err = errorOf(() => rt.invokeSync('misbehave', { path: '/spin' }))
    const elapsed = performance.now() - t0
    expect(err.code).toBe('TIMEOUT')
    expect(err.message).toContain('200 ms')
    expect(elapsed).toBeGreaterThanOrEqual(200)
    // The stopped instance is replaced: the same function and others keep answering.
    expect(text(rt.invokeSync('misbehave', { path: '/' }).body)).toBe('ok')
    expect(text(rt.invokeSync('hello').body)).toBe('Hello, world!\n')
    expect(rt.stats().functions.misbehave!.errors).toEqual({ TIMEOUT: 1 })
  })

  it('fails a function that grows memory past its limit with a limit error', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    const err = errorOf(() => rt.invokeSync('misbehave', { path: '/hog' }))
    expect(err.code).toBe('MEMORY_LIMIT')
    expect(err.message).toMatch(/memory limit of 8 MiB/)
    expect(text(rt.invokeSync('misbehave', { path: '/' }).body)).toBe('ok')
  })

  it('returns the trap message for a trap and for an abort', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    const trap = errorOf(() => rt.invokeSync('misbehave', { path: '/trap' }))
    expect(trap.code).toBe('TRAP')
    expect(trap.message).toMatch(/unreachable/)
    const abort = errorOf(() => rt.invokeSync('misbehave', { path: '/abort', query: 'disk on fire' }))
    expect(abort.code).toBe('TRAP')
    expect(abort.message).toContain('something broke: disk on fire')
    expect(abort.message).toMatch(/index\.ts:\d+:\d+/)
    expect(text(rt.invokeSync('misbehave', { path: '/' }).body)).toBe('ok')
  })

  it('starts every invocation from the snapshot unless the manifest opts into reuse', async () => {
    const rt = createRuntime()
    rt.load(misbehave)
    rt.load(reuse)
    for (let i = 0; i < 3; i++) {
      expect(text(rt.invokeSync('misbehave', { path: '/count' }).body)).toBe('1')
      await new Promise((r) => setImmediate(r)) // let deferred resets run too
    }
    const counts = [1, 2, 3].map(() => text(rt.invokeSync('keeper', { path: '/count' }).body))
    expect(counts).toEqual(['1', '2', '3'])
  })

  it('drops an instance whose memory grew and serves the next request from a fresh one', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    expect(text(rt.invokeSync('misbehave', { path: '/grow' }).body)).toBe('1')
    expect(text(rt.invokeSync('misbehave', { path: '/grow' }).body)).toBe('1')
  })

  it('shows only the environment variables of the manifest', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    expect(text(rt.invokeSync('misbehave', { path: '/env', query: 'GREETING' }).body)).toBe('hi from the manifest')
    expect(text(rt.invokeSync('misbehave', { path: '/env', query: 'PATH' }).body)).toBe('(unset)')
  })

  it('delivers log lines with their level', () => {
    const lines: LogEntry[] = []
    const rt = createRuntime({ onLog: (e) => lines.push(e) })
    rt.load(misbehave)
    rt.invokeSync('misbehave', { path: '/log' })
    expect(lines.map((l) => [l.function, l.level, l.message])).toEqual([
      ['misbehave', 'info', 'info line'],
      ['misbehave', 'error', 'error line'],
    ])
  })

  it('passes status and headers through and rejects bad statuses', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    const res = rt.invokeSync('misbehave', { path: '/status', query: '418' })
    expect(res.status).toBe(418)
    expect(res.headers).toContainEqual(['x-test', 'yes'])
    expect(errorOf(() => rt.invokeSync('misbehave', { path: '/status', query: '42' })).code).toBe('BAD_RESPONSE')
  })

  it('rejects unknown functions and oversized bodies', () => {
    const rt = createRuntime()
    rt.load(misbehave)
    expect(errorOf(() => rt.invokeSync('nope')).code).toBe('UNKNOWN_FUNCTION')
    const big = new Uint8Array(misbehave.meta.config.limits.bodyBytes + 1)
    const err = errorOf(() => rt.invokeSync('misbehave', { method: 'POST', body: big }))
    expect(err.code).toBe('BODY_TOO_LARGE')
  })

  it('counts host-warm starts when no instance is ready and warm ones when the pool has one', () => {
    const rt = createRuntime()
    // No warm floor: the instance a trap destroys is not replaced, so the next start must instantiate.
    rt.load({ ...misbehave, meta: { ...misbehave.meta, config: { ...misbehave.meta.config, pool: { minWarm: 0, maxWarm: 1 } } } })
    expect(errorOf(() => rt.invokeSync('misbehave', { path: '/trap' })).code).toBe('TRAP') // ran on the instance load warmed
    expect(rt.stats().functions.misbehave!.pool.ready + rt.stats().functions.misbehave!.pool.dirty).toBe(0)
    rt.invokeSync('misbehave', { path: '/count' }) // nothing ready: host-warm
    rt.invokeSync('misbehave', { path: '/count' }) // the instance that one returned: warm
    expect(rt.stats().functions.misbehave!.starts).toEqual({ warm: 2, hostwarm: 1, hostcold: 0 })
  })

  it('loads a new version in place of the old one', async () => {
    const rt = createRuntime()
    rt.load(hello)
    expect(text(rt.invokeSync('hello', { query: 'name=v1' }).body)).toBe('Hello, v1!\n')
    const other = await buildEdited('hello', (src) => src.replace('"Hello, "', '"Howdy, "'))
    expect(other.meta.digest).not.toBe(hello.meta.digest) // really another version
    rt.load(other)
    expect(rt.list()).toEqual([{ name: 'hello', digest: other.meta.digest }])
    expect(text(rt.invokeSync('hello', { query: 'name=v2' }).body)).toBe('Howdy, v2!\n')
  })
})
