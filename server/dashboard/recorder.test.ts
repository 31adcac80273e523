import { describe, expect, it } from 'vitest'
import { createRuntime } from '@jaegis/runtime'
import { EwmaForecaster } from '@jaegis/scheduler'
import { DURATION_BUCKETS_S, Metrics } from '../metrics.js'
import { DashboardRecorder, quantileMs } from './recorder.js'

const invoke = (m: Metrics, fn: string, durationMs: number, errorCode?: string) =>
  m.observe({ function: fn, digest: 'd', start: 'warm', startMs: 0, durationMs, ...(errorCode ? { errorCode } : {}) } as Parameters<Metrics['observe']>[0])

describe('dashboard recorder', () => {
  it('reads quantiles from histogram buckets as histogram_quantile does', () => {
    const b = new Array(DURATION_BUCKETS_S.length + 1).fill(0)
    expect(quantileMs(b, 0.5)).toBeNull()
    b[DURATION_BUCKETS_S.indexOf(0.001)] = 10 // ten in (0.5 ms, 1 ms]
    expect(quantileMs(b, 0.5)).toBeCloseTo(0.75, 9)
    expect(quantileMs(b, 0.99)).toBeCloseTo(0.995, 9)
    b[b.length - 1] = 90 // beyond the last bound: the last bound
    expect(quantileMs(b, 0.99)).toBe(10_000)
  })

  it('samples per-interval deltas, keeps bounded rings, and pairs forecasts with what happened', () => {
    const runtime = createRuntime()
    const metrics = new Metrics(runtime)
    const r = new DashboardRecorder(metrics, runtime, undefined, { keepSamples: 3, forecastBucketMs: 1000, minActiveBuckets: 2, forecaster: new EwmaForecaster() })
    for (let i = 0; i < 4; i++) invoke(metrics, 'a', 2)
    metrics.gatewayError('a', 'BODY_TOO_LARGE')
    r.sample(10_000)
    invoke(metrics, 'a', 2, 'TRAP')
    r.sample(12_000)
    let v = r.view()[0]!
    expect(v.samples.map((s) => [s.invocations, s.ratePerS])).toEqual([[4, 4 / 5], [1, 0.5]])
    expect(v.samples[0]!.errors).toEqual({ BODY_TOO_LARGE: 1 })
    expect(v.samples[1]!.errors).toEqual({ TRAP: 1 })
    expect(v.totals).toMatchObject({ invocations: 5, errors: { BODY_TOO_LARGE: 1, TRAP: 1 }, starts: { warm: 5 } })
    for (let t = 13_000; t < 20_000; t += 1000) r.sample(t)
    expect(r.view()[0]!.samples).toHaveLength(3)

    r.closeBucket(1000) // 5 so far
    invoke(metrics, 'a', 2)
    r.closeBucket(2000) // 1: two active buckets, so the next is forecast
    v = r.view()[0]!
    expect(v.forecast.map((p) => p.observedPerMin)).toEqual([300, 60, null])
    const f = v.forecast[2]!
    expect(f.model).toBe('ewma')
    expect(f.lowerPerMin!).toBeLessThanOrEqual(f.meanPerMin!)
    expect(f.upperPerMin!).toBeGreaterThanOrEqual(f.meanPerMin!)
    invoke(metrics, 'a', 2)
    invoke(metrics, 'a', 2)
    r.closeBucket(3000)
    expect(r.view()[0]!.forecast[2]).toMatchObject({ tMs: 2000, observedPerMin: 120, meanPerMin: f.meanPerMin })
    runtime.close()
  })
})
