// Fresh state for components without `[instance] reuse`: a used instance is reset to its
// post-instantiation state (memories, mutable globals, jco's resource tables), and nothing of one
// request is visible to the next. The counter fixture counts in a wasm global, in linear memory and in
// the resource table, and reports what a fresh malloc holds.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type FunctionConfig, type LogEntry } from '../runtime/index.js'
import { buildComponentArtifact } from '../compiler/component/index.js'
import { FIXTURES, compileCCommandComponent, compileCHttpComponent, testConfig, text, wasiClangMissing } from './components-helpers.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

function serve(wasm: Uint8Array, config: FunctionConfig) {
  return buildComponentArtifact({ wasm, config }).then(({ artifact }) => {
    const logs: LogEntry[] = []
    const rt = createRuntime({ onLog: (e) => logs.push(e) })
    rt.load(artifact)
    return { rt, logs }
  })
}

const missing = wasiClangMissing()
if (missing) console.warn(`skipping the component reset test: ${missing}`)

describe.skipIf(missing !== undefined)('a component without reuse', () => {
  let wasm: Uint8Array
  beforeAll(async () => {
    wasm = await compileCHttpComponent(join(FIXTURES, 'c-counter', 'counter.c'))
  })

  it('counts across requests when it opts into reuse (the fixture does keep state)', async () => {
    const { rt } = await serve(wasm, testConfig('counter', { reuse: true }))
    const first = text(rt.invokeSync('counter', { path: '/one' }).body)
    const second = text(rt.invokeSync('counter', { path: '/two' }).body)
    expect(first).toMatch(/^global=1 memory=1 handle=(\d+) heap=\.{16} /)
    expect(second).toMatch(/^global=2 memory=2 /)
    expect(/handle=(\d+)/.exec(second)![1]).not.toBe(/handle=(\d+)/.exec(first)![1])
    rt.close()
  })

  it('sees nothing of earlier requests: global, memory, resource handles and heap start over, on the same instance', async () => {
    const { rt, logs } = await serve(wasm, testConfig('counter', { pool: { minWarm: 1, maxWarm: 1 } }))
    const answers: string[] = []
    for (let i = 0; i < 6; i++) {
      answers.push(text(rt.invokeSync('counter', { path: `/secret-${i}` }).body))
      // Every other request finds its instance still dirty (reset on the request path), the others after the reset off it.
      if (i % 2 === 0) await tick()
    }
    expect(answers[0]).toMatch(/^global=1 memory=1 handle=\d+ heap=\.{16} scratch=/)
    expect(new Set(answers).size).toBe(1)
    expect(answers.join('')).not.toContain('secret')
    const stats = rt.stats().functions.counter!
    // One instance made at load, none since: every request after the first got it reset.
    expect(stats.starts).toMatchObject({ warm: 6, hostwarm: 0 })
    expect(logs.filter((l) => /not reset/.test(l.message))).toEqual([])
    rt.close()
  })

  it('is replaced, not reset, after a trap or when its memory grew, and the next request still starts fresh', async () => {
    const { rt } = await serve(wasm, testConfig('counter', { pool: { minWarm: 1, maxWarm: 1 } }))
    expect(text(rt.invokeSync('counter', { path: '/grow' }).body)).toMatch(/^global=1 memory=1 /)
    expect(rt.stats().functions.counter!.pool).toMatchObject({ ready: 0, dirty: 1 })
    // The grown instance cannot be reset: this request gets a new one on its path.
    expect(text(rt.invokeSync('counter', { path: '/after-grow' }).body)).toMatch(/^global=1 memory=1 handle=\d+ heap=\.{16} /)
    expect(rt.stats().functions.counter!.starts.hostwarm).toBe(1)
    expect(() => rt.invokeSync('counter', { path: '/trap' })).toThrow(expect.objectContaining({ code: 'TRAP' }))
    await tick()
    expect(text(rt.invokeSync('counter', { path: '/after-trap' }).body)).toMatch(/^global=1 memory=1 handle=\d+ heap=\.{16} /)
    rt.close()
  })
})

describe.skipIf(missing !== undefined)('what the host wrote into a component instance', () => {
  // Resets restore only the chunks a request wrote (runtime/component/dirty.ts); the host's own writes
  // (jco's glue lowering a string into memory the guest's realloc returned, or results into the return
  // area the guest passed) must be among them, or the next request on the instance could read them.
  let wasm: Uint8Array
  beforeAll(async () => {
    wasm = await compileCHttpComponent(join(FIXTURES, 'c-peek', 'peek.c'), { initialMemoryBytes: 4 << 20 })
  })
  // About 300 KB: it spans chunks (128 KiB for this 4 MiB memory) that only the host writes.
  const secretPath = `/${'SECRET'.repeat(50_000)}`

  it('stays visible with reuse (the fixture sees what the host wrote)', async () => {
    const { rt } = await serve(wasm, testConfig('peek', { reuse: true, memoryMib: 16 }))
    expect(text(rt.invokeSync('peek', { path: secretPath }).body)).toBe('kept 300001 bytes')
    expect(text(rt.invokeSync('peek', { path: '/peek' }).body)).toMatch(/^found at \d+ far=01(?!0{22})[0-9a-f]{22}$/)
    rt.close()
  })

  it('is gone at the next request without reuse: the string lowered into guest memory, and the return area', async () => {
    const { rt, logs } = await serve(wasm, testConfig('peek', { memoryMib: 16, pool: { minWarm: 1, maxWarm: 1 } }))
    for (const offPath of [false, true]) {
      expect(text(rt.invokeSync('peek', { path: secretPath }).body)).toBe('kept 300001 bytes')
      // Reset on the request path (the instance is still dirty), then off it (after a tick).
      if (offPath) await tick()
      expect(text(rt.invokeSync('peek', { path: '/peek' }).body)).toBe(`clean far=${'0'.repeat(24)}`)
      await tick()
    }
    // The same instance every time: it was reset, not replaced.
    expect(rt.stats().functions.peek!.starts).toMatchObject({ warm: 4, hostwarm: 0 })
    expect(logs.filter((l) => /not reset|restore the whole memory/.test(l.message))).toEqual([])
    rt.close()
  })
})

