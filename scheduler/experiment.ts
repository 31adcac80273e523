// Runs the experiments `jaegis sim` and the benchmark report: every policy on a trace, knob sweeps for the
// trade-off plot, and a placement of the trace's functions on a fleet with a one-host-lost re-plan.
import { createPolicy, sweepValues, type PolicyName } from './policies/registry.js'
import { PredictivePolicy } from './policies/predictive.js'
import { federatedPredictivePolicy, type ShipStats } from './federated.js'
import type { Forecaster } from './forecaster.js'
import { simulate, type PolicyReport, type SimOptions } from './sim.js'
import type { SweepSeries } from './plot.js'
import type { Trace } from './trace.js'
import { hashString } from './invocations.js'
import type { Fleet } from './placement/fleet.js'
import { GreedyLatencyPlacer, type FunctionDemand } from './placement/placer.js'

/** The per-policy numbers of `jaegis sim --json` and the benchmark. */
export interface PolicySummary {
  cold_start_pct: number
  wasted_gb_s: number
  p99_added_start_ms: number
  cold_starts: number
  invocations: number
  knob: string
}

export function summarize(r: PolicyReport): PolicySummary {
  return {
    cold_start_pct: round(r.cold_start_pct, 3),
    wasted_gb_s: round(r.wasted_gb_s, 1),
    p99_added_start_ms: round(r.p99_added_start_ms, 3),
    cold_starts: r.coldStarts,
    invocations: r.invocations,
    knob: `${r.knob.name}=${r.knob.value}${r.knob.unit ? ` ${r.knob.unit}` : ''}`,
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Each named policy at its defaults. */
export function runPolicies(trace: Trace, names: readonly PolicyName[], o: SimOptions = {}, forecaster?: Forecaster): Record<string, PolicyReport> {
  const out: Record<string, PolicyReport> = {}
  for (const name of names) out[name] = simulate(trace, createPolicy(name, undefined, forecaster), o)
  return out
}

/** `jaegis sim --sites N`: the predictive policy with central fitting against fitting at N sites. */
export interface FederatedSummary {
  sites: number
  /** How invocations were split over sites (scheduler/federated.ts siteOf). */
  split: string
  central: PolicySummary
  federated: PolicySummary
  /** federated / central; goal <= 1.05 each. */
  federated_cold_start_ratio: number
  federated_memory_ratio: number
  /** Summaries that left the sites, and their bytes (scheduler/federated.ts summaryBytes). */
  shipped_summaries: number
  shipped_bytes: number
  /** Of shipped_bytes, the season agreement's messages (scheduler/federated.ts agreementBytes). */
  agreement_bytes: number
}

/** Runs the predictive policy once with central fitting on the raw series and once federated over `sites` sites. */
export function runFederated(trace: Trace, sites: number, o: SimOptions = {}, forecaster?: Forecaster): FederatedSummary {
  const central = summarize(simulate(trace, new PredictivePolicy({ forecaster }), o))
  const stats: ShipStats = { summaries: 0, bytes: 0 }
  const federated = summarize(simulate(trace, federatedPredictivePolicy(sites, { forecaster }, stats), o))
  const ratio = (f: number, c: number) => (c === 0 ? (f === 0 ? 1 : Infinity) : round(f / c, 4))
  return {
    sites,
    split: 'per function: home site (id hash) 1/2 of invocations, next 1/4, ...; per invocation by hash(function, start)',
    central, federated,
    federated_cold_start_ratio: ratio(federated.cold_starts, central.cold_starts),
    federated_memory_ratio: ratio(federated.wasted_gb_s, central.wasted_gb_s),
    shipped_summaries: stats.summaries, shipped_bytes: stats.bytes, agreement_bytes: stats.agreementBytes ?? 0,
  }
}

/** Each named policy over its knob's sweep values. */
export function sweepPolicies(trace: Trace, names: readonly PolicyName[], o: SimOptions = {}, forecaster?: Forecaster): SweepSeries[] {
  return names.map((name) => {
    const defaultKnob = createPolicy(name).knob
    const values = sweepValues(name)
    const points = values.map((v) => {
      const r = simulate(trace, createPolicy(name, v, forecaster), o)
      return { knob: v, coldStartPct: r.cold_start_pct, wastedGbS: r.wasted_gb_s }
    })
    return { policy: name, knob: defaultKnob.name, points, defaultIndex: values.indexOf(defaultKnob.value) }
  })
}

/** Placement of a trace's functions on a fleet. */
export interface PlacementSummary {
  hosts: number
  regions: number
  network: string
  functions: number
  placed_instances: number
  unplaced_instances: number
  mean_latency_ms: number
  plan_ms: number
  replan_ms_one_host_lost: number
  moved_on_replan: number
}

/**
 * Gives each trace function demand in one to three regions (chosen by a hash of its id), instances for its
 * 99th-percentile per-minute concurrency (count x duration / 60 s, at least 1), and places them.
 */
export function placeTrace(trace: Trace, fleet: Fleet, o: SimOptions = {}): PlacementSummary {
  const R = fleet.regions.length
  const durationMs = o.defaultDurationMs ?? 1000
  const functions: FunctionDemand[] = trace.functions.map((f) => {
    const h = hashString(f.id)
    const counts = f.minuteCounts ?? perMinute(f.startsMs ?? new Float64Array(0), trace.minutes)
    const sorted = Array.from(counts).sort((a, b) => a - b)
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0
    const total = sorted.reduce((a, b) => a + b, 0)
    const demand: Record<string, number> = {}
    const k = 1 + (h % 3)
    for (let j = 0; j < k; j++) demand[fleet.regions[(h >>> (4 + 5 * j)) % R]] = (total || 1) / k
    return { id: f.id, demand, instances: Math.max(1, Math.ceil((p99 * durationMs) / 60_000)), memoryMb: o.memoryMb ?? 128 }
  })
  const placer = new GreedyLatencyPlacer(fleet)
  let t = performance.now()
  const plan = placer.plan(functions)
  const planMs = performance.now() - t
  const load = new Map<string, number>()
  for (const list of plan.byFunction.values()) for (const p of list) load.set(p.host, (load.get(p.host) ?? 0) + p.instances)
  const busiest = [...load].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0]
  const summary: PlacementSummary = {
    hosts: fleet.hosts.length,
    regions: R,
    network: fleet.network,
    functions: functions.length,
    placed_instances: plan.placedInstances,
    unplaced_instances: [...plan.unplaced.values()].reduce((a, b) => a + b, 0),
    mean_latency_ms: round(plan.meanLatencyMs, 3),
    plan_ms: round(planMs, 2),
    replan_ms_one_host_lost: 0,
    moved_on_replan: 0,
  }
  if (busiest !== undefined) {
    t = performance.now()
    const re = placer.removeHost(plan, busiest)
    summary.replan_ms_one_host_lost = round(performance.now() - t, 2)
    summary.moved_on_replan = re.movedInstances
  }
  return summary
}

function perMinute(starts: Float64Array, minutes: number): Uint32Array {
  const out = new Uint32Array(minutes)
  for (const s of starts) out[Math.min(minutes - 1, Math.floor(s / 60_000))]++
  return out
}
