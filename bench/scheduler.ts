// Benchmark of the scheduler: plans 100,000 functions onto 10,000 hosts (Cogentco network), re-plans after
// the busiest host is lost, and replays the shared 100-function Azure trace under each policy's defaults.
// Prints one JSON line last: plan_ms_10k_hosts_100k_fns, replan_ms_one_host_lost, policies.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '../kernels/wasm-path.js'
import { loadTopology } from '../kernels/topology/index.js'
import { syntheticFleet } from '../scheduler/placement/fleet.js'
import { GreedyLatencyPlacer } from '../scheduler/placement/placer.js'
import { syntheticWorkload } from '../scheduler/placement/workload.js'
import { loadTrace } from '../scheduler/trace.js'
import { runPolicies, summarize, type PolicySummary } from '../scheduler/experiment.js'
import { POLICY_NAMES } from '../scheduler/policies/registry.js'

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Plan and re-plan timings (median of `runs`). */
export async function benchPlacement(runs = 3): Promise<{ plan_ms_10k_hosts_100k_fns: number; replan_ms_one_host_lost: number; placed: number; unplaced: number; meanLatencyMs: number; movedOnReplan: number }> {
  const topo = await loadTopology(join(projectRoot(), '..', 'shared', 'data', 'topologyzoo', 'Cogentco.graphml'))
  const fleet = syntheticFleet(topo, { hosts: 10_000 })
  const fns = syntheticWorkload(fleet, { functions: 100_000 })
  const planMs: number[] = []
  const replanMs: number[] = []
  let last = { placed: 0, unplaced: 0, meanLatencyMs: 0, movedOnReplan: 0 }
  for (let i = 0; i < runs; i++) {
    const placer = new GreedyLatencyPlacer(fleet)
    let t = performance.now()
    const plan = placer.plan(fns)
    planMs.push(performance.now() - t)
    // The busiest host is lost.
    const load = new Map<string, number>()
    for (const list of plan.byFunction.values()) for (const p of list) load.set(p.host, (load.get(p.host) ?? 0) + p.instances)
    const victim = [...load].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0]
    const placed = plan.placedInstances
    const unplaced = [...plan.unplaced.values()].reduce((a, b) => a + b, 0)
    const meanLatencyMs = plan.meanLatencyMs
    t = performance.now()
    const re = placer.removeHost(plan, victim)
    replanMs.push(performance.now() - t)
    last = { placed, unplaced, meanLatencyMs, movedOnReplan: re.movedInstances }
  }
  return { plan_ms_10k_hosts_100k_fns: median(planMs), replan_ms_one_host_lost: median(replanMs), ...last }
}

/** The policies at their defaults on the shared 100-function Azure 2019 trace: the same object `jaegis sim --json` prints. */
export async function benchPolicies(): Promise<Record<string, PolicySummary>> {
  const trace = await loadTrace(join(projectRoot(), '..', 'shared', 'data', 'azure-functions', 'azure2019_100fn_per_minute.csv'))
  const reports = runPolicies(trace, POLICY_NAMES)
  const out: Record<string, PolicySummary> = {}
  for (const name of POLICY_NAMES) out[name] = summarize(reports[name])
  return out
}

export async function run(): Promise<Record<string, unknown>> {
  const p = await benchPlacement()
  const policies = await benchPolicies()
  return { plan_ms_10k_hosts_100k_fns: round(p.plan_ms_10k_hosts_100k_fns), replan_ms_one_host_lost: round(p.replan_ms_one_host_lost), policies }
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await run()
  console.log(JSON.stringify(r))
}
