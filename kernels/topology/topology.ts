// A network read from GraphML (Topology Zoo): nodes with coordinates, links with fibre latency, and the
// CSR graph the shortest-path engine searches. Handles duplicate edges, self loops and missing coordinates.
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { csrFromEdges, type CsrGraph } from './csr.js'
import { TopologyError } from './errors.js'
import { fibreLatencyMs, sphericalCentroid } from './geo.js'
import { parseGraphML, type GraphMLDocument } from './graphml.js'

/** Latency of a link with an endpoint that has no coordinates, known or inferred. */
export const DEFAULT_FALLBACK_LINK_LATENCY_MS = 1

export interface TopologyNode {
  /** Position in Topology.nodes and node number in Topology.graph. */
  index: number
  /** The GraphML node id. */
  id: string
  /** The `label` attribute, if non-empty. */
  label?: string
  latitude?: number
  longitude?: number
  /** 'file': coordinates from the file; 'inferred': centroid of neighbours; 'none': unknown. */
  coordinates: 'file' | 'inferred' | 'none'
  /** False for Topology Zoo nodes with Internal = 0 (another network's PoP). */
  internal: boolean
}

export interface TopologyLink {
  source: number
  target: number
  latencyMs: number
  /** 'coordinates': great-circle fibre latency; 'fallback': an endpoint had no coordinates. */
  latencyFrom: 'coordinates' | 'fallback'
}

export interface TopologyOptions {
  /** Latency of links whose endpoints lack coordinates after inference. @default DEFAULT_FALLBACK_LINK_LATENCY_MS (1 ms) */
  fallbackLinkLatencyMs?: number
  /** Name used in error messages. @default 'graphml' */
  source?: string
}

function parseCoordinate(raw: string | undefined, what: string, limit: number, nodeId: string, source: string): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const v = Number(raw)
  if (!Number.isFinite(v)) throw new TopologyError('INVALID_GRAPHML', `${source}: node ${JSON.stringify(nodeId)}: ${what} ${JSON.stringify(raw)} is not a number`)
  if (Math.abs(v) > limit) throw new TopologyError('INVALID_GRAPHML', `${source}: node ${JSON.stringify(nodeId)}: ${what} ${v} is outside -${limit}..${limit}`)
  return v
}

/** A network with latencies. Build with Topology.fromGraphML or loadTopology. */
export class Topology {
  private constructor(
    /** The network's name (graph attribute label, else Network), or the file name. */
    readonly name: string,
    readonly directed: boolean,
    readonly nodes: readonly TopologyNode[],
    /** Distinct links after dropping self loops and merging duplicates (the lowest latency is kept). */
    readonly links: readonly TopologyLink[],
    /** The graph to search: arcs weighted by latencyMs. */
    readonly graph: CsrGraph,
    /** What was repaired or assumed while reading (missing coordinates, duplicates, self loops). */
    readonly warnings: readonly string[],
  ) {}

  /** Reads GraphML text. See docs/kernel-topology.md for the latency formula and the fallbacks. */
  static fromGraphML(text: string, options: TopologyOptions = {}): Topology {
    const source = options.source ?? 'graphml'
    const fallbackMs = options.fallbackLinkLatencyMs ?? DEFAULT_FALLBACK_LINK_LATENCY_MS
    if (!(fallbackMs >= 0) || !Number.isFinite(fallbackMs)) throw new TopologyError('INVALID_GRAPH', `fallbackLinkLatencyMs must be a finite number >= 0, got ${fallbackMs}`)
    const doc: GraphMLDocument = parseGraphML(text, source)
    const warnings = [...doc.warnings]
    const nodes: TopologyNode[] = doc.nodes.map((n, index) => {
      const lat = parseCoordinate(n.data.Latitude, 'Latitude', 90, n.id, source)
      const lon = parseCoordinate(n.data.Longitude, 'Longitude', 180, n.id, source)
      const has = lat !== undefined && lon !== undefined
      if ((lat === undefined) !== (lon === undefined)) warnings.push(`node ${n.id}: only one of Latitude/Longitude given; treated as unknown`)
      return {
        index,
        id: n.id,
        label: n.data.label ? n.data.label : undefined,
        latitude: has ? lat : undefined,
        longitude: has ? lon : undefined,
        coordinates: has ? 'file' : 'none',
        internal: n.data.Internal !== '0',
      }
    })

    // Distinct links: self loops dropped, duplicates merged (undirected: unordered pairs).
    const pairs = new Map<string, { source: number; target: number; directed: boolean }>()
    let selfLoops = 0
    let duplicates = 0
    for (const e of doc.edges) {
      if (e.source === e.target) {
        selfLoops++
        continue
      }
      const [a, b] = !e.directed && e.source > e.target ? [e.target, e.source] : [e.source, e.target]
      const key = `${a} ${b} ${e.directed ? 'd' : 'u'}`
      if (pairs.has(key)) duplicates++
      else pairs.set(key, { source: a, target: b, directed: e.directed })
    }
    if (selfLoops) warnings.push(`${selfLoops} self loop(s) dropped`)
    if (duplicates) warnings.push(`${duplicates} duplicate edge(s) merged`)
    const distinct = [...pairs.values()]

    inferCoordinates(nodes, distinct, warnings)

    const links: TopologyLink[] = []
    const from: number[] = []
    const to: number[] = []
    const weight: number[] = []
    let fallbacks = 0
    for (const p of distinct) {
      const s = nodes[p.source]
      const t = nodes[p.target]
      const known = s.latitude !== undefined && t.latitude !== undefined
      const latencyMs = known ? fibreLatencyMs(s.latitude!, s.longitude!, t.latitude!, t.longitude!) : fallbackMs
      if (!known) fallbacks++
      links.push({ source: p.source, target: p.target, latencyMs, latencyFrom: known ? 'coordinates' : 'fallback' })
      // A directed edge is one arc; an undirected one is two.
      from.push(p.source)
      to.push(p.target)
      weight.push(latencyMs)
      if (!p.directed) {
        from.push(p.target)
        to.push(p.source)
        weight.push(latencyMs)
      }
    }
    if (fallbacks) warnings.push(`${fallbacks} link(s) without coordinates at an endpoint use the fallback latency ${fallbackMs} ms`)
    const graph = csrFromEdges(nodes.length, { from, to, weight }, { undirected: false })
    const name = doc.graphData.label || doc.graphData.Network || basename(source).replace(/\.graphml$/i, '')
    return new Topology(name, doc.directed, nodes, links, graph, warnings)
  }

