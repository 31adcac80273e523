// The wasm engine against the plain TypeScript reference, graphology, and hand-checked small graphs.
import { describe, expect, it } from 'vitest'
import { UndirectedGraph } from 'graphology'
import { dijkstra } from 'graphology-shortest-path'
import { csrFromEdges, transposeCsr } from './csr.js'
import { ShortestPathEngine } from './engine.js'
import { TopologyError } from './errors.js'
import { PlainCsrDijkstra } from './plain-dijkstra.js'
import { mulberry32, randomEdges } from './random-graph.js'

/** Relative closeness: path sums may differ in the last bits when two paths tie. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]
    const e = expected[i]
    if (e === Infinity || a === Infinity) expect(a, `node ${i}`).toBe(e)
    else expect(Math.abs(a - e), `node ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, e))
  }
}

/** Distances from graphology's dijkstra.singleSource paths, summing edge weights along each path. */
function graphologyDistances(n: number, edges: { from: ArrayLike<number>; to: ArrayLike<number>; weight: ArrayLike<number> }, source: number): Float64Array {
  const g = new UndirectedGraph()
  for (let i = 0; i < n; i++) g.addNode(String(i))
  for (let i = 0; i < edges.from.length; i++) g.addEdge(String(edges.from[i]), String(edges.to[i]), { weight: edges.weight[i] })
  const paths = dijkstra.singleSource(g, String(source), 'weight')
  const out = new Float64Array(n).fill(Infinity)
  for (const [node, path] of Object.entries(paths)) {
    let d = 0
    for (let i = 1; i < path.length; i++) d += g.getEdgeAttribute(g.edge(path[i - 1], path[i])!, 'weight') as number
    out[Number(node)] = d
  }
  return out
}