describe.skipIf(missing !== undefined)('a command component (wasi:cli/run)', () => {
  let wasm: Uint8Array
  beforeAll(async () => {
    wasm = await compileCCommandComponent(join(FIXTURES, 'c-command', 'counter.c'))
  })

  // Whatever `reuse` says: a command's run starts from the post-instantiation state (CGI).
  for (const reuse of [false, true]) {
    it(`runs every request from its post-instantiation state, on the same instance (reuse = ${reuse})`, async () => {
      const { artifact } = await buildComponentArtifact({ wasm, config: testConfig('cmd', { reuse, pool: { minWarm: 1, maxWarm: 1 } }) })
      expect(artifact.meta.component!.world).toBe('cgi')
      const logs: LogEntry[] = []
      const rt = createRuntime({ onLog: (e) => logs.push(e) })
      rt.load(artifact)
      const answers: string[] = []
      for (let i = 0; i < 6; i++) {
        const res = rt.invokeSync('cmd', { path: `/secret-${i}` })
        expect(res.status).toBe(200)
        // This run's own environment (CGI variables are set per run), nothing of the last one's.
        expect(text(res.body)).toMatch(new RegExp(`path=/secret-${i}\n$`))
        answers.push(text(res.body).replace(/path=\S*/, ''))
        // Every other request finds its instance still dirty (reset on the request path), the others after the reset off it.
        if (i % 2 === 0) await tick()
      }
      expect(answers[0]).toMatch(/^global=1 memory=1 handle=\d+ heap=\.{16} /)
      expect(new Set(answers).size).toBe(1)
      // One instance made at load, none since: every request after the first got it reset.
      expect(rt.stats().functions.cmd!.starts).toMatchObject({ warm: 6, hostwarm: 0 })
      expect(logs.filter((l) => l.level === 'warn' || /not reset/.test(l.message))).toEqual([])
      rt.close()
    })
  }

  it('is reset after a non-zero exit, and replaced when its memory grew; the next run starts fresh either way', async () => {
    const { artifact } = await buildComponentArtifact({ wasm, config: testConfig('cmd', { pool: { minWarm: 1, maxWarm: 1 } }) })
    const rt = createRuntime()
    rt.load(artifact)
    const fresh = /^global=1 memory=1 handle=\d+ heap=\.{16} path=/
    const exited = rt.invokeSync('cmd', { path: '/exit' })
    expect([exited.status, text(exited.body)]).toEqual([500, expect.stringMatching(fresh)])
    expect(text(rt.invokeSync('cmd', { path: '/after-exit' }).body)).toMatch(fresh)
    expect(rt.stats().functions.cmd!.starts.hostwarm).toBe(0)
    expect(text(rt.invokeSync('cmd', { path: '/grow' }).body)).toMatch(fresh)
    // The grown instance cannot be reset: this request gets a new one on its path.
    expect(text(rt.invokeSync('cmd', { path: '/after-grow' }).body)).toMatch(fresh)
    expect(rt.stats().functions.cmd!.starts.hostwarm).toBe(1)
    rt.close()
  })

  it('is replaced every time when its first malloc grows the memory (the linker default), and still starts fresh', async () => {
    const growing = await compileCCommandComponent(join(FIXTURES, 'c-command', 'counter.c'), { initialMemoryBytes: 0 })
    const { artifact } = await buildComponentArtifact({ wasm: growing, config: testConfig('cmd', { pool: { minWarm: 1, maxWarm: 1 } }) })
    const rt = createRuntime()
    rt.load(artifact)
    for (let i = 0; i < 3; i++) expect(text(rt.invokeSync('cmd', { path: `/n${i}` }).body)).toMatch(/^global=1 memory=1 handle=\d+ heap=\.{16} /)
    expect(rt.stats().functions.cmd!.starts).toMatchObject({ warm: 1, hostwarm: 2 })
    rt.close()
  })
})

describe('the Rust wasi:http component from runwasi (third-party fixture)', () => {
  const RUST_HELLO = join(FIXTURES, 'third-party', 'hello-wasi-http.wasm')

  it('is the binary ORIGIN.md describes', () => {
    expect(createHash('sha256').update(readFileSync(RUST_HELLO)).digest('hex')).toBe('a6b989c8bf787a46c9c51d96256c4007885314434a0a1551aca64893ac89f22b')
  })

  it('answers as under wasmtime, fresh state by reset, with and without reuse', async () => {
    const wasm = readFileSync(RUST_HELLO)
    for (const reuse of [false, true]) {
      const { rt, logs } = await serve(wasm, testConfig('rust-hello', { reuse, pool: { minWarm: 1, maxWarm: 2 } }))
      for (let i = 0; i < 4; i++) {
        const res = rt.invokeSync('rust-hello', { path: '/' })
        expect([res.status, text(res.body)]).toEqual([200, 'Hello, this is your first wasi:http/proxy world!\n'])
        await tick()
      }
      expect(rt.stats().functions['rust-hello']!.starts.hostwarm).toBe(0)
      expect(logs.filter((l) => l.level !== 'info')).toEqual([])
      rt.close()
    }
  })
})
