// The pool's contract, the same for every kind, checked with a strategy that only counts: start
// kinds, the reset off the request path, bounds, error counting and the per-invocation deadline.
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import type { FunctionConfig } from '../artifact.js'
import { SliceExpiredError, TimeoutError } from '../errors.js'
import type { Deadline } from '../instance.js'
import { LANE_POLICY } from '../lanes/policy.js'
import { InstancePool } from './instance-pool.js'
import type { SpareMemories } from './spare-memories.js'
import type { AfterRun, InstanceStrategy } from './strategy.js'

interface FakeInstance {
  id: number
  deadline: Deadline
  /** What the deadline was while the last request ran. */
  seen?: Deadline
}

class FakeStrategy implements InstanceStrategy<FakeInstance> {
  readonly noun = 'fake'
  created = 0
  resets = 0
  discarded: number[] = []
  failCreate = false
  failRun: (() => never) | undefined
  resetOk = true
  /** New instances that got a memory a dropped one gave back. */
  recycled = 0
  constructor(readonly afterRun: AfterRun) {}
  create(spares: SpareMemories): FakeInstance {
    if (this.failCreate) throw new Error('no memory left')
    if (spares.take('m')) this.recycled++
    return { id: this.created++, deadline: { deadline: 0, timeoutMs: 0 } }
  }
  run(inst: FakeInstance): { status: number; headers: []; body: Uint8Array } {
    inst.seen = { ...inst.deadline }
    this.failRun?.()
    return { status: 200 + inst.id, headers: [], body: new Uint8Array(0) }
  }
  reset(): boolean {
    this.resets++
    return this.resetOk
  }
  discard(inst: FakeInstance, spares: SpareMemories): void {
    this.discarded.push(inst.id)
    spares.keep('m', new WebAssembly.Memory({ initial: 1 }), 65536)
  }
}

