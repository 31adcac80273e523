// An upper bound for issue 15's "0.8x histogram's cold starts" on the shared trace's held-out (odd-hash)
// half: every function gets, in hindsight, whichever policy of a family suits it best, and the fewest cold
// starts reachable within a memory budget is an exact multiple-choice knapsack over those per-function
// results. No online policy of the family can do better; the family includes pre-warming windows.
// `node dist/bench/scheduler-bound.js [tune|test]` (after a build) prints one JSON line.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '@jaegis/kernels/wasm-path'
import { loadTrace } from '@jaegis/scheduler/trace'
import { createPolicy, sweepValues } from '@jaegis/scheduler/policies/registry'
import { splitTrace, tallyByFunction, type FunctionTally } from '@jaegis/scheduler/validation'
import { MINUTE_MS, type FunctionPolicy, type PoolTarget, type ScalingPolicy } from '@jaegis/scheduler'

/**
 * W(c, a, w): every instance stays c minutes after its last use (a keep-alive); after the function's last
 * invocation ends, one instance is pre-warmed a minutes later and held w minutes (Shahrad et al.'s pre-warm
 * and keep-alive windows, with a fixed keep-alive in front). For the bound only, not a platform policy.
 */
class WindowPolicy implements ScalingPolicy {
  readonly name = 'window'
  readonly knob = { name: 'window', value: 0, unit: '' }
  readonly decisionIntervalMs = 6000
  constructor(private readonly c: number, private readonly a: number, private readonly w: number) {}

  forFunction(): FunctionPolicy {
    const keepAliveMs = this.c * MINUTE_MS, aMs = this.a * MINUTE_MS, wMs = this.w * MINUTE_MS, step = this.decisionIntervalMs
    let lastEndMs = -Infinity
    const explanation = { decidedBy: 'fixed' as const, summary: 'bound', numbers: {} }
    return {
      recordInvocation(startMs, durationMs) { lastEndMs = Math.max(lastEndMs, startMs + durationMs) },
      decide(nowMs): PoolTarget {
        if (lastEndMs === -Infinity || lastEndMs > nowMs) return { warm: 0, keepAliveMs, explanation }
        const from = lastEndMs + aMs
        if (nowMs >= from && nowMs < from + wMs) return { warm: 1, keepAliveMs, explanation }
        if (from > nowMs && from < nowMs + step) return { warm: 1, prewarmAtMs: from, keepAliveMs, explanation }
        return { warm: 0, keepAliveMs, explanation }
      },
    }
  }
}

/** The family: fixed keep-alives (1 min to a day), histogram ranges, the predictive sweep, and W(c, a, w). */
function family(): { name: string; policy: () => ScalingPolicy }[] {
  const out: { name: string; policy: () => ScalingPolicy }[] = []
  for (const k of [1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440]) out.push({ name: `fixed ${k}`, policy: () => createPolicy('fixed', k) })
  for (const r of sweepValues('histogram')) out.push({ name: `histogram ${r}`, policy: () => createPolicy('histogram', r) })
  for (const v of sweepValues('predictive')) out.push({ name: `predictive ${v}`, policy: () => createPolicy('predictive', v) })
  for (const c of [0, 1, 2])
    for (const a of [2, 3, 4, 5, 7, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300, 360, 480])
      for (const w of [1, 2, 3, 5, 10, 20, 40, 80, 160, 320, 720]) if (a > c) out.push({ name: `window c${c} a${a} w${w}`, policy: () => new WindowPolicy(c, a, w) })
  return out
}

/** Fewest cold starts within each memory budget (units of `unitGbS`), each function taking one option. */
export function knapsack(perFunction: FunctionTally[][], unitGbS: number, maxUnits: number): Float64Array {
  let dp = new Float64Array(maxUnits + 1).fill(Infinity)
  dp[0] = 0
  for (const options of perFunction) {
    const sorted = options.map((t) => ({ cold: t.cold, u: Math.ceil(t.gbS / unitGbS) })).sort((x, y) => x.u - y.u || x.cold - y.cold)
    const pareto: { cold: number; u: number }[] = []
    for (const o of sorted) if (!pareto.length || o.cold < pareto[pareto.length - 1].cold) pareto.push(o)
    const next = new Float64Array(maxUnits + 1).fill(Infinity)
    for (let b = 0; b <= maxUnits; b++) {
      if (dp[b] === Infinity) continue
      for (const o of pareto) if (b + o.u <= maxUnits && dp[b] + o.cold < next[b + o.u]) next[b + o.u] = dp[b] + o.cold
    }
    dp = next
  }
  for (let b = 1; b <= maxUnits; b++) dp[b] = Math.min(dp[b], dp[b - 1])
  return dp
}

export async function run(part: 'tune' | 'test' = 'test'): Promise<Record<string, unknown>> {
  const trace = await loadTrace(join(projectRoot(), '..', 'shared', 'data', 'azure-functions', 'azure2019_100fn_per_minute.csv'))
  const half = splitTrace(trace, part)
  const fam = family()
  const tallies = fam.map((f) => tallyByFunction(half, f.policy()))
  const sum = (name: string) => tallies[fam.findIndex((f) => f.name === name)].reduce((a, t) => ({ cold: a.cold + t.cold, gbS: a.gbS + t.gbS }), { cold: 0, gbS: 0 })
  const fixed = sum('fixed 10'), hist = sum('histogram 240')
  const unit = 100
  const families = { all: () => true, keep_alive_only: (n: string) => !n.startsWith('window'), windows_and_fixed: (n: string) => n.startsWith('window') || n.startsWith('fixed') }
  const out: Record<string, unknown> = { part, functions: half.functions.length, policies_in_family: fam.length, fixed_10: { cold_starts: fixed.cold, wasted_gb_s: Math.round(fixed.gbS) }, histogram_240: { cold_starts: hist.cold, wasted_gb_s: Math.round(hist.gbS) } }
  for (const [key, keep] of Object.entries(families)) {
    const idx = fam.map((f, i) => (keep(f.name) ? i : -1)).filter((i) => i >= 0)
    const best = knapsack(half.functions.map((_, j) => idx.map((i) => tallies[i][j])), unit, 12_000)
    const within = (gbS: number) => best[Math.floor(gbS / unit)]
    const needs = (cold: number) => { let b = 0; while (b < best.length && best[b] > cold) b++; return b < best.length ? b * unit : null }
    out[key] = {
      cold_starts_within_fixed_memory: within(fixed.gbS), cold_starts_within_histogram_memory: within(hist.gbS),
      gb_s_needed_for_0_8x_histogram: needs(Math.floor(0.8 * hist.cold)), gb_s_needed_for_histogram: needs(hist.cold),
    }
  }
  return out
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const part = process.argv[2] === 'tune' ? 'tune' : 'test'
  console.log(JSON.stringify(await run(part)))
}
