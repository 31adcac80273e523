// FunctionActivity's per-minute peak concurrency equals a brute-force count on random invocations,
// including invocations that start in the same millisecond.
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