const config = (pool = { minWarm: 1, maxWarm: 2 }): FunctionConfig => ({ name: 'f', limits: { memoryBytes: 1 << 20, timeoutMs: 50, bodyBytes: 1024 }, env: {}, pool, reuse: false, requireKey: false })
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('InstancePool', () => {
  it('starts warm from the pool, host-warm when it is empty, and counts what the caller says', () => {
    const s = new FakeStrategy('discard')
    const pool = new InstancePool(s, config(), 'd')
    expect(s.created).toBe(1)
    expect(pool.invoke({}).start).toBe('warm')
    expect(pool.invoke({}).start).toBe('hostwarm')
    expect(pool.invoke({}, { start: 'hostcold' }).start).toBe('hostcold')
    expect(pool.stats).toEqual({ invocations: 3, errors: {}, starts: { warm: 1, hostwarm: 1, hostcold: 1 }, pool: { ready: 0, dirty: 0, minWarm: 1, maxWarm: 2 } })
    expect(s.discarded).toEqual([0, 1, 2])
  })

  it('resets a used instance after the response, off the request path, and drops one that cannot be reset', async () => {
    const s = new FakeStrategy('reset')
    const pool = new InstancePool(s, config(), 'd')
    pool.invoke({})
    expect(s.resets).toBe(0)
    expect(pool.stats.pool).toMatchObject({ ready: 0, dirty: 1 })
    await tick()
    expect(s.resets).toBe(1)
    expect(pool.stats.pool).toMatchObject({ ready: 1, dirty: 0 })
    expect(pool.invoke({}).start).toBe('warm')
    s.resetOk = false
    await tick()
    expect(s.discarded).toEqual([0])
    expect(pool.lostInstances).toBe(1)
    await tick() // the refill
    expect(pool.stats.pool).toMatchObject({ ready: 1, dirty: 0 })
    // Failures are counted (the lane policy reads them), on and off the request path.
    pool.invoke({})
    pool.invoke({}) // finds the first dirty, fails to reset it on its path, makes one
    await tick()
    expect(pool.lostInstances).toBe(3)
    s.resetOk = true
    pool.invoke({})
    await tick()
    // Leaky: inlineRunsPerLostInstance resets that worked forgive one loss.
    expect(pool.lostInstances).toBe(3)
    for (let i = 1; i < LANE_POLICY.inlineRunsPerLostInstance; i++) {
      pool.invoke({})
      await tick()
    }
    expect(pool.lostInstances).toBe(2)
  })

  it('keeps a reusable instance as it is', () => {
    const s = new FakeStrategy('keep')
    const pool = new InstancePool(s, config(), 'd')
    expect(pool.invoke({}).response.status).toBe(200)
    expect(pool.invoke({}).response.status).toBe(200)
    expect(s.created).toBe(1)
  })

  it('counts and classifies errors, and never reuses an instance that failed', async () => {
    const s = new FakeStrategy('keep')
    const pool = new InstancePool(s, config(), 'd')
    s.failRun = () => {
      throw new WebAssembly.RuntimeError('unreachable')
    }
    expect(() => pool.invoke({})).toThrow(expect.objectContaining({ code: 'TRAP', message: 'wasm trap: unreachable' }))
    s.failRun = () => {
      throw new TimeoutError(50)
    }
    expect(() => pool.invoke({})).toThrow(expect.objectContaining({ code: 'TIMEOUT' }))
    expect(s.discarded).toEqual([0, 1])
    s.failRun = undefined
    s.failCreate = true
    expect(() => pool.invoke({})).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'unexpected error while instantiating the fake: no memory left' }))
    await tick() // a refill that fails off the request path is not thrown anywhere
    expect(pool.stats.errors).toEqual({ TRAP: 1, TIMEOUT: 1, INTERNAL: 1 })
    s.failCreate = false
    await tick()
  })

  it('counts an attempt stopped at its slice as a lost instance, and has none to offer until its fill made one', async () => {
    const s = new FakeStrategy('keep')
    const pool = new InstancePool(s, config({ minWarm: 1, maxWarm: 1 }), 'd')
    expect(pool.available).toBe(1)
    s.failRun = () => {
      throw new SliceExpiredError()
    }
    expect(() => pool.invoke({}, { sliceDeadline: performance.now() })).toThrow(expect.objectContaining({ code: 'SLICE_EXPIRED' }))
    // Not an invocation of its own (the caller re-runs it elsewhere), but a lost instance.
    expect([pool.available, pool.lostInstances, pool.stats.invocations, s.discarded]).toEqual([0, 1, 0, [0]])
    await tick()
    expect([pool.available, s.created]).toEqual([1, 2])
    // A kept instance that answered counts towards forgiving it.
    s.failRun = undefined
    for (let i = 0; i < LANE_POLICY.inlineRunsPerLostInstance; i++) pool.invoke({})
    expect(pool.lostInstances).toBe(0)
  })

  it('sets the deadline and the time slice before every invocation', () => {
    const s = new FakeStrategy('keep')
    const pool = new InstancePool(s, config(), 'd')
    const inst = (pool as unknown as { ready: FakeInstance[] }).ready[0]!
    const t0 = performance.now()
    pool.invoke({}, { sliceDeadline: t0 + 2 })
    expect(inst.seen!.deadline).toBeGreaterThanOrEqual(t0 + 50)
    expect(inst.seen!.timeoutMs).toBe(50)
    expect(inst.seen!.sliceDeadline).toBe(t0 + 2)
    pool.invoke({})
    expect(inst.seen!.sliceDeadline).toBeUndefined()
  })

  it('follows its bounds off the request path, and refuses work once closed', async () => {
    const s = new FakeStrategy('keep')
    const pool = new InstancePool(s, config({ minWarm: 1, maxWarm: 4 }), 'd')
    pool.setPool(3, 2)
    expect(pool.stats.pool).toEqual({ ready: 1, dirty: 0, minWarm: 3, maxWarm: 3 })
    await tick()
    expect(pool.stats.pool.ready).toBe(3)
    pool.setPool(0, 1)
    expect(pool.stats.pool.ready).toBe(1)
    pool.close()
    expect(pool.stats.pool.ready).toBe(0)
    expect(() => pool.invoke({})).toThrow(expect.objectContaining({ code: 'CLOSED' }))
  })

  it('gives the memories of the instances it drops when it shrinks back, instead of keeping them for later', async () => {
    const s = new FakeStrategy('keep')
    const pool = new InstancePool(s, config({ minWarm: 4, maxWarm: 4 }), 'd')
    expect(pool.stats.pool.ready).toBe(4)
    pool.setPool(0, 1)
    expect(s.discarded).toHaveLength(3)
    pool.setPool(4, 4)
    await tick()
    expect(pool.stats.pool.ready).toBe(4)
    expect(s.recycled).toBe(0)
    pool.close()
  })
})
