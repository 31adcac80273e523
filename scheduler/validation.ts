// Out-of-sample evaluation of the scaling policies: a trace split into a tuning and a reporting part by
// function, the rule that picks the predictive policy's cold-start cost on the tuning part, and a
// trade-off curve read at a given idle memory. Used by `npm run bench:scheduler` (docs/scheduler.md).
import { hashString } from './invocations.js'
import { simulate, type SimOptions } from './sim.js'
import type { Trace } from './trace.js'
import type { ScalingPolicy } from './types.js'

/**
 * The functions of `trace` whose id hashes (FNV-1a) to an even number (`tune`) or an odd one (`test`):
 * a split that depends on nothing but the id, so every run and every reader gets the same halves.
 */
export function splitTrace(trace: Trace, part: 'tune' | 'test'): Trace {
  const want = part === 'tune' ? 0 : 1
  return { ...trace, functions: trace.functions.filter((f) => hashString(f.id) % 2 === want), source: `${trace.source} (${part} half)` }
}

/** One point of a policy's trade-off curve. */
export interface CurvePoint { knob: number; coldStartPct: number; wastedGbS: number }

/**
 * The cold-start rate of a curve at idle memory `gbS`: linear in log(cold %) between the two sweep
 * points around it (curves are near-exponential in memory); null when `gbS` is outside the swept range,
 * so a reader never gets an extrapolation.
 */
export function coldStartsAtMemory(points: CurvePoint[], gbS: number): number | null {
  const p = points.slice().sort((a, b) => a.wastedGbS - b.wastedGbS)
  for (let i = 0; i + 1 < p.length; i++) {
    const a = p[i], b = p[i + 1]
    if (gbS < a.wastedGbS || gbS > b.wastedGbS) continue
    if (b.wastedGbS === a.wastedGbS) return Math.min(a.coldStartPct, b.coldStartPct)
    const w = (gbS - a.wastedGbS) / (b.wastedGbS - a.wastedGbS)
    const la = Math.log(Math.max(a.coldStartPct, 1e-9)), lb = Math.log(Math.max(b.coldStartPct, 1e-9))
    return Math.exp(la + w * (lb - la))
  }
  return null
}

/**
 * The rule that sets the predictive policy's default: of the swept cold-start costs, the one with the
 * fewest cold starts whose idle memory is at most `memoryCapGbS` (the lower of the baselines' on the
 * same part) and whose cold starts are at most `coldCapPct` (fixed's): never worse than fixed on both
 * axes, never more memory than either baseline. Null when no swept value qualifies.
 */
export function chooseColdStartCost(points: CurvePoint[], memoryCapGbS: number, coldCapPct: number): number | null {
  let best: CurvePoint | null = null
  for (const p of points) {
    if (p.wastedGbS > memoryCapGbS || p.coldStartPct > coldCapPct) continue
    if (!best || p.coldStartPct < best.coldStartPct) best = p
  }
  return best ? best.knob : null
}

/** One function's result under one policy: totals add up over functions (they are independent pools). */
export interface FunctionTally { cold: number; invocations: number; gbS: number }

/** Each function of `trace` replayed under `policy` (same order as trace.functions). */
export function tallyByFunction(trace: Trace, policy: ScalingPolicy, o: SimOptions = {}): FunctionTally[] {
  return trace.functions.map((f) => {
    const r = simulate({ ...trace, functions: [f] }, policy, o)
    return { cold: r.coldStarts, invocations: r.invocations, gbS: r.wasted_gb_s }
  })
}

/** Options of chooseColdStartCostRobust. */
export interface RobustChoiceOptions {
  /** Share of resamples in which a cost must keep both caps. @default 0.9 */
  confidence?: number
  /** Bootstrap resamples of the functions. @default 1000 */
  resamples?: number
  /** Seed of the resampling (deterministic). @default 1 */
  seed?: number
  /**
   * Which idle memory a cost must stay under: 'lower' the lower of fixed's and histogram's (no more than
   * either), 'histogram' histogram's alone (the goal's other reading). @default 'lower'
   */
  memoryCap?: 'lower' | 'histogram'
}

/**
 * `chooseColdStartCost` made to hold on functions it was not chosen on: the functions of the tuning part
 * are resampled with replacement (a bootstrap over functions, the unit the parts are split by), and a
 * swept cost qualifies only if, in at least `confidence` of the resamples, its idle memory is at most the
 * lower of fixed's and histogram's (or histogram's alone: `memoryCap`) and its cold starts at most fixed's
 * on the same resample. Of those,
 * the one with the fewest cold starts on the whole part wins. A choice made at the cap itself lands above
 * it on another set of functions about half the time; this one leaves the margin the part's own spread
 * says is needed. `points[i].fns`, `fixed` and `histogram` list the same functions in the same order.
 * Null when no cost qualifies.
 */
export function chooseColdStartCostRobust(points: { knob: number; fns: FunctionTally[] }[], fixed: FunctionTally[], histogram: FunctionTally[], o: RobustChoiceOptions = {}): number | null {
  const n = fixed.length
  if (histogram.length !== n || points.some((p) => p.fns.length !== n)) throw new RangeError('every policy needs a tally for each function, in the same order')
  if (n === 0) throw new RangeError('no functions to choose on')
  const confidence = o.confidence ?? 0.9
  const resamples = o.resamples ?? 1000
  const memoryCap = o.memoryCap ?? 'lower'
  if (memoryCap !== 'lower' && memoryCap !== 'histogram') throw new RangeError(`memoryCap must be 'lower' or 'histogram', got ${JSON.stringify(memoryCap)}`)
  if (!(confidence > 0 && confidence <= 1)) throw new RangeError(`confidence must be in (0, 1], got ${confidence}`)
  if (!(resamples >= 1) || !Number.isInteger(resamples)) throw new RangeError(`resamples must be an integer >= 1, got ${resamples}`)
  let s = (o.seed ?? 1) >>> 0
  const rnd = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const kept = new Array<number>(points.length).fill(0)
  const sum = (xs: FunctionTally[], idx: Int32Array) => {
    let cold = 0, inv = 0, gbS = 0
    for (const i of idx) { cold += xs[i].cold; inv += xs[i].invocations; gbS += xs[i].gbS }
    return { pct: inv ? cold / inv : 0, gbS }
  }
  const idx = new Int32Array(n)
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rnd() * n)
    const f = sum(fixed, idx), h = sum(histogram, idx)
    const cap = memoryCap === 'histogram' ? h.gbS : Math.min(f.gbS, h.gbS)
    points.forEach((p, k) => {
      const x = sum(p.fns, idx)
      if (x.gbS <= cap && x.pct <= f.pct) kept[k]++
    })
  }
  let best: { knob: number; cold: number } | null = null
  points.forEach((p, k) => {
    if (kept[k] < confidence * resamples) return
    const cold = p.fns.reduce((a, t) => a + t.cold, 0)
    if (!best || cold < best.cold) best = { knob: p.knob, cold }
  })
  return best === null ? null : (best as { knob: number }).knob
}
