// Seeded random graphs for tests and benchmarks: the same seed gives the same graph on every machine.

/** mulberry32: a small, fast 32-bit PRNG. Returns a function yielding floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface RandomGraphOptions {
  nodeCount: number
  /** Distinct undirected edges, no self loops. */
  edgeCount: number
  seed: number
  /** Weights are uniform in [minWeight, maxWeight). @default 1, 100 */
  minWeight?: number
  maxWeight?: number
}

/** Uniform random simple undirected graph (G(n, m)) with random weights, as parallel edge arrays. */
export function randomEdges(o: RandomGraphOptions): { from: Int32Array; to: Int32Array; weight: Float64Array } {
  const n = o.nodeCount
  const m = o.edgeCount
  if (n < 2 || m > (n * (n - 1)) / 2) throw new RangeError(`cannot place ${m} distinct edges on ${n} nodes`)
  const lo = o.minWeight ?? 1
  const hi = o.maxWeight ?? 100
  const rand = mulberry32(o.seed)
  const from = new Int32Array(m)
  const to = new Int32Array(m)
  const weight = new Float64Array(m)
  const seen = new Set<number>()
  let i = 0
  while (i < m) {
    const u = Math.floor(rand() * n)
    const v = Math.floor(rand() * n)
    if (u === v) continue
    const key = u < v ? u * n + v : v * n + u
    if (seen.has(key)) continue
    seen.add(key)
    from[i] = u
    to[i] = v
    weight[i] = lo + (hi - lo) * rand()
    i++
  }
  return { from, to, weight }
}
