// Fresh state per request: after any request, the reset (which restores only the chunks the module
// and the host wrote) leaves an instance's memory byte-identical to the snapshot image, for real
// functions, random requests and host writes (request buffers, environment values).
import { beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Runtime } from '../runtime/index.js'
import { buildFunction, text } from './helpers.js'

type Instance = { exports: { memory: WebAssembly.Memory } }
/** The pieces of a loaded function version (an InstancePool with a CoreStrategy) this test looks into. */
interface PoolInternals {
  ready: Instance[]
  dirty: Instance[]
  strategy: { image: { bytes: Uint8Array }; dirtyShift: number | undefined; reset(inst: unknown): boolean }
}

const internals = (runtime: Runtime, name: string) => {
  const pool = (runtime as unknown as { functions: Map<string, PoolInternals> }).functions.get(name)!
  return {
    get ready() {
      return pool.ready
    },
    get dirty() {
      return pool.dirty
    },
    snapshotMemory: pool.strategy.image.bytes,
    get dirtyShift() {
      return pool.strategy.dirtyShift
    },
    reset: (inst: unknown) => pool.strategy.reset(inst),
  }
}

let seed = 7
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n)
const randomText = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + rand(90))).join('')

/** Runs `requests` one by one; after each, resets the instance and compares its memory with the image. */
function checkResets(runtime: Runtime, name: string, requests: Array<Parameters<Runtime['invokeSync']>[1]>): number {
  const host = internals(runtime, name)
  let checked = 0
  for (const req of requests) {
    runtime.invokeSync(name, req)
    const inst = host.dirty.pop()
    if (!inst) continue
    if (!host.reset(inst)) continue // the memory grew: such an instance is dropped, never reused
    expect(Buffer.compare(new Uint8Array(inst.exports.memory.buffer), host.snapshotMemory)).toBe(0)
    host.ready.push(inst)
    checked++
  }
  return checked
}

/** Runs the trial invocations after which a host decides about dirty tracking, and lets it switch. */
async function settle(runtime: Runtime, name: string, req: Parameters<Runtime['invokeSync']>[1]): Promise<void> {
  for (let i = 0; i < 32; i++) runtime.invokeSync(name, req)
  await new Promise((resolve) => setImmediate(resolve))
}

describe('reset to the snapshot', () => {
  // The trial's time bound is lifted: whether tracking pays is timed, and a busy machine must not
  // decide what this suite checks (the policy itself is CoreStrategy's, with its own tests).
  const runtime = createRuntime({ tracking: { trialInvocations: 32, maxMeanMs: 1_000 } })
  beforeAll(async () => {
    for (const name of ['hello', 'echo', 'misbehave']) runtime.load((await buildFunction(name)).artifact)
  }, 120_000)

  it('starts untracked and moves short functions to dirty tracking after the trial', async () => {
    expect(internals(runtime, 'hello').dirtyShift).toBeUndefined()
    // Untracked, the whole image comes back after every request.
    expect(checkResets(runtime, 'hello', [{ query: 'name=a' }, { query: 'name=b' }])).toBe(2)
    await settle(runtime, 'hello', { query: 'name=x' })
    await settle(runtime, 'echo', { method: 'POST', body: '{"a":1}' })
    await settle(runtime, 'misbehave', { path: '/count' })
    expect(internals(runtime, 'hello').dirtyShift).toBeTypeOf('number')
    expect(internals(runtime, 'echo').dirtyShift).toBeTypeOf('number')
    expect(internals(runtime, 'misbehave').dirtyShift).toBeTypeOf('number')
  })

  it('hello: random queries and headers leave no trace', () => {
    const reqs = Array.from({ length: 40 }, () => ({
      query: `name=${encodeURIComponent(randomText(rand(200)))}`,
      headers: Array.from({ length: rand(8) }, (_, i) => [`x-h${i}`, randomText(rand(300))] as [string, string]),
    }))
    expect(checkResets(runtime, 'hello', reqs)).toBe(40)
    expect(text(runtime.invokeSync('hello', { query: 'name=again' }).body)).toBe('Hello, again!\n')
  })

  it('echo: JSON bodies of many sizes leave no trace', () => {
    const reqs = Array.from({ length: 30 }, (_, i) => ({ method: 'POST', body: JSON.stringify({ i, items: Array.from({ length: rand(12) }, () => randomText(rand(30))) }) }))
    expect(checkResets(runtime, 'echo', reqs)).toBe(30)
  })

  it('host writes (environment values) are restored too', () => {
    const reqs = Array.from({ length: 10 }, () => ({ path: '/env', query: 'GREETING' }))
    expect(checkResets(runtime, 'misbehave', reqs)).toBe(10)
    expect(text(runtime.invokeSync('misbehave', { path: '/env', query: 'GREETING' }).body)).toContain('hi from the manifest')
  })

  it('a counter kept in memory starts from the snapshot on every request', () => {
    const first = text(runtime.invokeSync('misbehave', { path: '/count' }).body)
    for (let i = 0; i < 5; i++) {
      // Requests in the same tick reuse the instance after an inline reset.
      expect(text(runtime.invokeSync('misbehave', { path: '/count' }).body)).toBe(first)
    }
  })

  it('keeps a function whose memory keeps growing untracked, and still starts every request fresh', async () => {
    const own = createRuntime()
    own.load((await buildFunction('misbehave')).artifact)
    const answers = new Set<string>()
    for (let i = 0; i < 40; i++) answers.add(text(own.invokeSync('misbehave', { path: '/grow' }).body))
    await new Promise((resolve) => setImmediate(resolve))
    expect(internals(own, 'misbehave').dirtyShift).toBeUndefined()
    expect([...answers]).toEqual(['1']) // a fresh array on every request
    expect(checkResets(own, 'misbehave', Array.from({ length: 5 }, () => ({ path: '/env', query: 'GREETING' })))).toBe(5)
    own.close()
  }, 120_000)
})
