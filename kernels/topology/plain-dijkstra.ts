// Dijkstra in plain TypeScript over a CsrGraph: the reference the wasm kernel is tested and benchmarked
// against. Same algorithm as assembly/index.ts (indexed binary heap with decrease-key), typed arrays only.
import type { CsrGraph } from './csr.js'

/** Reusable plain-TypeScript Dijkstra for one graph. Scratch arrays are allocated once. */
export class PlainCsrDijkstra {
  private readonly heap: Int32Array
  private readonly pos: Int32Array

  constructor(private readonly graph: CsrGraph) {
    this.heap = new Int32Array(graph.nodeCount)
    this.pos = new Int32Array(graph.nodeCount)
  }

  /** Distances from `source` to every node (Infinity where unreachable). Writes into `out` when given. */
  singleSource(source: number, out: Float64Array = new Float64Array(this.graph.nodeCount)): Float64Array {
    const { offsets, targets, weights } = this.graph
    const heap = this.heap
    const pos = this.pos
    const dist = out
    dist.fill(Infinity)
    dist[source] = 0
    heap[0] = source
    pos[source] = 0
    let size = 1
    while (size > 0) {
      const u = heap[0]
      const du = dist[u]
      size--
      if (size > 0) {
        // sift the last entry down from the root
        const x = heap[size]
        const dx = dist[x]
        let i = 0
        for (;;) {
          let c = 2 * i + 1
          if (c >= size) break
          let cv = heap[c]
          let cd = dist[cv]
          if (c + 1 < size) {
            const v2 = heap[c + 1]
            const d2 = dist[v2]
            if (d2 < cd) {
              c++
              cv = v2
              cd = d2
            }
          }
          if (dx <= cd) break
          heap[i] = cv
          pos[cv] = i
          i = c
        }
        heap[i] = x
        pos[x] = i
      }
      const e1 = offsets[u + 1]
      for (let e = offsets[u]; e < e1; e++) {
        const v = targets[e]
        const nd = du + weights[e]
        const dv = dist[v]
        if (nd < dv) {
          dist[v] = nd
          let i = dv === Infinity ? size++ : pos[v]
          // sift up
          while (i > 0) {
            const p = (i - 1) >> 1
            const pv = heap[p]
            if (dist[pv] <= nd) break
            heap[i] = pv
            pos[pv] = i
            i = p
          }
          heap[i] = v
          pos[v] = i
        }
      }
    }
    return dist
  }
}
