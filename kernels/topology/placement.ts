// Latency-aware placement: choose k sites for weighted demand (capacitated k-median) by greedy opening
// then single-swap local search. Deterministic: same input, same output. Used by the scheduler.
import { transposeCsr, type CsrGraph } from './csr.js'
import { ShortestPathEngine } from './engine.js'
import { TopologyError } from './errors.js'
import { assignCapacitated, assignNearest, compareCost, NearestTwo, type Assignment, type Cost } from './assignment.js'

interface CommonInput {
  /** Number of sites to open; 1 <= k <= site count. */
  k: number
  /** Weight of each demand (e.g. requests per minute); >= 0. @default 1 for every demand */
  demandWeights?: ArrayLike<number>
  /** Capacity of each site in the units of demandWeights; omit (or Infinity) for uncapacitated. @default Infinity */
  siteCapacities?: ArrayLike<number>
  /** Local-search rounds (each applies the best improving swap). @default 100 */
  maxSwapRounds?: number
}

/** Placement over a precomputed latency matrix. */
export interface MatrixPlacementInput extends CommonInput {
  /** demandCount x siteCount, row-major: latencyMs[d * siteCount + s]. Infinity = unreachable. */
  latencyMs: ArrayLike<number>
  demandCount: number
  siteCount: number
}

/** Placement on a graph: latencies are shortest-path distances from each demand node to each site node. */
export interface GraphPlacementInput extends CommonInput {
  graph: CsrGraph
  /** Node numbers of the demand origins (demand i is demandNodes[i]). */
  demandNodes: ArrayLike<number>
  /** Node numbers of the candidate sites (site j is siteNodes[j]). */
  siteNodes: ArrayLike<number>
  /** Arcs are one-way: latency is measured demand -> site. @default false (symmetric graph) */
  directed?: boolean
}

export interface PlacementResult {
  /** Indices (into the site list) of the open sites, ascending. */
  sites: number[]
  /** For each demand, the index of the site serving it, or -1 when none can (unreachable or no capacity left). */
  assignment: Int32Array
  /** Demand-weighted mean latency over all demand; Infinity when positive-weight demand is unserved; 0 with no weight. */
  meanLatencyMs: number
  /** Demand-weighted mean over the served demand only. */
  servedMeanLatencyMs: number
  /** Total weight of demand left unserved. */
  unservedWeight: number
  /** Improving swaps the local search applied after the greedy phase. */
  swaps: number
}

/** Shortest-path latency matrix (demands x sites, row-major) on a graph. */
export function latencyMatrix(graph: CsrGraph, demandNodes: ArrayLike<number>, siteNodes: ArrayLike<number>, directed = false): Float64Array {
  // Search from each site (usually fewer than demands); on a directed graph walk arcs backwards.
  const engine = new ShortestPathEngine(directed ? transposeCsr(graph) : graph)
  const fromSites = engine.fromEach(siteNodes)
  const n = graph.nodeCount
  const S = siteNodes.length
  const D = demandNodes.length
  const out = new Float64Array(D * S)
  for (let d = 0; d < D; d++) {
    const node = demandNodes[d]
    if (!Number.isInteger(node) || node < 0 || node >= n) throw new TopologyError('UNKNOWN_NODE', `demand node ${node} is not a node of the graph (0..${n - 1})`)
    for (let s = 0; s < S; s++) out[d * S + s] = fromSites[s * n + node]
  }
  return out
}

/** With capacities, how many of the best-ranked (by nearest-site cost) candidates are assigned exactly per step. */
export const CAPACITATED_SCREEN = 24

interface Candidate {
  /** Nearest-site (uncapacitated) cost with this move applied. */
  cost: Cost
  /** Slot in the open list to replace, or -1 to add. */
  out: number
  site: number
}

/**
 * The candidate with the lowest exact cost, if it beats `incumbent`. Without capacities the ranking
 * cost is the exact cost. With them, the SCREEN best-ranked candidates (stable order) are assigned exactly.
 */
function choose(ranked: Candidate[], exact: (c: Candidate) => Assignment, screened: boolean, incumbent: Assignment | undefined): { cand: Candidate; cost: Assignment } | undefined {
  let best: { cand: Candidate; cost: Assignment } | undefined
  if (!screened) {
    let bestCand: Candidate | undefined
    for (const c of ranked) if (!bestCand || compareCost(c.cost, bestCand.cost) < 0) bestCand = c
    if (!bestCand || (incumbent && compareCost(bestCand.cost, incumbent) >= 0)) return undefined
    return { cand: bestCand, cost: exact(bestCand) }
  }
  const order = ranked.map((c, i) => i).sort((x, y) => compareCost(ranked[x].cost, ranked[y].cost) || x - y)
  for (const i of order.slice(0, CAPACITATED_SCREEN)) {
    const a = exact(ranked[i])
    if (!best || compareCost(a, best.cost) < 0) best = { cand: ranked[i], cost: a }
  }
  if (!best || (incumbent && compareCost(best.cost, incumbent) >= 0)) return undefined
  return best
}

function fail(msg: string): never {
  throw new TopologyError('INVALID_PLACEMENT_INPUT', msg)
}

