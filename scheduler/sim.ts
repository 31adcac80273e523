// Trace simulator: replays each function's invocations against a pool driven by a scaling policy and
// measures cold starts, idle warm memory (GB-s) and added start latency. Functions are independent pools;
// an instance serves one invocation at a time (concurrency = overlapping invocations).
import { expandInvocations, type ExpandOptions } from './invocations.js'
import type { Trace, TraceFunction } from './trace.js'
import { MINUTE_MS, type FunctionPolicy, type PoolTarget, type ScalingPolicy } from './types.js'

/** Cost model of the simulated fleet. Defaults are documented in docs/scheduler.md. */
export interface SimOptions extends ExpandOptions {
  /** Start latency added when no warm instance is ready (fetch, verify, compile, instantiate). @default 40 */
  coldStartMs?: number
  /** Start latency of a warm instance (snapshot reset). @default 0.05 */
  warmStartMs?: number
  /** Memory of one instance, MiB. @default 128 */
  memoryMb?: number
  /** Called with each decision (function, time, target): for `jaegis explain`-style logs and tests. */
  onDecision?: (fn: string, nowMs: number, target: PoolTarget) => void
}

/** Results of one policy on one trace. */
export interface PolicyReport {
  policy: string
  knob: { name: string; value: number; unit: string }
  invocations: number
  coldStarts: number
  /** % of invocations that found no warm instance ready. */
  cold_start_pct: number
  /** GB-seconds of warm instances that sat idle (loaded but not running), memory in GiB as cloud bills use. */
  wasted_gb_s: number
  /** 99th percentile of added start latency over all invocations, ms. */
  p99_added_start_ms: number
  /** Instances loaded ahead of an invocation. */
  prewarms: number
  /** Functions with at least one invocation. */
  functions: number
}

interface Instance {
  readyMs: number
  busyUntilMs: number
  idleSinceMs: number
  notBeforeMs: number
}

/** Results of one function. */
export interface FunctionSimResult {
  invocations: number
  /** Added start latency (ms) of each cold start. */
  coldLatencies: number[]
  /** When each cold start happened (ms since trace start). */
  coldTimesMs: number[]
  wastedMs: number
  prewarms: number
}

