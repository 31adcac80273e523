// The out-of-sample helpers of bench:scheduler: the split by function, reading a curve at a memory, and
// the rule that picks the predictive policy's cold-start cost.
import { describe, expect, it } from 'vitest'
import { chooseColdStartCost, chooseColdStartCostRobust, coldStartsAtMemory, splitTrace, type FunctionTally, type Trace } from '../../scheduler/index.js'

describe('out-of-sample helpers', () => {
  it('splits a trace into two disjoint halves that cover it', () => {
    const t: Trace = { format: 'azure2021', minutes: 1, source: 't', functions: Array.from({ length: 50 }, (_, i) => ({ id: `f${i}`, app: 'a' })) }
    const a = splitTrace(t, 'tune').functions.map((f) => f.id)
    const b = splitTrace(t, 'test').functions.map((f) => f.id)
    expect(a.length + b.length).toBe(50)
    expect(a.filter((x) => b.includes(x))).toEqual([])
    expect(a.length).toBeGreaterThan(10)
    expect(b.length).toBeGreaterThan(10)
  })

  it('reads a curve at a memory, log-linearly, and never extrapolates', () => {
    const pts = [{ knob: 1, coldStartPct: 4, wastedGbS: 100 }, { knob: 2, coldStartPct: 1, wastedGbS: 300 }]
    expect(coldStartsAtMemory(pts, 200)).toBeCloseTo(2, 12)
    expect(coldStartsAtMemory(pts, 100)).toBeCloseTo(4, 12)
    expect(coldStartsAtMemory(pts, 50)).toBeNull()
    expect(coldStartsAtMemory(pts, 301)).toBeNull()
  })

  it('chooses the fewest cold starts within both caps', () => {
    const pts = [{ knob: 10, coldStartPct: 3, wastedGbS: 90 }, { knob: 50, coldStartPct: 2, wastedGbS: 100 }, { knob: 250, coldStartPct: 1, wastedGbS: 120 }]
    expect(chooseColdStartCost(pts, 110, 5)).toBe(50)
    expect(chooseColdStartCost(pts, 130, 5)).toBe(250)
    expect(chooseColdStartCost(pts, 95, 2.5)).toBeNull()
  })

  it('chooses a cost only if it keeps the caps on resampled functions, not just on the totals', () => {
    // 20 functions; fixed holds 100 GB-s and has 10 cold starts on each; the histogram holds more
    const fns = (f: (i: number) => FunctionTally) => Array.from({ length: 20 }, (_, i) => f(i))
    const fixed = fns(() => ({ cold: 10, invocations: 100, gbS: 100 }))
    const hist = fns(() => ({ cold: 5, invocations: 100, gbS: 300 }))
    // cost 50: 0.9x fixed's memory on every function; cost 250: 0.95x of fixed's in total, but one function
    // holds 10x fixed's and the rest half: a resample with that function twice is over the cap
    const cheap = { knob: 50, fns: fns(() => ({ cold: 6, invocations: 100, gbS: 90 })) }
    const skewed = { knob: 250, fns: fns((i) => ({ cold: 3, invocations: 100, gbS: i === 0 ? 1000 : 47 })) }
    expect(skewed.fns.reduce((a, x) => a + x.gbS, 0)).toBeLessThan(20 * 100)
    expect(chooseColdStartCost([cheap, skewed].map((p) => ({ knob: p.knob, coldStartPct: p.fns.reduce((a, x) => a + x.cold, 0) / 20, wastedGbS: p.fns.reduce((a, x) => a + x.gbS, 0) })), 2000, 10)).toBe(250)
    expect(chooseColdStartCostRobust([cheap, skewed], fixed, hist)).toBe(50)
    // the same spread evenly is safe, and has fewer cold starts
    const even = { knob: 250, fns: fns(() => ({ cold: 3, invocations: 100, gbS: 94.65 })) }
    expect(chooseColdStartCostRobust([cheap, even], fixed, hist)).toBe(250)
    expect(chooseColdStartCostRobust([{ knob: 1, fns: fns(() => ({ cold: 11, invocations: 100, gbS: 10 })) }], fixed, hist)).toBeNull()
    expect(() => chooseColdStartCostRobust([cheap], fixed.slice(1), hist)).toThrow(RangeError)
    expect(() => chooseColdStartCostRobust([], [], [])).toThrow(RangeError)
    expect(() => chooseColdStartCostRobust([cheap], fixed, hist, { confidence: 0 })).toThrow(RangeError)
    expect(() => chooseColdStartCostRobust([cheap], fixed, hist, { resamples: 2.5 })).toThrow(RangeError)
  })

  it("reads the memory condition either way: under both baselines, or under histogram's alone", () => {
    const fns = (f: (i: number) => FunctionTally) => Array.from({ length: 20 }, (_, i) => f(i))
    const fixed = fns(() => ({ cold: 10, invocations: 100, gbS: 100 }))
    const hist = fns(() => ({ cold: 5, invocations: 100, gbS: 300 }))
    const lean = { knob: 50, fns: fns(() => ({ cold: 6, invocations: 100, gbS: 90 })) }
    // twice fixed's memory, under histogram's, and fewer cold starts than either baseline
    const rich = { knob: 3000, fns: fns(() => ({ cold: 2, invocations: 100, gbS: 200 })) }
    expect(chooseColdStartCostRobust([lean, rich], fixed, hist)).toBe(50)
    expect(chooseColdStartCostRobust([lean, rich], fixed, hist, { memoryCap: 'histogram' })).toBe(3000)
    expect(chooseColdStartCostRobust([lean, { knob: 9000, fns: fns(() => ({ cold: 1, invocations: 100, gbS: 301 })) }], fixed, hist, { memoryCap: 'histogram' })).toBe(50)
    expect(() => chooseColdStartCostRobust([lean], fixed, hist, { memoryCap: 'fixed' as 'lower' })).toThrow(RangeError)
  })
})
