// Turns what the control plane knows (registered hosts, deployments, demand per region from the
// heartbeats) into a ClusterPlan with the scheduler's GreedyLatencyPlacer, and tops each function up
// to `minHosts` distinct hosts so that losing one host never leaves a function unserved, and to one host
// at every edge site with room for it, so that a site cut off from the hub still serves it.
import { DEFAULT_TIER_ACCESS_MS, GreedyLatencyPlacer, type Fleet, type FunctionDemand, type PlacementPlan } from '@jaegis/scheduler'
import type { HostRecord, PlannedFunction } from './records.js'

/** Network latency assumed between two different regions when no topology is given, ms. */
export const INTER_REGION_MS = 40

export interface PlannedDeployment {
  name: string
  digest: string
  version: number
  memoryMb: number
}

export interface PlanInput {
  hosts: readonly HostRecord[]
  deployments: readonly PlannedDeployment[]
  /** Function -> region -> invocations in the last heartbeat window(s). */
  demand: ReadonlyMap<string, ReadonlyMap<string, number>>
  /** Distinct hosts per function (fewer when fewer hosts are alive). @default 2 */
  minHosts?: number
  /** The previous placement (hysteresis keeps what still fits). */
  previous?: PlacementPlan
}

export interface PlanOutput {
  functions: Record<string, PlannedFunction>
  placement: PlacementPlan
}

export function planCluster(input: PlanInput): PlanOutput {
  const minHosts = Math.min(input.minHosts ?? 2, input.hosts.length)
  const regions = [...new Set(input.hosts.map((h) => h.region))].sort()
  const R = regions.length
  const regionLatencyMs = new Float64Array(R * R).map((_, i) => (Math.floor(i / R) === i % R ? 0 : INTER_REGION_MS))
  const fleet: Fleet = {
    hosts: input.hosts.map((h) => ({ id: h.id, tier: h.tier, region: h.region, labels: h.labels, memoryMb: h.memoryMb, cpuMilli: 1e9 })),
    regions,
    regionLatencyMs,
    tierAccessMs: { ...DEFAULT_TIER_ACCESS_MS },
    network: 'registered hosts',
  }
  const placer = new GreedyLatencyPlacer(fleet)
  const known = new Set(regions)
  const demands: FunctionDemand[] = input.deployments.map((d) => {
    const demand: Record<string, number> = {}
    for (const [region, n] of input.demand.get(d.name) ?? []) if (known.has(region) && n > 0) demand[region] = n
    // No traffic yet: as if every region asked equally.
    if (Object.keys(demand).length === 0) for (const r of regions) demand[r] = 1
    return { id: d.name, demand, instances: Math.max(1, minHosts), memoryMb: Math.max(1, d.memoryMb) }
  })
  const placement = placer.plan(demands, input.previous)
  /** What each host has left for the top-ups below, MiB (a top-up never puts a function where it does not fit). */
  const free = new Map(input.hosts.map((h) => [h.id, placement.freeMemoryMb(h.id)]))
  // Hosts with the most free memory first, for the top-up: computed once, and only if a function needs it.
  let roomiest: string[] | undefined
  const byRoom = () => {
    const order = input.hosts.map((_, i) => i).sort((a, b) => free.get(input.hosts[b]!.id)! - free.get(input.hosts[a]!.id)! || (input.hosts[a]!.id < input.hosts[b]!.id ? -1 : 1))
    return order.map((i) => input.hosts[i]!.id)
  }
  const functions: Record<string, PlannedFunction> = {}
  /** Site -> its hosts. */
  const sites = new Map<string, string[]>()
  for (const h of input.hosts) {
    if (h.site === undefined) continue
    let list = sites.get(h.site)
    if (!list) sites.set(h.site, (list = []))
    list.push(h.id)
  }
  let cursor = 0
  for (const d of input.deployments) {
    const hosts: string[] = []
    for (const p of [...(placement.byFunction.get(d.name) ?? [])].sort((a, b) => a.latencyMs - b.latencyMs)) if (!hosts.includes(p.host)) hosts.push(p.host)
    // Round-robin over the roomiest hosts so that top-ups spread instead of piling onto one host.
    if (hosts.length < minHosts) roomiest ??= byRoom()
    for (let tries = 0; hosts.length < minHosts && tries < roomiest!.length; tries++) {
      const h = roomiest![cursor++ % roomiest!.length]!
      if (hosts.includes(h) || free.get(h)! < d.memoryMb) continue
      hosts.push(h)
      free.set(h, free.get(h)! - d.memoryMb)
    }
    // Every edge site holds every function it has room for: a site offline serves only what it holds.
    for (const siteHosts of sites.values()) {
      if (hosts.some((h) => siteHosts.includes(h))) continue
      let best: string | undefined
      for (const h of siteHosts) if ((free.get(h) ?? 0) >= d.memoryMb && (best === undefined || free.get(h)! > free.get(best)!)) best = h
      if (best === undefined) continue // no room at this site: requests for it there are forwarded (or 503 offline)
      hosts.push(best)
      free.set(best, free.get(best)! - d.memoryMb)
    }
    functions[d.name] = { digest: d.digest, version: d.version, hosts }
  }
  return { functions, placement }
}
