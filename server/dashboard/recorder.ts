// What the dashboard draws, recorded server-side in bounded rings: every `sampleMs` each function's
// rate, latency quantiles, errors, starts and pool against the autoscaler's target (from the same
// counters /metrics renders); every `forecastBucketMs` its observed count and the forecast kernel's
// one-step-ahead prediction with its interval. Serving it over HTTP is routes.ts's job.
import { EtsForecaster, type Forecaster } from '@jaegis/scheduler'
import { DURATION_BUCKETS_S, type FunctionCounters, type Metrics } from '../metrics.js'
import type { Runtime } from '@jaegis/runtime'
import type { PoolDriver } from '../scheduling.js'

export interface RecorderOptions {
  /** Interval between samples (ms). @default 5000 */
  sampleMs?: number
  /** Samples kept per function. @default 720 (an hour at 5 s) */
  keepSamples?: number
  /** Width of a forecast bucket (ms): the series the forecast kernel is fitted on. @default 60000 */
  forecastBucketMs?: number
  /** Buckets kept per function (and the longest series a fit sees). @default 360 (six hours of minutes) */
  keepBuckets?: number
  /** Closed buckets with any invocation before a function is forecast. @default 4 */
  minActiveBuckets?: number
  /** Functions recorded (the first seen); more are left out of the dashboard, never out of /metrics. @default 200 */
  maxFunctions?: number
  /** Functions forecast per bucket (the most active in the window): bounds the kernel's work per bucket. @default 50 */
  maxForecastFunctions?: number
  /** Central coverage of the forecast interval. @default 0.9 */
  level?: number
  /** @default new EtsForecaster() (the forecast kernel) */
  forecaster?: Forecaster
}

/** One function over one sample interval. */
export interface Sample {
  tMs: number
  invocations: number
  ratePerS: number
  /** Quantiles of this interval's durations (ms), null without invocations. */
  p50Ms: number | null
  p99Ms: number | null
  errors: Record<string, number>
  starts: Record<string, number>
  /** Instances ready (idle or busy) and the pool's applied target (minWarm). */
  ready: number
  poolTarget: number
  /** The autoscaler's latest target and what decided it; null before its first decision. */
  autoscalerTarget: number | null
  decidedBy: string | null
}

/** One forecast bucket: what was observed in it and what was predicted for it one bucket ahead. */
export interface ForecastPoint {
  tMs: number
  observedPerMin: number | null
  meanPerMin: number | null
  lowerPerMin: number | null
  upperPerMin: number | null
  model: string | null
}

/** One function's view: totals since start, the latest reason, and the rings. */
export interface FunctionView {
  name: string
  totals: { invocations: number; errors: Record<string, number>; starts: Record<string, number>; p50Ms: number | null; p99Ms: number | null }
  reason: string | null
  samples: Sample[]
  forecast: ForecastPoint[]
}

interface Series {
  prev: FunctionCounters | undefined
  counters: FunctionCounters | undefined
  samples: Sample[]
  /** Cumulative invocations at the latest bucket close. */
  bucketBase: number
  forecast: ForecastPoint[]
  reason: string | null
}

/** Keeps the dashboard's time series; `sample()` and `closeBucket()` run on timers after `start()`. */
export class DashboardRecorder {
  readonly sampleMs: number
  readonly forecastBucketMs: number
  private readonly o: Required<Omit<RecorderOptions, 'forecaster'>>
  private readonly forecaster: Forecaster
  private readonly series = new Map<string, Series>()
  private readonly listeners = new Set<(tMs: number, latest: Array<{ name: string; sample: Sample; reason: string | null }>) => void>()
  private timers: NodeJS.Timeout[] = []
  private readonly stopListeners = new Set<() => void>()

  constructor(private readonly metrics: Metrics, private readonly runtime: Runtime, private readonly driver: PoolDriver | undefined, options: RecorderOptions = {}) {
    this.o = {
      sampleMs: options.sampleMs ?? 5000,
      keepSamples: options.keepSamples ?? 720,
      forecastBucketMs: options.forecastBucketMs ?? 60_000,
      keepBuckets: options.keepBuckets ?? 360,
      minActiveBuckets: options.minActiveBuckets ?? 4,
      maxFunctions: options.maxFunctions ?? 200,
      maxForecastFunctions: options.maxForecastFunctions ?? 50,
      level: options.level ?? 0.9,
    }
    this.sampleMs = this.o.sampleMs
    this.forecastBucketMs = this.o.forecastBucketMs
    this.forecaster = options.forecaster ?? new EtsForecaster()
  }

  start(): void {
    this.timers.push(setInterval(() => this.sample(), this.o.sampleMs), setInterval(() => this.closeBucket(), this.o.forecastBucketMs))
    for (const t of this.timers) t.unref()
  }

  /** Stops sampling and tells `onStop` listeners (open event streams end). */
  stop(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    for (const l of this.stopListeners) l()
    this.stopListeners.clear()
  }

  /** Hears `stop()` once; returns the unsubscribe. */
  onStop(fn: () => void): () => void {
    this.stopListeners.add(fn)
    return () => this.stopListeners.delete(fn)
  }

