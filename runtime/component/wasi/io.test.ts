import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { blockHook, withBoundedWaits } from './io.js'

describe('withBoundedWaits', () => {
  it('stops a blocking wait that would pass an inline attempt’s slice at once, instead of sleeping on the gateway thread', () => {
    const now = performance.now()
    const t0 = performance.now()
    const run = () => withBoundedWaits({ deadline: now + 5_000, timeoutMs: 5_000, sliceDeadline: now + 2 }, () => blockHook.current(200))
    expect(run).toThrow(expect.objectContaining({ code: 'SLICE_EXPIRED' }))
    expect(performance.now() - t0).toBeLessThan(100)
  })

  it('sleeps a short wait and stops one past the deadline with TIMEOUT (no slice: a lane)', () => {
    const now = performance.now()
    expect(withBoundedWaits({ deadline: now + 5_000, timeoutMs: 5_000 }, () => (blockHook.current(1), 'slept'))).toBe('slept')
    expect(() => withBoundedWaits({ deadline: performance.now() + 5, timeoutMs: 5 }, () => blockHook.current(50))).toThrow(expect.objectContaining({ code: 'TIMEOUT' }))
  })
})
