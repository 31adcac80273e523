// The simulator's accounting on hand-made traces (cold starts, idle GB-s, p99), and the policies on the
// shared Azure trace: the predictive policy must beat both baselines as docs/scheduler.md reports.
import { SHARED_DATA } from '../shared-data.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../kernels/wasm-path.js'
import { FixedKeepAlivePolicy, HybridHistogramPolicy, loadTrace, parseTrace, simulate, simulateFunction, type TraceFunction } from '../../scheduler/index.js'

const AZ = join(SHARED_DATA, 'azure-functions')

function perInvocation(startsS: number[], durationS = 1): TraceFunction {
  return { id: 'f', app: 'a', startsMs: Float64Array.from(startsS, (s) => s * 1000), durationsMs: new Float64Array(startsS.length).fill(durationS * 1000) }
}

describe('simulator accounting', () => {
  it('fixed 10 min: one invocation every 5 min is cold once; every 15 min is always cold', () => {
    const every5 = perInvocation(Array.from({ length: 12 }, (_, i) => 30 + i * 300))
    const r5 = simulateFunction(every5, new FixedKeepAlivePolicy().forFunction('f'), 60_000, 3_600_000, {})
    expect(r5.invocations).toBe(12)
    expect(r5.coldLatencies.length).toBe(1)
    const every15 = perInvocation(Array.from({ length: 4 }, (_, i) => 30 + i * 900))
    expect(simulateFunction(every15, new FixedKeepAlivePolicy().forFunction('f'), 60_000, 3_600_000, {}).coldLatencies.length).toBe(4)
  })

  it('counts idle memory from the end of an invocation to eviction', () => {
    // One 1 s invocation at 30 s, cold start 40 ms: busy until 31.04 s, evicted 10 min later.
    const r = simulateFunction(perInvocation([30]), new FixedKeepAlivePolicy().forFunction('f'), 60_000, 3_600_000, { coldStartMs: 40 })
    expect(r.wastedMs).toBeCloseTo(600_000, 6)
    const rep = simulate({ format: 'azure2021', minutes: 60, functions: [perInvocation([30])], source: 't' }, new FixedKeepAlivePolicy(), { memoryMb: 1024 })
    expect(rep.wasted_gb_s).toBeCloseTo(600, 6) // 600 s x 1 GiB
    expect(rep.coldStarts).toBe(1)
  })

  it('stops counting at the end of the trace', () => {
    const r = simulateFunction(perInvocation([30]), new FixedKeepAlivePolicy({ keepAliveMinutes: 60 }).forFunction('f'), 60_000, 120_000, { coldStartMs: 0 })
    expect(r.wastedMs).toBeCloseTo(120_000 - 31_000, 6)
  })

  it('needs one instance per overlapping invocation (concurrency), each cold the first time', () => {
    const r = simulateFunction(perInvocation([10, 10.1, 10.2, 10.3, 10.4], 5), new FixedKeepAlivePolicy().forFunction('f'), 60_000, 600_000, {})
    expect(r.coldLatencies.length).toBe(5)
    const again = simulateFunction(perInvocation([10, 10.1, 10.2, 10.3, 10.4, 100, 100.1, 100.2], 5), new FixedKeepAlivePolicy().forFunction('f'), 60_000, 600_000, {})
    expect(again.coldLatencies.length).toBe(5)
  })

  it('p99 of added start latency: warm unless more than 1% of invocations were cold', () => {
    const starts = Array.from({ length: 200 }, (_, i) => 10 + i * 5)
    const rep = simulate({ format: 'azure2021', minutes: 20, functions: [perInvocation(starts)], source: 't' }, new FixedKeepAlivePolicy(), { coldStartMs: 40, warmStartMs: 0.05 })
    expect(rep.coldStarts).toBe(1)
    expect(rep.p99_added_start_ms).toBe(0.05)
    const sparse = simulate({ format: 'azure2021', minutes: 200, functions: [perInvocation([10, 3000, 6000])], source: 't' }, new FixedKeepAlivePolicy(), { coldStartMs: 40 })
    expect(sparse.p99_added_start_ms).toBe(40)
  })

  it('the histogram policy pre-warms a periodic function once it has learned the period', () => {
    const counts = new Array(24 * 60).fill(0)
    for (let m = 5; m < counts.length; m += 30) counts[m] = 1 // every 30 min: past fixed's 10-min keep-alive
    const t = parseTrace(`HashFunction,HashOwner,HashApp,${counts.map((_, i) => `${i + 1}_minute`).join(',')}\np,o,a,${counts.join(',')}\n`)
    const hist = simulate(t, new HybridHistogramPolicy())
    const fixed = simulate(t, new FixedKeepAlivePolicy())
    expect(fixed.coldStarts).toBe(48)
    expect(hist.coldStarts).toBeLessThanOrEqual(2)
    expect(hist.prewarms).toBeGreaterThan(30)
    expect(hist.wasted_gb_s).toBeLessThan(fixed.wasted_gb_s * 1.5)
  })
})

describe('policies on the shared Azure 2019 trace (100 functions, one day)', () => {
  // The issue-15 goal of <= 0.8x histogram's cold starts holds on the whole day at the cross-validated default (0.67x)
  // and on the even-hash half, not on the odd-hash (held-out) half (1.34x; docs/scheduler.md).
  it("predictive: <= 0.5x the cold starts of fixed(10 min), <= 0.8x histogram's, at no more wasted memory than either", async () => {
    const trace = await loadTrace(join(AZ, 'azure2019_100fn_per_minute.csv'))
    const { runPolicies } = await import('../../scheduler/index.js')
    const r = runPolicies(trace, ['fixed', 'histogram', 'predictive'])
    expect(r.predictive.coldStarts).toBeLessThanOrEqual(0.5 * r.fixed.coldStarts)
    expect(r.predictive.coldStarts).toBeLessThanOrEqual(0.8 * r.histogram.coldStarts)
    expect(r.predictive.wasted_gb_s).toBeLessThanOrEqual(r.fixed.wasted_gb_s)
    expect(r.predictive.wasted_gb_s).toBeLessThanOrEqual(r.histogram.wasted_gb_s)
    // Every policy sees every invocation.
    expect(new Set(Object.values(r).map((x) => x.invocations))).toEqual(new Set([65438]))
  }, 300_000) // a whole day of 100 functions through three policies: ~20 s alone, minutes on a busy machine
})