/** Simulates one function under one policy state. Exported for tests. */
export function simulateFunction(fn: TraceFunction, fp: FunctionPolicy, intervalMs: number, horizonMs: number, o: SimOptions = {}): FunctionSimResult {
  const { startsMs, durationsMs } = expandInvocations(fn, o)
  const coldMs = o.coldStartMs ?? 40
  const pool: Instance[] = []
  const res: FunctionSimResult = { invocations: 0, coldLatencies: [], coldTimesMs: [], wastedMs: 0, prewarms: 0 }
  let keepAliveMs = 0
  let extraKeepAliveMs = 0
  let warm = 0
  let holdFrom = Infinity
  let holdUntil = -Infinity

  const advance = (t: number) => {
    for (;;) {
      // The most recently used instance keeps keepAliveMs; the others extraKeepAliveMs.
      let primary = -1
      if (extraKeepAliveMs !== keepAliveMs) {
        for (let i = 0; i < pool.length; i++) if (primary < 0 || pool[i].busyUntilMs > pool[primary].busyUntilMs) primary = i
      }
      let best = -1
      let bestAt = Infinity
      for (let i = 0; i < pool.length; i++) {
        const x = pool[i]
        if (x.busyUntilMs > t) continue
        const at = Math.max(Math.max(x.busyUntilMs, x.readyMs) + (i === primary || primary < 0 ? keepAliveMs : extraKeepAliveMs), x.notBeforeMs)
        if (at <= t && at < bestAt) {
          bestAt = at
          best = i
        }
      }
      if (best < 0) return
      const x = pool[best]
      const at = Math.max(bestAt, x.busyUntilMs)
      if (at >= holdFrom && at < holdUntil && pool.length <= warm) {
        x.notBeforeMs = holdUntil
        continue
      }
      res.wastedMs += Math.max(0, at - x.idleSinceMs)
      pool.splice(best, 1)
    }
  }
  const prewarm = (t: number) => {
    for (let i = pool.length; i < warm; i++) {
      pool.push({ readyMs: t + coldMs, busyUntilMs: t, idleSinceMs: t, notBeforeMs: holdUntil })
      res.prewarms++
    }
    for (const x of pool) x.notBeforeMs = Math.max(x.notBeforeMs, holdUntil)
  }
  const serve = (t: number, dur: number) => {
    res.invocations++
    let pick = -1
    for (let i = 0; i < pool.length; i++) {
      const x = pool[i]
      if (x.busyUntilMs > t) continue
      if (pick < 0) pick = i
      else {
        const p = pool[pick]
        // Ready before loading; then the most recently used, so that the others can expire.
        const xr = x.readyMs <= t
        const pr = p.readyMs <= t
        if ((xr && !pr) || (xr === pr && (xr ? x.busyUntilMs > p.busyUntilMs : x.readyMs < p.readyMs))) pick = i
      }
    }
    if (pick >= 0) {
      const x = pool[pick]
      res.wastedMs += Math.max(0, t - x.idleSinceMs)
      const begin = Math.max(t, x.readyMs)
      if (begin > t) {
        res.coldLatencies.push(begin - t)
        res.coldTimesMs.push(t)
      }
      x.busyUntilMs = begin + dur
      x.idleSinceMs = x.busyUntilMs
      return
    }
    res.coldLatencies.push(coldMs)
    res.coldTimesMs.push(t)
    pool.push({ readyMs: t + coldMs, busyUntilMs: t + coldMs + dur, idleSinceMs: t + coldMs + dur, notBeforeMs: -Infinity })
  }

  let k = 0
  const n = startsMs.length
  for (let t0 = 0; t0 < horizonMs; t0 += intervalMs) {
    const target = fp.decide(t0)
    o.onDecision?.(fn.id, t0, target)
    const tEnd = Math.min(t0 + intervalMs, horizonMs)
    keepAliveMs = target.keepAliveMs
    extraKeepAliveMs = target.extraKeepAliveMs ?? keepAliveMs
    warm = target.warm
    holdFrom = Math.max(t0, target.prewarmAtMs ?? t0)
    holdUntil = tEnd
    let prewarmed = warm === 0 || holdFrom >= tEnd
    while (k < n && startsMs[k] < tEnd) {
      const t = startsMs[k]
      if (!prewarmed && holdFrom <= t) {
        advance(holdFrom)
        prewarm(holdFrom)
        prewarmed = true
      }
      advance(t)
      serve(t, durationsMs[k])
      fp.recordInvocation(t, durationsMs[k])
      k++
    }
    if (!prewarmed) {
      advance(holdFrom)
      prewarm(holdFrom)
    }
    // Evictions due before tEnd happen now; one due exactly at tEnd is the next decision's call (it
    // may hold the instance): evicting it at the boundary made a function invoked exactly on a minute
    // cold every time although every decision held an instance for it.
    advance(tEnd - 1e-6)
  }
  advance(horizonMs)
  // The trace ends: whatever is still loaded has been idle since it last ran.
  for (const x of pool) res.wastedMs += Math.max(0, horizonMs - x.idleSinceMs)
  return res
}

/** Replays a whole trace under one policy. */
export function simulate(trace: Trace, policy: ScalingPolicy, o: SimOptions = {}): PolicyReport {
  const horizonMs = trace.minutes * MINUTE_MS
  const memoryGb = (o.memoryMb ?? 128) / 1024
  const warmMs = o.warmStartMs ?? 0.05
  let invocations = 0
  let wastedMs = 0
  let prewarms = 0
  let functions = 0
  const cold: number[] = []
  for (const fn of trace.functions) {
    const r = simulateFunction(fn, policy.forFunction(fn.id), policy.decisionIntervalMs, horizonMs, o)
    invocations += r.invocations
    wastedMs += r.wastedMs
    prewarms += r.prewarms
    if (r.invocations > 0) functions++
    for (const c of r.coldLatencies) cold.push(c)
  }
  return {
    policy: policy.name,
    knob: policy.knob,
    invocations,
    coldStarts: cold.length,
    cold_start_pct: invocations ? (100 * cold.length) / invocations : 0,
    wasted_gb_s: (wastedMs / 1000) * memoryGb,
    p99_added_start_ms: p99(cold, invocations, warmMs),
    prewarms,
    functions,
  }
}

/** 99th percentile of latencies where `cold` are the slow ones and the other (total - cold.length) took warmMs. */
function p99(cold: number[], total: number, warmMs: number): number {
  if (total === 0) return 0
  const rank = Math.ceil(0.99 * total) // 1-based rank of the p99 value
  const warmCount = total - cold.length
  if (rank <= warmCount) return warmMs
  cold.sort((a, b) => a - b)
  return cold[rank - warmCount - 1]
}