  /**
   * The node index for a reference: a GraphML id first, then an exact label, then a label ignoring case.
   * Throws TopologyError('UNKNOWN_NODE') when nothing or more than one node matches.
   */
  findNode(ref: string): number {
    const byId = this.nodes.find((n) => n.id === ref)
    if (byId) return byId.index
    for (const same of [(l: string) => l === ref, (l: string) => l.toLowerCase() === ref.toLowerCase()]) {
      const hits = this.nodes.filter((n) => n.label !== undefined && same(n.label))
      if (hits.length === 1) return hits[0].index
      if (hits.length > 1) {
        throw new TopologyError('UNKNOWN_NODE', `${JSON.stringify(ref)} is the label of ${hits.length} nodes (ids ${hits.map((h) => h.id).join(', ')}); give an id`)
      }
    }
    throw new TopologyError('UNKNOWN_NODE', `${this.name} has no node with id or label ${JSON.stringify(ref)}`)
  }

  /** A display name: the label, or `#id` when the node has none. */
  nodeName(index: number): string {
    const n = this.nodes[index]
    return n.label ?? `#${n.id}`
  }
}

/**
 * Gives nodes without coordinates the spherical centroid of their located neighbours, in rounds
 * (each round uses only positions known before it, so the result does not depend on node order)
 * until nothing changes. Nodes in parts of the graph without any coordinates stay 'none'.
 */
function inferCoordinates(nodes: TopologyNode[], links: readonly { source: number; target: number }[], warnings: string[]): void {
  const neighbours: number[][] = nodes.map(() => [])
  for (const l of links) {
    neighbours[l.source].push(l.target)
    neighbours[l.target].push(l.source)
  }
  let inferred = 0
  for (;;) {
    const updates: [number, { latitude: number; longitude: number }][] = []
    for (const n of nodes) {
      if (n.latitude !== undefined) continue
      const located = neighbours[n.index].map((i) => nodes[i]).filter((m) => m.latitude !== undefined) as { latitude: number; longitude: number }[]
      const c = sphericalCentroid(located)
      if (c) updates.push([n.index, c])
    }
    if (updates.length === 0) break
    for (const [i, c] of updates) {
      nodes[i].latitude = c.latitude
      nodes[i].longitude = c.longitude
      nodes[i].coordinates = 'inferred'
      inferred++
    }
  }
  if (inferred) warnings.push(`${inferred} node(s) without coordinates placed at the centroid of their neighbours`)
  const unknown = nodes.filter((n) => n.latitude === undefined).length
  if (unknown) warnings.push(`${unknown} node(s) have no coordinates and no located neighbour`)
}

/** Reads a GraphML file into a Topology. File errors are wrapped with the path. */
export async function loadTopology(path: string, options: Omit<TopologyOptions, 'source'> = {}): Promise<Topology> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new TopologyError('INVALID_GRAPHML', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  return Topology.fromGraphML(text, { ...options, source: path })
}
