// Hosts and the network between their regions: tiers with their access latency, a fleet read from a
// Topology Zoo GraphML (regions = network nodes, latencies = fibre shortest paths from the topology kernel)
// or generated on such a network with a seed.
import { loadTopology, ShortestPathEngine, Topology, mulberry32 } from '@jaegis/kernels/topology'
import { SchedulerError } from '../errors.js'

/** Host tiers, nearest the users first. */
export const TIERS = ['edge-1', 'edge-2', 'edge-3', 'cloud'] as const
export type Tier = (typeof TIERS)[number]

/**
 * Latency from users in a host's own region to the host, by tier (ms): edge-1 under 1 ms, edge-2 under
 * 10 ms, edge-3 under 50 ms, cloud a regional data centre. Network latency between regions is added.
 */
export const DEFAULT_TIER_ACCESS_MS: Record<Tier, number> = { 'edge-1': 0.5, 'edge-2': 5, 'edge-3': 25, cloud: 30 }

export interface Host {
  id: string
  tier: Tier
  /** Region name: a network node of the fleet's topology. */
  region: string
  /** Labels such as `gpu` or `pci`; functions can require them. */
  labels: string[]
  memoryMb: number
  cpuMilli: number
}

/** Hosts plus region-to-region network latency. */
export interface Fleet {
  hosts: Host[]
  regions: string[]
  /** regions x regions, row-major, ms (Infinity = unreachable). */
  regionLatencyMs: Float64Array
  tierAccessMs: Record<Tier, number>
  /** Where the network came from (file name or 'synthetic'). */
  network: string
}

/** Latency matrix between the given topology nodes (by index), through the topology kernel's Dijkstra. */
export function regionLatencies(topology: Topology, nodes: number[]): Float64Array {
  const engine = new ShortestPathEngine(topology.graph)
  const fromEach = engine.fromEach(nodes)
  const n = topology.graph.nodeCount
  const R = nodes.length
  const out = new Float64Array(R * R)
  for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) out[i * R + j] = fromEach[i * n + nodes[j]]
  return out
}

export interface SyntheticFleetOptions {
  hosts: number
  /** @default 1 */
  seed?: number
  /** Share of hosts per tier. @default edge-1 0.4, edge-2 0.3, edge-3 0.2, cloud 0.1 */
  tierShares?: Record<Tier, number>
  /** Memory per host by tier (MiB). @default 4096, 8192, 16384, 131072 */
  memoryMbByTier?: Record<Tier, number>
  /** Share of hosts labelled `gpu`. @default 0.05 */
  gpuShare?: number
}

const DEFAULT_SHARES: Record<Tier, number> = { 'edge-1': 0.4, 'edge-2': 0.3, 'edge-3': 0.2, cloud: 0.1 }
const DEFAULT_MEMORY: Record<Tier, number> = { 'edge-1': 4096, 'edge-2': 8192, 'edge-3': 16384, cloud: 131072 }

/** Spreads `hosts` hosts over the topology's nodes (cloud hosts only at every eighth node), seeded. */
export function syntheticFleet(topology: Topology, o: SyntheticFleetOptions): Fleet {
  if (!Number.isInteger(o.hosts) || o.hosts < 1) throw new SchedulerError('BAD_FLEET', `hosts must be an integer >= 1, got ${o.hosts}`)
  const rnd = mulberry32(o.seed ?? 1)
  const shares = o.tierShares ?? DEFAULT_SHARES
  const memory = o.memoryMbByTier ?? DEFAULT_MEMORY
  const nodes = topology.nodes.map((n) => n.index)
  if (nodes.length === 0) throw new SchedulerError('BAD_FLEET', `${topology.name} has no nodes`)
  const regions = nodes.map((i) => regionName(topology, i))
  const cloudNodes = nodes.filter((_, i) => i % 8 === 0)
  const hosts: Host[] = []
  const cum: [Tier, number][] = []
  let acc = 0
  for (const t of TIERS) cum.push([t, (acc += shares[t])])
  for (let h = 0; h < o.hosts; h++) {
    const u = rnd() * acc
    const tier = cum.find(([, c]) => u < c)?.[0] ?? 'cloud'
    const node = tier === 'cloud' ? cloudNodes[Math.floor(rnd() * cloudNodes.length)] : nodes[Math.floor(rnd() * nodes.length)]
    const labels = rnd() < (o.gpuShare ?? 0.05) ? ['gpu'] : []
    const mem = memory[tier]
    hosts.push({ id: `h${h}`, tier, region: regions[node], labels, memoryMb: mem, cpuMilli: Math.round(mem / 4) })
  }
  return { hosts, regions, regionLatencyMs: regionLatencies(topology, nodes), tierAccessMs: { ...DEFAULT_TIER_ACCESS_MS }, network: topology.name }
}

/** A region name for a node: its label when unique, else `label#id`. */
function regionName(t: Topology, i: number): string {
  const n = t.nodes[i]
  const label = n.label ?? `#${n.id}`
  return t.nodes.filter((m) => m.label === n.label).length > 1 ? `${label}#${n.id}` : label
}

/** Reads a GraphML network and generates a fleet of `hosts` hosts on it. */
export async function fleetFromGraphML(path: string, o: SyntheticFleetOptions): Promise<Fleet> {
  let topology: Topology
  try {
    topology = await loadTopology(path)
  } catch (err) {
    throw new SchedulerError('BAD_FLEET', `cannot use ${path} as a fleet network: ${(err as Error).message}`, { cause: err })
  }
  return syntheticFleet(topology, o)
}

/**
 * GraphML of a synthetic network: `regions` sites at seeded random positions over North America and
 * Europe, each linked to its 3 nearest neighbours (plus a chain so it is connected). For `--hosts N`.
 */
export function syntheticNetworkGraphML(regions: number, seed = 1): string {
  if (!Number.isInteger(regions) || regions < 1) throw new SchedulerError('BAD_FLEET', `regions must be an integer >= 1, got ${regions}`)
  const rnd = mulberry32(seed)
  const pts = Array.from({ length: regions }, () => ({ lat: 30 + rnd() * 30, lon: -120 + rnd() * 150 }))
  const d2 = (a: number, b: number) => (pts[a].lat - pts[b].lat) ** 2 + (pts[a].lon - pts[b].lon) ** 2
  const edges = new Set<string>()
  const add = (a: number, b: number) => edges.add(a < b ? `${a} ${b}` : `${b} ${a}`)
  for (let i = 0; i < regions; i++) {
    const near = pts.map((_, j) => j).filter((j) => j !== i).sort((a, b) => d2(i, a) - d2(i, b)).slice(0, 3)
    for (const j of near) add(i, j)
    if (i > 0) add(i - 1, i)
  }
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    '<key attr.name="label" attr.type="string" for="node" id="d0"/>',
    '<key attr.name="Latitude" attr.type="double" for="node" id="d1"/>',
    '<key attr.name="Longitude" attr.type="double" for="node" id="d2"/>',
    '<graph edgedefault="undirected">',
    ...pts.map((p, i) => `<node id="${i}"><data key="d0">r${i}</data><data key="d1">${p.lat.toFixed(4)}</data><data key="d2">${p.lon.toFixed(4)}</data></node>`),
    ...[...edges].map((e) => `<edge source="${e.split(' ')[0]}" target="${e.split(' ')[1]}"/>`),
    '</graph>',
    '</graphml>',
  ]
  return lines.join('\n')
}
