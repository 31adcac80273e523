// The contract every scaling policy keeps (hono-style shared case): valid targets with explanations,
// determinism, scale to zero, and no peeking: a decision at time t is the same whether or not the trace
// after t exists. Runs fixed, histogram and predictive (with the forecast kernel and with the EWMA forecaster).
import { SHARED_DATA } from '../shared-data.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../kernels/wasm-path.js'
import {
  EtsForecaster, EwmaForecaster, FixedKeepAlivePolicy, HybridHistogramPolicy, loadTrace, PredictivePolicy, simulateFunction,
  type PoolTarget, type ScalingPolicy, type Trace, type TraceFunction,
} from '../../scheduler/index.js'

const TRACE = join(SHARED_DATA, 'azure-functions', 'azure2019_100fn_per_minute.csv')

const policies: [string, () => ScalingPolicy][] = [
  ['fixed', () => new FixedKeepAlivePolicy()],
  ['histogram', () => new HybridHistogramPolicy()],
  ['predictive (ETS kernel)', () => new PredictivePolicy({ forecaster: new EtsForecaster() })],
  ['predictive (EWMA)', () => new PredictivePolicy({ forecaster: new EwmaForecaster() })],
]

function truncate(f: TraceFunction, minutes: number): TraceFunction {
  return { ...f, minuteCounts: f.minuteCounts!.slice(0, minutes) }
}

function decisions(policy: ScalingPolicy, f: TraceFunction, minutes: number): [number, PoolTarget][] {
  const out: [number, PoolTarget][] = []
  simulateFunction(f, policy.forFunction(f.id), policy.decisionIntervalMs, minutes * 60_000, { onDecision: (_, t, target) => out.push([t, target]) })
  return out
}

let trace: Trace
// A few real functions of different shapes: the busiest (periodic bursts), a steady one, a sparse one.
function sample(): TraceFunction[] {
  const byTotal = [...trace.functions].sort((a, b) => sum(b) - sum(a))
  return [byTotal[0], byTotal.find((f) => sum(f) === 4352)!, byTotal.find((f) => sum(f) === 96)!]
}
const sum = (f: TraceFunction) => f.minuteCounts!.reduce((a, b) => a + b, 0)

describe.each(policies)('%s keeps the policy contract', (_, make) => {
  it('answers integer targets >= 0, keep-alives >= 0 and an explanation', async () => {
    trace ??= await loadTrace(TRACE)
    for (const f of sample()) {
      for (const [t, target] of decisions(make(), truncate(f, 240), 240)) {
        expect(Number.isInteger(target.warm) && target.warm >= 0).toBe(true)
        expect(target.keepAliveMs).toBeGreaterThanOrEqual(0)
        if (target.prewarmAtMs !== undefined) expect(target.prewarmAtMs).toBeGreaterThanOrEqual(t)
        expect(['fixed', 'forecast', 'histogram', 'burst', 'fallback']).toContain(target.explanation.decidedBy)
        expect(target.explanation.summary.length).toBeGreaterThan(10)
      }
    }
  })

  it('never reads the future: decisions before minute t are identical with the trace cut at t', async () => {
    trace ??= await loadTrace(TRACE)
    for (const f of sample()) {
      const full = decisions(make(), truncate(f, 300), 300)
      const cut = decisions(make(), truncate(f, 200), 200)
      expect(cut.length).toBeGreaterThan(0)
      expect(JSON.stringify(full.slice(0, cut.length))).toBe(JSON.stringify(cut))
    }
  })

  it('is deterministic', async () => {
    trace ??= await loadTrace(TRACE)
    const f = sample()[0]
    expect(JSON.stringify(decisions(make(), truncate(f, 120), 120))).toBe(JSON.stringify(decisions(make(), truncate(f, 120), 120)))
  })

  it('scales to zero after a long idle time', () => {
    const counts = new Uint32Array(600)
    for (let m = 0; m < 60; m += 3) counts[m] = 2 // active for an hour, then idle for nine
    const f: TraceFunction = { id: 'idle', app: 'a', minuteCounts: counts }
    const d = decisions(make(), f, 600)
    const last = d[d.length - 1][1]
    expect(last.warm).toBe(0)
  })
})