/**
 * Chooses k sites minimising demand-weighted latency: greedy opening (each step opens the site that
 * lowers the cost most), then single-swap local search (close one, open one; best swap per round)
 * until no swap improves or maxSwapRounds. Cost is compared as (unserved weight, weighted latency).
 * With capacities each demand goes whole to one site (regret-ordered greedy assignment plus moves).
 */
export function placeFacilities(input: MatrixPlacementInput | GraphPlacementInput): PlacementResult {
  let latency: ArrayLike<number>
  let D: number
  let S: number
  if ('latencyMs' in input) {
    ;({ latencyMs: latency, demandCount: D, siteCount: S } = input)
    if (!Number.isInteger(D) || D < 0 || !Number.isInteger(S) || S < 0) fail(`demandCount and siteCount must be non-negative integers, got ${D} and ${S}`)
    if (latency.length !== D * S) fail(`latencyMs has ${latency.length} entries, expected demandCount x siteCount = ${D * S}`)
    for (let i = 0; i < latency.length; i++) {
      if (!(latency[i] >= 0)) fail(`latencyMs[${i}] is ${latency[i]}; latencies must be >= 0 (Infinity for unreachable)`)
    }
  } else {
    D = input.demandNodes.length
    S = input.siteNodes.length
    latency = latencyMatrix(input.graph, input.demandNodes, input.siteNodes, input.directed ?? false)
  }
  const k = input.k
  if (!Number.isInteger(k) || k < 1) fail(`k must be a positive integer, got ${k}`)
  if (k > S) fail(`k = ${k} but there are only ${S} candidate sites`)
  const weights = new Float64Array(D).fill(1)
  if (input.demandWeights) {
    if (input.demandWeights.length !== D) fail(`demandWeights has ${input.demandWeights.length} entries, expected ${D}`)
    for (let i = 0; i < D; i++) {
      const w = input.demandWeights[i]
      if (!(w >= 0) || !Number.isFinite(w)) fail(`demandWeights[${i}] is ${w}; weights must be finite and >= 0`)
      weights[i] = w
    }
  }
  let capacities: Float64Array | undefined
  if (input.siteCapacities) {
    if (input.siteCapacities.length !== S) fail(`siteCapacities has ${input.siteCapacities.length} entries, expected ${S}`)
    capacities = Float64Array.from(input.siteCapacities)
    for (let j = 0; j < S; j++) if (!(capacities[j] >= 0)) fail(`siteCapacities[${j}] is ${capacities[j]}; capacities must be >= 0`)
    if (capacities.every((c) => c === Infinity)) capacities = undefined
  }
  const maxRounds = input.maxSwapRounds ?? 100
  const L = latency instanceof Float64Array ? latency : Float64Array.from(latency)
  const caps = capacities
  const exact = (open: readonly number[]): Assignment => (caps ? assignCapacitated(L, D, S, weights, caps, open) : assignNearest(L, D, S, weights, open))
  const near = new NearestTwo(L, D, S, weights)

  // Greedy opening: each step opens the site with the lowest cost. Without capacities the nearest-site
  // cost is exact; with them it ranks the candidates and the best SCREEN are assigned exactly.
  const open: number[] = []
  const isOpen = new Uint8Array(S)
  let current: Assignment = exact([])
  for (let step = 0; step < k; step++) {
    near.update(open)
    const ranked: Candidate[] = []
    for (let c = 0; c < S; c++) if (!isOpen[c]) ranked.push({ cost: near.costWith(-1, c), out: -1, site: c })
    const pick = choose(ranked, (cand) => exact([...open, cand.site]), caps !== undefined, undefined)
    open.push(pick!.cand.site)
    isOpen[pick!.cand.site] = 1
    current = pick!.cost
  }

  // Single-swap local search: each round applies the best improving swap (close open[r], open c).
  let swaps = 0
  for (let round = 0; round < maxRounds; round++) {
    near.update(open)
    const ranked: Candidate[] = []
    for (let r = 0; r < open.length; r++) {
      for (let c = 0; c < S; c++) if (!isOpen[c]) ranked.push({ cost: near.costWith(open[r], c), out: r, site: c })
    }
    const pick = choose(
      ranked,
      (cand) => {
        const trial = open.slice()
        trial[cand.out] = cand.site
        return exact(trial)
      },
      caps !== undefined,
      current,
    )
    if (!pick) break
    isOpen[open[pick.cand.out]] = 0
    open[pick.cand.out] = pick.cand.site
    isOpen[pick.cand.site] = 1
    current = pick.cost
    swaps++
  }

  const a = current
  let totalWeight = 0
  for (let i = 0; i < D; i++) totalWeight += weights[i]
  const servedWeight = totalWeight - a.unservedWeight
  return {
    sites: open.slice().sort((x, y) => x - y),
    assignment: a.assignment,
    meanLatencyMs: a.unservedWeight > 0 ? Infinity : totalWeight > 0 ? a.weightedLatency / totalWeight : 0,
    servedMeanLatencyMs: servedWeight > 0 ? a.weightedLatency / servedWeight : 0,
    unservedWeight: a.unservedWeight,
    swaps,
  }
}
