// Assigning demand to a fixed set of open sites, with and without capacities, and comparing the costs.
// Helpers of placement.ts; every loop runs in index order so results are deterministic.

/** A placement's cost, compared lexicographically by compareCost. */
export interface Cost {
  /** Sum over served demand of weight x latency (ms). */
  weightedLatency: number
  /** Weight of the demand no open site can serve. */
  unservedWeight: number
}

/** Who serves whom, and at what cost. */
export interface Assignment extends Cost {
  /** Site index per demand, -1 when unserved. */
  assignment: Int32Array
}

/**
 * Per demand, the nearest and second-nearest open sites, so that the nearest-site cost of adding a
 * site or swapping one for another is O(demands) (the classic k-median local-search bookkeeping).
 */
export class NearestTwo {
  private readonly best: Float64Array
  private readonly bestSite: Int32Array
  private readonly second: Float64Array

  constructor(
    private readonly L: Float64Array,
    private readonly D: number,
    private readonly S: number,
    private readonly w: Float64Array,
  ) {
    this.best = new Float64Array(D)
    this.bestSite = new Int32Array(D)
    this.second = new Float64Array(D)
  }

  /** Recomputes for the open set (O(demands x open)). Ties go to the lower site index. */
  update(open: readonly number[]): void {
    const sorted = [...open].sort((a, b) => a - b)
    for (let i = 0; i < this.D; i++) {
      let b1 = Infinity
      let s1 = -1
      let b2 = Infinity
      for (const j of sorted) {
        const l = this.L[i * this.S + j]
        if (l < b1) {
          b2 = b1
          b1 = l
          s1 = j
        } else if (l < b2) b2 = l
      }
      this.best[i] = b1
      this.bestSite[i] = s1
      this.second[i] = b2
    }
  }

  /** Nearest-site cost after closing site `out` (-1: none) and opening site `site`. */
  costWith(out: number, site: number): Cost {
    let weightedLatency = 0
    let unservedWeight = 0
    for (let i = 0; i < this.D; i++) {
      const kept = this.bestSite[i] === out ? this.second[i] : this.best[i]
      const l = Math.min(kept, this.L[i * this.S + site])
      if (l === Infinity) unservedWeight += this.w[i]
      else weightedLatency += this.w[i] * l
    }
    return { weightedLatency, unservedWeight }
  }
}

/** Orders costs: less unserved weight first, then lower weighted latency (ties within 1e-12 relative are equal). */
export function compareCost(a: Cost, b: Cost): number {
  const tol = 1e-12 * Math.max(1, a.unservedWeight, b.unservedWeight)
  if (a.unservedWeight < b.unservedWeight - tol) return -1
  if (a.unservedWeight > b.unservedWeight + tol) return 1
  const t = 1e-12 * Math.max(1, Math.abs(a.weightedLatency), Math.abs(b.weightedLatency))
  if (a.weightedLatency < b.weightedLatency - t) return -1
  if (a.weightedLatency > b.weightedLatency + t) return 1
  return 0
}

/** Every demand to its nearest open site (lowest site index on ties). */
export function assignNearest(L: Float64Array, D: number, S: number, w: Float64Array, open: readonly number[]): Assignment {
  const assignment = new Int32Array(D)
  let weightedLatency = 0
  let unservedWeight = 0
  for (let i = 0; i < D; i++) {
    let best = Infinity
    let site = -1
    const row = i * S
    for (const j of open) {
      const l = L[row + j]
      if (l < best || (l === best && l !== Infinity && j < site)) {
        best = l
        site = j
      }
    }
    assignment[i] = site
    if (site < 0) unservedWeight += w[i]
    else weightedLatency += w[i] * best
  }
  return { assignment, weightedLatency, unservedWeight }
}

/**
 * Capacitated, unsplittable: demands in decreasing regret (second-nearest minus nearest open site
 * latency; larger weight, then lower index break ties) take the nearest site with room; then passes
 * that move single demands to a nearer site with room (or place unserved ones) until none helps.
 * A heuristic for the generalized assignment problem, not an optimum.
 */
export function assignCapacitated(L: Float64Array, D: number, S: number, w: Float64Array, cap: Float64Array, open: readonly number[]): Assignment {
  const sorted = [...open].sort((a, b) => a - b)
  const room = new Float64Array(S)
  for (const j of sorted) room[j] = cap[j]
  const regret = new Float64Array(D)
  for (let i = 0; i < D; i++) {
    let b1 = Infinity
    let b2 = Infinity
    for (const j of sorted) {
      const l = L[i * S + j]
      if (l < b1) {
        b2 = b1
        b1 = l
      } else if (l < b2) b2 = l
    }
    regret[i] = b1 === Infinity ? -1 : b2 === Infinity ? Infinity : b2 - b1
  }
  const order = Array.from({ length: D }, (_, i) => i).sort((a, b) => regret[b] - regret[a] || w[b] - w[a] || a - b)
  const assignment = new Int32Array(D).fill(-1)
  const place = (i: number, better: (l: number, j: number) => boolean): boolean => {
    let site = -1
    let best = Infinity
    for (const j of sorted) {
      const l = L[i * S + j]
      if (l < best && room[j] >= w[i] && better(l, j)) {
        best = l
        site = j
      }
    }
    if (site < 0) return false
    if (assignment[i] >= 0) room[assignment[i]] += w[i]
    room[site] -= w[i]
    assignment[i] = site
    return true
  }
  for (const i of order) place(i, () => true)
  for (let pass = 0; pass < 20; pass++) {
    let moved = false
    for (let i = 0; i < D; i++) {
      const cur = assignment[i]
      const curL = cur >= 0 ? L[i * S + cur] : Infinity
      if (place(i, (l, j) => j !== cur && l < curL)) moved = true
    }
    if (!moved) break
  }
  let weightedLatency = 0
  let unservedWeight = 0
  for (let i = 0; i < D; i++) {
    if (assignment[i] < 0) unservedWeight += w[i]
    else weightedLatency += w[i] * L[i * S + assignment[i]]
  }
  return { assignment, weightedLatency, unservedWeight }
}