  /** Hears every sample (the SSE stream); returns the unsubscribe. */
  onSample(fn: (tMs: number, latest: Array<{ name: string; sample: Sample; reason: string | null }>) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private entry(name: string): Series | undefined {
    let s = this.series.get(name)
    if (!s && this.series.size < this.o.maxFunctions) this.series.set(name, (s = { prev: undefined, counters: undefined, samples: [], bucketBase: 0, forecast: [], reason: null }))
    return s
  }

  /** Takes one sample of every function now. */
  sample(nowMs = Date.now()): void {
    const counters = this.metrics.counters()
    const pools = this.runtime.stats().functions
    const names = new Set([...counters.keys(), ...Object.keys(pools)])
    const latest: Array<{ name: string; sample: Sample; reason: string | null }> = []
    for (const name of names) {
      const s = this.entry(name)
      if (!s) continue
      const c = counters.get(name)
      const prevTMs = s.samples.at(-1)?.tMs
      const intervalS = prevTMs === undefined ? this.o.sampleMs / 1000 : (nowMs - prevTMs) / 1000
      const invocations = (c?.invocations ?? 0) - (s.counters?.invocations ?? 0)
      const buckets = (c?.buckets ?? []).map((n, i) => n - (s.counters?.buckets[i] ?? 0))
      const decision = this.driver?.explain(name)
      const pool = pools[name]?.pool
      const sample: Sample = {
        tMs: nowMs,
        invocations,
        ratePerS: intervalS > 0 ? invocations / intervalS : 0,
        p50Ms: quantileMs(buckets, 0.5),
        p99Ms: quantileMs(buckets, 0.99),
        errors: diff(c?.byError, s.counters?.byError),
        starts: diff(c?.byStart, s.counters?.byStart),
        ready: pool ? pool.ready + pool.dirty : 0,
        poolTarget: pool?.minWarm ?? 0,
        autoscalerTarget: decision ? decision.target.warm : null,
        decidedBy: decision ? decision.target.explanation.decidedBy : null,
      }
      s.reason = decision ? decision.target.explanation.summary : null
      s.counters = c
      s.samples.push(sample)
      if (s.samples.length > this.o.keepSamples) s.samples.shift()
      latest.push({ name, sample, reason: s.reason })
    }
    for (const l of this.listeners) l(nowMs, latest)
  }

  /** Closes the current forecast bucket: records what each function did in it and forecasts the next. */
  closeBucket(nowMs = Date.now()): void {
    const counters = this.metrics.counters()
    const bucketMs = this.o.forecastBucketMs
    const perMin = 60_000 / bucketMs
    const startMs = nowMs - bucketMs
    const candidates: Array<[Series, number]> = []
    for (const [name, c] of counters) {
      const s = this.entry(name)
      if (!s) continue
      const count = c.invocations - s.bucketBase
      s.bucketBase = c.invocations
      // The forecast made one bucket ago for this bucket, if any, gets its observation.
      const last = s.forecast.at(-1)
      if (last && last.observedPerMin === null) {
        last.observedPerMin = count * perMin
        last.tMs = startMs
      } else s.forecast.push({ tMs: startMs, observedPerMin: count * perMin, meanPerMin: null, lowerPerMin: null, upperPerMin: null, model: null })
      while (s.forecast.length > this.o.keepBuckets) s.forecast.shift()
      let active = 0
      let total = 0
      for (const p of s.forecast) if (p.observedPerMin) (active++, (total += p.observedPerMin))
      if (active >= this.o.minActiveBuckets) candidates.push([s, total])
    }
    candidates.sort((a, b) => b[1] - a[1])
    for (const [s] of candidates.slice(0, this.o.maxForecastFunctions)) {
      const observed = Float64Array.from(s.forecast, (p) => (p.observedPerMin ?? 0) / perMin)
      const f = this.forecaster.forecast(observed, 1, this.o.level)
      s.forecast.push({ tMs: nowMs, observedPerMin: null, meanPerMin: f.mean[0]! * perMin, lowerPerMin: Math.max(0, f.lower[0]!) * perMin, upperPerMin: f.upper[0]! * perMin, model: f.model })
    }
  }

  /** Every recorded function's view (copies of the rings). */
  view(): FunctionView[] {
    const out: FunctionView[] = []
    for (const [name, s] of this.series) {
      const c = s.counters
      out.push({
        name,
        totals: { invocations: c?.invocations ?? 0, errors: { ...c?.byError }, starts: { ...c?.byStart }, p50Ms: c ? quantileMs(c.buckets, 0.5) : null, p99Ms: c ? quantileMs(c.buckets, 0.99) : null },
        reason: s.reason,
        samples: s.samples.slice(),
        forecast: s.forecast.slice(),
      })
    }
    return out
  }
}

function diff(now: Record<string, number> | undefined, before: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(now ?? {})) {
    const d = v - (before?.[k] ?? 0)
    if (d > 0) out[k] = d
  }
  return out
}

/**
 * The q-quantile (ms) of observations counted per DURATION_BUCKETS_S bucket (not cumulative), by
 * linear interpolation inside the bucket it falls in, as Prometheus's histogram_quantile does; an
 * answer in the +Inf bucket is the last finite bound. Null without observations.
 */
export function quantileMs(buckets: readonly number[], q: number): number | null {
  let total = 0
  for (const n of buckets) total += n
  if (total === 0) return null
  const rank = q * total
  let cumulative = 0
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!
    if (cumulative + n >= rank && n > 0) {
      if (i >= DURATION_BUCKETS_S.length) return DURATION_BUCKETS_S.at(-1)! * 1000
      const lo = i === 0 ? 0 : DURATION_BUCKETS_S[i - 1]!
      const hi = DURATION_BUCKETS_S[i]!
      return (lo + ((hi - lo) * (rank - cumulative)) / n) * 1000
    }
    cumulative += n
  }
  return DURATION_BUCKETS_S.at(-1)! * 1000
}
