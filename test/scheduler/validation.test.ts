// The out-of-sample helpers of bench:scheduler: the split by function, reading a curve at a memory, and
// the rule that picks the predictive policy's cold-start cost.
import { describe, expect, it } from 'vitest'
import { chooseColdStartCost, coldStartsAtMemory, splitTrace, type Trace } from '../../scheduler/index.js'

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
})
