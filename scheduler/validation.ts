// Out-of-sample evaluation of the scaling policies: a trace split into a tuning and a reporting part by
// function, the rule that picks the predictive policy's cold-start cost on the tuning part, and a
// trade-off curve read at a given idle memory. Used by `npm run bench:scheduler` (docs/scheduler.md).
import { hashString } from './invocations.js'
import type { Trace } from './trace.js'

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