describe('ShortestPathEngine', () => {
  const n = 2000
  const edges = randomEdges({ nodeCount: n, edgeCount: 6000, seed: 7 })
  const graph = csrFromEdges(n, edges)

  it('matches graphology on a random graph, with both queues', () => {
    const bucket = new ShortestPathEngine(graph)
    const heap = new ShortestPathEngine(graph, { queue: 'binary-heap' })
    expect(bucket.queue).toBe('bucket')
    expect(heap.queue).toBe('binary-heap')
    for (const s of [0, 999, 1999]) {
      const expected = graphologyDistances(n, edges, s)
      expectClose(bucket.singleSource(s), expected)
      expectClose(heap.singleSource(s), expected)
    }
  })

  it('matches the plain TypeScript reference from many sources, including disconnected parts', () => {
    // Sparse graph (1.2 edges per node) so many nodes are unreachable; weights span 0.5..1000.
    const m = 1500
    const sparse = randomEdges({ nodeCount: m, edgeCount: 900, seed: 11, minWeight: 0.5, maxWeight: 1000 })
    const g = csrFromEdges(m, sparse)
    const plain = new PlainCsrDijkstra(g)
    const sources = [0, 5, 77, 1499]
    for (const queue of ['auto', 'binary-heap'] as const) {
      const engine = new ShortestPathEngine(g, { queue })
      expect(engine.queue).toBe(queue === 'auto' ? 'bucket' : 'binary-heap')
      const rows = engine.fromEach(sources)
      sources.forEach((s, r) => expectClose(rows.subarray(r * m, (r + 1) * m), plain.singleSource(s)))
    }
    expect(plain.singleSource(0).some((d) => d === Infinity)).toBe(true)
  })

  it('gives Infinity for unreachable nodes and 0 for the source', () => {
    const g = csrFromEdges(5, { from: [0, 1, 3], to: [1, 2, 4], weight: [2, 3, 1] })
    const d = new ShortestPathEngine(g).singleSource(0)
    expect(Array.from(d)).toEqual([0, 2, 5, Infinity, Infinity])
  })

  it('uses the binary heap where the bucket queue would not pay: zero weights, huge weight ranges', () => {
    expect(new ShortestPathEngine(csrFromEdges(3, { from: [0, 1], to: [1, 2], weight: [0, 1] })).queue).toBe('binary-heap')
    expect(new ShortestPathEngine(csrFromEdges(3, { from: [0, 1], to: [1, 2], weight: [1e-3, 1e3] })).queue).toBe('binary-heap')
    expect(new ShortestPathEngine(csrFromEdges(3, { from: [0, 1], to: [1, 2], weight: [1, 1e3] })).queue).toBe('bucket')
  })

  it('handles zero-weight arcs and parallel edges', () => {
    const g = csrFromEdges(4, { from: [0, 1, 0, 0, 2], to: [1, 2, 2, 2, 3], weight: [0, 0, 5, 4, 1.5] })
    for (const queue of ['auto', 'binary-heap'] as const) {
      expect(Array.from(new ShortestPathEngine(g, { queue }).singleSource(0))).toEqual([0, 0, 0, 1.5])
    }
  })

  it('follows arc direction in directed graphs, and transposes', () => {
    const g = csrFromEdges(3, { from: [0, 1], to: [1, 2], weight: [1, 1] }, { undirected: false })
    expect(Array.from(new ShortestPathEngine(g).singleSource(2))).toEqual([Infinity, Infinity, 0])
    expect(Array.from(new ShortestPathEngine(transposeCsr(g)).singleSource(2))).toEqual([2, 1, 0])
  })

  it('all-pairs is symmetric on an undirected graph and agrees with single source', () => {
    const m = 300
    const g = csrFromEdges(m, randomEdges({ nodeCount: m, edgeCount: 900, seed: 3 }))
    const engine = new ShortestPathEngine(g)
    const all = engine.allPairs()
    expectClose(all.subarray(42 * m, 43 * m), engine.singleSource(42))
    const rand = mulberry32(1)
    for (let t = 0; t < 200; t++) {
      const i = Math.floor(rand() * m)
      const j = Math.floor(rand() * m)
      expectClose([all[i * m + j]], [all[j * m + i]])
    }
  })

  it('nearestSource gives the minimum over sources and which source it was', () => {
    const engine = new ShortestPathEngine(graph)
    const sources = [3, 400, 1500]
    const rows = engine.fromEach(sources)
    const { distances, nearest } = engine.nearestSource(sources)
    for (let v = 0; v < n; v++) {
      const best = Math.min(rows[v], rows[n + v], rows[2 * n + v])
      expectClose([distances[v]], [best])
      if (best === Infinity) expect(nearest[v]).toBe(-1)
      else expectClose([rows[nearest[v] * n + v]], [best])
    }
  })

  it('kNearest returns the k closest candidates in order', () => {
    const engine = new ShortestPathEngine(graph)
    const candidates = [10, 20, 30, 40, 50, 60, 70, 80]
    const all = engine.singleSource(5)
    const expected = [...candidates].sort((a, b) => all[a] - all[b] || a - b).slice(0, 3)
    const { nodes, distances } = engine.kNearest(5, candidates, 3)
    expect(Array.from(nodes).sort()).toEqual(expected.sort())
    expectClose(distances, Array.from(nodes, (v) => all[v]))
    expect(distances[0]).toBeLessThanOrEqual(distances[1])
    expect(distances[1]).toBeLessThanOrEqual(distances[2])
    // Fewer reachable candidates than k: only those come back.
    const g = csrFromEdges(4, { from: [0], to: [1], weight: [1] })
    expect(Array.from(new ShortestPathEngine(g).kNearest(0, [1, 2, 3], 3).nodes)).toEqual([1])
  })

  it('rejects negative weights, NaN, bad node ids and bad CSR with TopologyError', () => {
    expect(() => csrFromEdges(2, { from: [0], to: [1], weight: [-1] })).toThrow(/negative weight -1/)
    let thrown: unknown
    try {
      csrFromEdges(2, { from: [0], to: [1], weight: [-0.5] })
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(TopologyError) // fails when nothing was thrown, too
    expect((thrown as TopologyError).code).toBe('NEGATIVE_WEIGHT')
    expect(() => csrFromEdges(2, { from: [0], to: [1], weight: [NaN] })).toThrow(/NaN/)
    expect(() => csrFromEdges(2, { from: [0], to: [2], weight: [1] })).toThrow(/outside 0..1/)
    const bad = { nodeCount: 2, offsets: new Int32Array([0, 1, 1]), targets: new Int32Array([1]), weights: new Float64Array([-3]) }
    expect(() => new ShortestPathEngine(bad)).toThrow(/arc 0 has negative weight -3/)
    const engine = new ShortestPathEngine(graph)
    expect(() => engine.singleSource(n)).toThrow(/source 2000 is not a node/)
    expect(() => engine.fromEach([1, -1])).toThrow(/source -1 is not a node/)
    expect(() => engine.allPairs()).not.toThrow()
    const big = csrFromEdges(5000, { from: [], to: [], weight: [] })
    expect(() => new ShortestPathEngine(big).allPairs()).toThrow(/limited to 4096 nodes/)
  })
})
