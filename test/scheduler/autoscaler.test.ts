// The Autoscaler a server drives: live observations in, targets and explanations out.
import { describe, expect, it } from 'vitest'
import { Autoscaler, EwmaForecaster, FixedKeepAlivePolicy, PredictivePolicy, type PoolTarget, type ScalingPolicy } from '../../scheduler/index.js'

const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000

describe('Autoscaler', () => {
  it('tracks functions, decides targets for all of them, and keeps the latest decision for explain', () => {
    const a = new Autoscaler({ policy: new FixedKeepAlivePolicy({ keepAliveMinutes: 5 }) })
    a.track('idle')
    a.recordInvocation('busy', T0 + 1000, 200)
    const all = a.decideAll(T0 + MIN)
    expect([...all.keys()].sort()).toEqual(['busy', 'idle'])
    expect(all.get('busy')!.keepAliveMs).toBe(5 * MIN)
    expect(a.explain('busy')!.decidedAtMs).toBe(T0 + MIN)
    expect(a.explain('busy')!.target.explanation.decidedBy).toBe('fixed')
    expect(a.explain('nope')).toBeUndefined()
    expect(a.forget('idle')).toBe(true)
    expect(a.functions()).toEqual(['busy'])
  })

  it('drives the predictive policy from per-minute counts: a steady load gets a warm floor from the forecast', () => {
    const a = new Autoscaler({ policy: new PredictivePolicy({ forecaster: new EwmaForecaster() }) })
    for (let m = 0; m < 60; m++) {
      a.recordMinute('api', T0 + m * MIN, 120, 1500) // 2 per second for 1.5 s each: about 3 at once
      a.decide('api', T0 + (m + 1) * MIN)
    }
    const t = a.decide('api', T0 + 60 * MIN)
    expect(t.explanation.decidedBy).toBe('forecast')
    expect(t.warm).toBeGreaterThanOrEqual(2)
    expect(t.explanation.numbers.forecastPerMin).toBeCloseTo(120, 0)
    expect(t.explanation.summary).toMatch(/forecast of 120(\.\d+)? invocations\/min/)
  })

  it('explains a burst: concurrency far above the forecast holds capacity for the stable window', () => {
    const a = new Autoscaler({ policy: new PredictivePolicy({ forecaster: new EwmaForecaster() }) })
    for (let m = 0; m < 30; m++) a.recordMinute('f', T0 + m * MIN, 1, 100)
    a.decide('f', T0 + 30 * MIN)
    const burstAt = T0 + 30 * MIN + 1000
    for (let i = 0; i < 40; i++) a.recordInvocation('f', burstAt + i * 100, 5000) // 40 overlapping 5 s invocations
    const t = a.decide('f', burstAt + 6000)
    expect(t.explanation.decidedBy).toBe('burst')
    expect(t.warm).toBeGreaterThanOrEqual(20)
    expect(t.explanation.numbers.panicking).toBe(true)
    // Still held 30 s later although the burst is over (no scale-down within the stable window).
    expect(a.decide('f', burstAt + 40_000).warm).toBeGreaterThanOrEqual(20)
    // And let go after the stable window.
    expect(a.decide('f', burstAt + 6000 + 61_000 + 60_000).explanation.decidedBy).not.toBe('burst')
  })

  it('accepts invocations reported out of order (they arrive when they end)', () => {
    // A policy that records what the autoscaler feeds it: the contract is start order, nothing lost,
    // nothing at or after the decision time, and a late report counted at the last fed start.
    const fed: Array<[number, number]> = []
    const decidedAt: number[] = []
    const recorder: ScalingPolicy = {
      name: 'recorder', knob: { name: 'none', value: 0, unit: '' }, decisionIntervalMs: 1000,
      forFunction: () => ({
        recordInvocation: (s, d) => { fed.push([s - T0, d]) },
        decide: (now) => { decidedAt.push(now - T0); return { warm: 0, keepAliveMs: 0, explanation: { decidedBy: 'recorder', summary: '', numbers: {} } } as unknown as PoolTarget },
      }),
    }
    const a = new Autoscaler({ policy: recorder })
    a.recordInvocation('f', T0 + 5000, 100)
    a.recordInvocation('f', T0 + 1000, 200)
    a.recordInvocation('f', T0 + 12_000, 300) // starts after the next decision: held back until then
    a.decide('f', T0 + 10_000)
    expect(fed).toEqual([[1000, 200], [5000, 100]])
    a.recordInvocation('f', T0 + 2000, 400) // before one already fed: counted at that one's start
    a.decide('f', T0 + 20_000)
    expect(fed).toEqual([[1000, 200], [5000, 100], [5000, 400], [12_000, 300]])
    expect(decidedAt).toEqual([10_000, 20_000])
    // And with a real policy, the same invocations in either order give the same decision.
    const inOrder = new Autoscaler({ policy: new PredictivePolicy({ forecaster: new EwmaForecaster() }) })
    const reversed = new Autoscaler({ policy: new PredictivePolicy({ forecaster: new EwmaForecaster() }) })
    const starts = Array.from({ length: 50 }, (_, i) => T0 + i * 900)
    for (const s of starts) inOrder.recordInvocation('f', s, 2500)
    for (const s of [...starts].reverse()) reversed.recordInvocation('f', s, 2500)
    const none = new Autoscaler({ policy: new PredictivePolicy({ forecaster: new EwmaForecaster() }) })
    const decision = inOrder.decide('f', T0 + MIN)
    expect(reversed.decide('f', T0 + MIN)).toEqual(decision)
    expect(none.decide('f', T0 + MIN)).not.toEqual(decision) // the invocations were counted at all
  })

  it('rejects bad observations', () => {
    const a = new Autoscaler()
    expect(() => a.recordInvocation('f', NaN, 1)).toThrow(RangeError)
    expect(() => a.recordMinute('f', T0, -1)).toThrow(/integer >= 0/)
  })
})
