// FunctionActivity's per-minute peak concurrency equals a brute-force count on random invocations,
// including invocations that start in the same millisecond; its windowed average concurrency stays
// within its bucket resolution of the exact integral.
import { describe, expect, it } from 'vitest'
import { FunctionActivity } from '../../scheduler/activity.js'
import { mulberry32 } from '../../kernels/topology/random-graph.js'

describe('FunctionActivity peaks', () => {
  it('match a brute-force count', () => {
    const rnd = mulberry32(7)
    const starts: number[] = []
    let t = 0
    for (let i = 0; i < 3000; i++) {
      t += rnd() < 0.2 ? 0 : Math.floor(rnd() * 400)
      starts.push(t)
    }
    const durations = starts.map(() => (rnd() < 0.1 ? 0 : Math.floor(rnd() * 3000)))
    const a = new FunctionActivity()
    starts.forEach((s, i) => a.record(s, durations[i]!))
    const expected: number[] = []
    starts.forEach((s, i) => {
      let running = 1
      for (let j = 0; j < i; j++) if (starts[j]! < s && starts[j]! + durations[j]! > s) running++
      const m = Math.floor(s / 60_000)
      expected[m] = Math.max(expected[m] ?? 0, running)
    })
    expect(a.peaks).toEqual(Array.from(expected, (v) => v ?? 0))
  })
})

describe('FunctionActivity average concurrency', () => {
  it('matches the exact busy-time integral within two buckets at the edges, and keeps memory to the window', () => {
    const rnd = mulberry32(11)
    const windowMs = 60_000
    const a = new FunctionActivity({ windowMs })
    const intervals: Array<[number, number]> = []
    let t = 1_000_000.25
    for (let i = 0; i < 40_000; i++) {
      t += rnd() * 20
      const d = rnd() < 0.05 ? rnd() * 5_000 : rnd() * 3
      a.record(t, d)
      intervals.push([t, t + d])
      if (i % 4000 === 3999) {
        for (const w of [windowMs, 6_000]) {
          const now = t + rnd() * 10
          const from = now - w
          let exact = 0
          let maxOverlap = 0
          for (const [s, e] of intervals) {
            if (s >= now) continue
            const o = Math.min(e, now) - Math.max(s, from)
            if (o > 0) exact += o
            if (s <= now && e > from) maxOverlap++
          }
          const bucket = windowMs / 3000
          const got = a.averageConcurrency(now, w)
          // Each edge bucket's error is at most its whole busy time; bounded by the invocations overlapping it.
          expect(Math.abs(got * w - exact)).toBeLessThanOrEqual(2 * bucket * Math.min(maxOverlap, 200))
          expect(got * w).toBeGreaterThan(0.97 * exact)
          expect(got * w).toBeLessThan(1.03 * exact)
        }
      }
    }
    // Only the window's buckets (plus a tenth, plus long invocations' tails) are kept.
    expect((a as unknown as { busy: Map<number, number> }).busy.size).toBeLessThanOrEqual(3000 * 1.1 + 2 + Math.ceil(5_000 / 20))
  })
})
