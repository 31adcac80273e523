// Graphs in compressed sparse row (CSR) form: building from edge lists, validation, transposition.
// Plain data with no wasm; the wasm engine (index.ts) copies these arrays into its memory.
import { TopologyError } from './errors.js'

/** A directed graph in CSR form. Arcs of node u are indices offsets[u] .. offsets[u+1]-1 of targets/weights. */
export interface CsrGraph {
  readonly nodeCount: number
  /** nodeCount + 1 entries, non-decreasing, offsets[0] = 0, offsets[nodeCount] = arc count. */
  readonly offsets: Int32Array
  /** Head node of each arc. */
  readonly targets: Int32Array
  /** Non-negative finite weight of each arc (for Topology Zoo graphs: latency in ms). */
  readonly weights: Float64Array
}

/** Edge lists as parallel arrays: edge i goes from[i] -> to[i] with weight[i]. */
export interface EdgeList {
  from: ArrayLike<number>
  to: ArrayLike<number>
  weight: ArrayLike<number>
}

export interface CsrBuildOptions {
  /** Each edge becomes two arcs (u->v and v->u). @default true */
  undirected?: boolean
  /** Drop edges from a node to itself (they never shorten a path). @default true */
  dropSelfLoops?: boolean
}

function checkWeight(w: number, what: string): void {
  if (Number.isNaN(w)) throw new TopologyError('INVALID_GRAPH', `${what} has weight NaN`)
  if (w < 0) throw new TopologyError('NEGATIVE_WEIGHT', `${what} has negative weight ${w}: Dijkstra needs weights >= 0`)
  if (w === Infinity) throw new TopologyError('INVALID_GRAPH', `${what} has infinite weight (leave the edge out instead)`)
}

/** Builds a CSR graph from an edge list. Parallel edges are kept (the shortest wins in any search). */
export function csrFromEdges(nodeCount: number, edges: EdgeList, options: CsrBuildOptions = {}): CsrGraph {
  const undirected = options.undirected ?? true
  const dropSelfLoops = options.dropSelfLoops ?? true
  if (!Number.isInteger(nodeCount) || nodeCount < 0 || nodeCount > 0x3fffffff) {
    throw new TopologyError('INVALID_GRAPH', `node count must be a non-negative integer, got ${nodeCount}`)
  }
  const m = edges.from.length
  if (edges.to.length !== m || edges.weight.length !== m) {
    throw new TopologyError('INVALID_GRAPH', `edge arrays differ in length (from ${m}, to ${edges.to.length}, weight ${edges.weight.length})`)
  }
  const degree = new Int32Array(nodeCount + 1)
  let arcs = 0
  for (let i = 0; i < m; i++) {
    const u = edges.from[i]
    const v = edges.to[i]
    for (const x of [u, v]) {
      if (!Number.isInteger(x) || x < 0 || x >= nodeCount) {
        throw new TopologyError('INVALID_GRAPH', `edge ${i} (${u} -> ${v}) names node ${x}, outside 0..${nodeCount - 1}`)
      }
    }
    checkWeight(edges.weight[i], `edge ${i} (${u} -> ${v})`)
    if (u === v && dropSelfLoops) continue
    degree[u + 1]++
    arcs++
    if (undirected && u !== v) {
      degree[v + 1]++
      arcs++
    }
  }
  const offsets = new Int32Array(nodeCount + 1)
  for (let u = 0; u < nodeCount; u++) offsets[u + 1] = offsets[u] + degree[u + 1]
  const fill = offsets.slice(0, nodeCount)
  const targets = new Int32Array(arcs)
  const weights = new Float64Array(arcs)
  for (let i = 0; i < m; i++) {
    const u = edges.from[i]
    const v = edges.to[i]
    if (u === v && dropSelfLoops) continue
    const w = edges.weight[i]
    let k = fill[u]++
    targets[k] = v
    weights[k] = w
    if (undirected && u !== v) {
      k = fill[v]++
      targets[k] = u
      weights[k] = w
    }
  }
  return { nodeCount, offsets, targets, weights }
}

/** Checks a CSR graph someone else built: shapes, offsets, node ids and weights. Throws TopologyError. */
export function validateCsr(g: CsrGraph): void {
  const n = g.nodeCount
  if (!Number.isInteger(n) || n < 0) throw new TopologyError('INVALID_GRAPH', `nodeCount must be a non-negative integer, got ${n}`)
  if (g.offsets.length !== n + 1) throw new TopologyError('INVALID_GRAPH', `offsets has ${g.offsets.length} entries, expected nodeCount + 1 = ${n + 1}`)
  const arcs = g.offsets[n]
  if (g.offsets[0] !== 0) throw new TopologyError('INVALID_GRAPH', `offsets[0] must be 0, got ${g.offsets[0]}`)
  if (g.targets.length !== arcs || g.weights.length !== arcs) {
    throw new TopologyError('INVALID_GRAPH', `offsets[nodeCount] = ${arcs} but targets has ${g.targets.length} and weights ${g.weights.length} entries`)
  }
  for (let u = 0; u < n; u++) {
    if (g.offsets[u + 1] < g.offsets[u]) throw new TopologyError('INVALID_GRAPH', `offsets decrease at node ${u}`)
  }
  for (let e = 0; e < arcs; e++) {
    const v = g.targets[e]
    if (v < 0 || v >= n) throw new TopologyError('INVALID_GRAPH', `arc ${e} points to node ${v}, outside 0..${n - 1}`)
    checkWeight(g.weights[e], `arc ${e}`)
  }
}

/** The graph with every arc reversed (for distances *to* a node in a directed graph). */
export function transposeCsr(g: CsrGraph): CsrGraph {
  const n = g.nodeCount
  const offsets = new Int32Array(n + 1)
  for (let e = 0; e < g.targets.length; e++) offsets[g.targets[e] + 1]++
  for (let u = 0; u < n; u++) offsets[u + 1] += offsets[u]
  const fill = offsets.slice(0, n)
  const targets = new Int32Array(g.targets.length)
  const weights = new Float64Array(g.targets.length)
  for (let u = 0; u < n; u++) {
    for (let e = g.offsets[u]; e < g.offsets[u + 1]; e++) {
      const k = fill[g.targets[e]]++
      targets[k] = u
      weights[k] = g.weights[e]
    }
  }
  return { nodeCount: n, offsets, targets, weights }
}
