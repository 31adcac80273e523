// Placement solver: optimality where it is checkable, local optimality, capacities, determinism, errors.
import { describe, expect, it } from 'vitest'
import { csrFromEdges } from './csr.js'
import { placeFacilities, latencyMatrix } from './placement.js'
import { mulberry32 } from './random-graph.js'

function randomMatrix(D: number, S: number, seed: number): Float64Array {
  const r = mulberry32(seed)
  return Float64Array.from({ length: D * S }, () => 1 + 99 * r())
}

/** Uncapacitated cost of an open set, computed directly. */
function cost(L: Float64Array, D: number, S: number, w: number[], open: number[]): number {
  let c = 0
  for (let i = 0; i < D; i++) c += w[i] * Math.min(...open.map((j) => L[i * S + j]))
  return c
}

function combinations(S: number, k: number): number[][] {
  if (k === 0) return [[]]
  const out: number[][] = []
  for (let first = 0; first < S; first++) for (const rest of combinations(S, k - 1)) if (rest.every((x) => x > first)) out.push([first, ...rest])
  return out
}

describe('placeFacilities', () => {
  it('k = 1 finds the exact 1-median', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const D = 30
      const S = 10
      const L = randomMatrix(D, S, seed)
      const w = Array.from({ length: D }, (_, i) => 1 + (i % 4))
      const r = placeFacilities({ latencyMs: L, demandCount: D, siteCount: S, k: 1, demandWeights: w })
      const best = Math.min(...Array.from({ length: S }, (_, j) => cost(L, D, S, w, [j])))
      expect(cost(L, D, S, w, r.sites)).toBeCloseTo(best, 9)
      expect(r.meanLatencyMs).toBeCloseTo(best / w.reduce((a, b) => a + b, 0), 9)
    }
  })

  it('ends in a local optimum (no single swap helps) and near the brute-force optimum', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const D = 25
      const S = 9
      const k = 3
      const L = randomMatrix(D, S, 100 + seed)
      const w = Array(D).fill(1)
      const r = placeFacilities({ latencyMs: L, demandCount: D, siteCount: S, k })
      const got = cost(L, D, S, w, r.sites)
      expect(r.meanLatencyMs).toBeCloseTo(got / D, 9)
      for (let i = 0; i < D; i++) expect(L[i * S + r.assignment[i]]).toBe(Math.min(...r.sites.map((j) => L[i * S + j])))
      for (let out = 0; out < k; out++) {
        for (let c = 0; c < S; c++) {
          if (r.sites.includes(c)) continue
          const trial = r.sites.slice()
          trial[out] = c
          expect(cost(L, D, S, w, trial)).toBeGreaterThanOrEqual(got - 1e-9)
        }
      }
      const optimum = Math.min(...combinations(S, k).map((o) => cost(L, D, S, w, o)))
      // Single-swap local search is within 5x of optimal in theory; on these instances it is far closer.
      expect(got).toBeLessThanOrEqual(optimum * 1.1)
    }
  })

  it('opens one site per cluster', () => {
    // Demands 0-2 near site 0 or 1, demands 3-5 near site 2 or 3; far across.
    const near = [1, 2, 50, 51]
    const L: number[] = []
    for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) L.push(i < 3 ? near[j] + i : near[(j + 2) % 4] + i)
    const r = placeFacilities({ latencyMs: L, demandCount: 6, siteCount: 4, k: 2 })
    expect(r.sites).toEqual([0, 2])
    expect(Array.from(r.assignment)).toEqual([0, 0, 0, 2, 2, 2])
  })

  it('respects site capacities and reports demand it cannot serve', () => {
    // Two sites, capacity 2 each; everyone prefers site 0.
    const L = [1, 10, 1, 10, 1, 10, 1, 10]
    const r = placeFacilities({ latencyMs: L, demandCount: 4, siteCount: 2, k: 2, siteCapacities: [2, 2] })
    const load = [0, 0]
    for (const s of r.assignment) load[s]++
    expect(load).toEqual([2, 2])
    expect(r.meanLatencyMs).toBeCloseTo((1 + 1 + 10 + 10) / 4, 12)
    // Weighted: total demand 5 > capacity 4 -> the weight-2 demand goes first, one weight-1 demand is left out.
    const tight = placeFacilities({ latencyMs: [1, 10, 1, 10, 1, 10], demandCount: 3, siteCount: 2, k: 2, demandWeights: [2, 2, 1], siteCapacities: [2, 2] })
    expect(tight.unservedWeight).toBe(1)
    expect(tight.meanLatencyMs).toBe(Infinity)
    expect(tight.servedMeanLatencyMs).toBeCloseTo((2 * 1 + 2 * 10) / 4, 12)
    for (let j = 0; j < 2; j++) {
      let used = 0
      tight.assignment.forEach((s, i) => (used += s === j ? [2, 2, 1][i] : 0))
      expect(used).toBeLessThanOrEqual(2)
    }
  })

  it('capacitated choice prefers sites that can hold the demand', () => {
    // Site 0 is nearest to all but holds 1; sites 1 and 2 are further but roomy.
    const L = [1, 5, 6, 1, 5, 6, 1, 6, 5]
    const r = placeFacilities({ latencyMs: L, demandCount: 3, siteCount: 3, k: 1, siteCapacities: [1, 10, 10] })
    expect(r.sites).toEqual([1])
    expect(r.unservedWeight).toBe(0)
  })

  it('marks unreachable demand as unserved (-1) and the mean as Infinity', () => {
    const r = placeFacilities({ latencyMs: [1, 2, Infinity, Infinity], demandCount: 2, siteCount: 2, k: 1 })
    expect(Array.from(r.assignment)).toEqual([0, -1])
    expect(r.meanLatencyMs).toBe(Infinity)
    expect(r.servedMeanLatencyMs).toBe(1)
  })

  it('is deterministic', () => {
    const L = randomMatrix(40, 15, 9)
    const run = () => placeFacilities({ latencyMs: L, demandCount: 40, siteCount: 15, k: 4, siteCapacities: Array(15).fill(12) })
    const a = run()
    const b = run()
    expect(a.sites).toEqual(b.sites)
    expect(Array.from(a.assignment)).toEqual(Array.from(b.assignment))
    expect(a.meanLatencyMs).toBe(b.meanLatencyMs)
  })

  it('works on a graph, measuring demand -> site along arc directions', () => {
    // Directed ring 0 -> 1 -> 2 -> 3 -> 0, weight 1.
    const g = csrFromEdges(4, { from: [0, 1, 2, 3], to: [1, 2, 3, 0], weight: [1, 1, 1, 1] }, { undirected: false })
    expect(Array.from(latencyMatrix(g, [0, 1], [2], true))).toEqual([2, 1])
    const r = placeFacilities({ graph: g, demandNodes: [0, 1, 2, 3], siteNodes: [0, 1, 2, 3], k: 1, directed: true, demandWeights: [1, 1, 1, 5] })
    // Demand 3 weighs most: a site at 3 costs 3+2+1 = 6, at 0 costs 0+3+2+5 = 10.
    expect(r.sites).toEqual([3])
    expect(r.meanLatencyMs).toBeCloseTo(6 / 8, 12)
  })

  it('rejects bad input with a clear error', () => {
    const L = [1, 2, 3, 4]
    expect(() => placeFacilities({ latencyMs: L, demandCount: 2, siteCount: 2, k: 3 })).toThrow('k = 3 but there are only 2 candidate sites')
    expect(() => placeFacilities({ latencyMs: L, demandCount: 2, siteCount: 2, k: 0 })).toThrow('k must be a positive integer, got 0')
    expect(() => placeFacilities({ latencyMs: L, demandCount: 3, siteCount: 2, k: 1 })).toThrow('latencyMs has 4 entries, expected demandCount x siteCount = 6')
    expect(() => placeFacilities({ latencyMs: [1, -2, 3, 4], demandCount: 2, siteCount: 2, k: 1 })).toThrow('latencyMs[1] is -2')
    expect(() => placeFacilities({ latencyMs: [1, NaN, 3, 4], demandCount: 2, siteCount: 2, k: 1 })).toThrow('latencyMs[1] is NaN')
    expect(() => placeFacilities({ latencyMs: L, demandCount: 2, siteCount: 2, k: 1, demandWeights: [1, -1] })).toThrow('demandWeights[1] is -1')
    expect(() => placeFacilities({ latencyMs: L, demandCount: 2, siteCount: 2, k: 1, siteCapacities: [1] })).toThrow('siteCapacities has 1 entries, expected 2')
    const g = csrFromEdges(2, { from: [0], to: [1], weight: [1] })
    expect(() => placeFacilities({ graph: g, demandNodes: [0, 7], siteNodes: [1], k: 1 })).toThrow('demand node 7 is not a node of the graph (0..1)')
  })
})
