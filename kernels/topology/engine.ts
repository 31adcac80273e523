// Typed wrapper of the topology wasm kernel: loads one CsrGraph into its own instance and answers
// shortest-path queries. Marshalling is a copy into/out of wasm memory; the graph is copied once.
import { defaultModuleCache } from '@jaegis/runtime'
import { readKernelWasm } from '../wasm-path.js'
import { validateCsr, type CsrGraph } from './csr.js'
import { TopologyError } from './errors.js'

/** Largest graph allPairs() accepts: n*n*8 bytes of output (128 MiB at 4096). */
export const ALL_PAIRS_MAX_NODES = 4096

interface KernelExports {
  memory: WebAssembly.Memory
  alloc(bytes: number): number
  mark(): number
  release(mark: number): void
  setGraph(n: number, offsets: number, targets: number, weights: number): number
  setQueue(kind: number): void
  queue(): number
  singleSource(source: number, dist: number, scratch: number): void
  eachSource(sources: number, count: number, out: number): void
  nearestSource(sources: number, count: number, dist: number, origin: number): void
  nearestMarked(source: number, mask: number, k: number, dist: number, found: number, scratch: number): number
}

let wasmBytes: Uint8Array | undefined

function instantiate(): KernelExports {
  wasmBytes ??= readKernelWasm('topology')
  const { module } = defaultModuleCache.get(wasmBytes)
  // Built with --runtime stub --noAssert: the module imports nothing.
  return new WebAssembly.Instance(module, {}).exports as unknown as KernelExports
}

/** The priority queue behind the searches (see docs/kernel-topology.md). */
export type QueueKind = 'bucket' | 'binary-heap'

export interface EngineOptions {
  /** Check offsets, node ids and weights before loading (O(n + m)). Turn off only for graphs built by csrFromEdges. @default true */
  validate?: boolean
  /**
   * 'auto' uses the bucket queue when every arc weight is > 0 and the ratio of largest to smallest is
   * below 65,532, and the indexed binary heap otherwise; 'binary-heap' forces the heap. @default 'auto'
   */
  queue?: 'auto' | 'binary-heap'
}

/**
 * Dijkstra in wasm over one graph (bucket queue or indexed binary heap). Distances are sums of arc
 * weights; Infinity = unreachable. One wasm instance per engine; reuse the engine for many queries.
 */
export class ShortestPathEngine {
  readonly nodeCount: number
  /** The queue the searches use (kNearest always uses the binary heap). */
  readonly queue: QueueKind
  private readonly k: KernelExports
  private readonly scratch: number

  constructor(graph: CsrGraph, options: EngineOptions = {}) {
    if (options.validate ?? true) validateCsr(graph)
    // Graph, heap and bucket pool: about 12 + 16 bytes per arc and 32 per node; alloc() takes an i32.
    const bytes = graph.targets.length * 28 + graph.nodeCount * 32
    if (bytes >= 2 ** 31) throw new TopologyError('TOO_LARGE', `graph of ${graph.nodeCount} nodes and ${graph.targets.length} arcs needs about ${Math.round(bytes / 2 ** 20)} MiB of wasm memory; the limit is 2 GiB`)
    this.nodeCount = graph.nodeCount
    this.k = instantiate()
    const n = graph.nodeCount
    const arcs = graph.targets.length
    const offsets = this.alloc((n + 1) * 4)
    const targets = this.alloc(arcs * 4)
    const weights = this.alloc(arcs * 8)
    this.scratch = this.alloc(16)
    const buf = this.k.memory.buffer
    new Int32Array(buf, offsets, n + 1).set(graph.offsets)
    new Int32Array(buf, targets, arcs).set(graph.targets)
    new Float64Array(buf, weights, arcs).set(graph.weights)
    if (this.k.setGraph(n, offsets, targets, weights) === 0) {
      throw new TopologyError('OUT_OF_MEMORY', `topology kernel could not allocate its queues for ${n} nodes`)
    }
    if (options.queue === 'binary-heap') this.k.setQueue(0)
    this.queue = this.k.queue() === 1 ? 'bucket' : 'binary-heap'
  }

  private alloc(bytes: number): number {
    const ptr = this.k.alloc(bytes)
    if (ptr === 0) throw new TopologyError('OUT_OF_MEMORY', `topology kernel could not allocate ${bytes} bytes of wasm memory`)
    return ptr
  }

  private checkNode(v: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v >= this.nodeCount) {
      throw new TopologyError('UNKNOWN_NODE', `${what} ${v} is not a node of this graph (0..${this.nodeCount - 1})`)
    }
  }

  /** Runs `body` with per-call buffers that are freed afterwards. */
  private withArena<T>(body: () => T): T {
    const m = this.k.mark()
    try {
      return body()
    } finally {
      this.k.release(m)
    }
  }

  private writeSources(sources: ArrayLike<number>): number {
    for (let i = 0; i < sources.length; i++) this.checkNode(sources[i], 'source')
    const ptr = this.alloc(Math.max(4, sources.length * 4))
    new Int32Array(this.k.memory.buffer, ptr, sources.length).set(sources)
    return ptr
  }

  /** Distances from `source` to every node. */
  singleSource(source: number): Float64Array {
    this.checkNode(source, 'source')
    return this.withArena(() => {
      const dist = this.alloc(this.nodeCount * 8)
      this.k.singleSource(source, dist, this.scratch)
      return new Float64Array(this.k.memory.buffer, dist, this.nodeCount).slice()
    })
  }

  /** Distances from each source: row r (entries r*n .. r*n+n-1) holds the distances from sources[r]. */
  fromEach(sources: ArrayLike<number>): Float64Array {
    const n = this.nodeCount
    if (sources.length * n * 8 >= 2 ** 31) {
      throw new TopologyError('TOO_LARGE', `${sources.length} sources x ${n} nodes is more than 2 GiB of distances; ask in batches`)
    }
    return this.withArena(() => {
      const src = this.writeSources(sources)
      const out = this.alloc(sources.length * n * 8)
      this.k.eachSource(src, sources.length, out)
      return new Float64Array(this.k.memory.buffer, out, sources.length * n).slice()
    })
  }

  /** The n x n distance matrix, row-major (row = source). Limited to ALL_PAIRS_MAX_NODES nodes. */
  allPairs(): Float64Array {
    const n = this.nodeCount
    if (n > ALL_PAIRS_MAX_NODES) {
      throw new TopologyError('TOO_LARGE', `all-pairs is limited to ${ALL_PAIRS_MAX_NODES} nodes (this graph has ${n}); use fromEach on the nodes you need`)
    }
    const all = new Int32Array(n)
    for (let i = 0; i < n; i++) all[i] = i
    return this.fromEach(all)
  }

  /**
   * Multi-source search: for every node, the distance to its nearest source and that source's index
   * into `sources` (-1 where no source reaches it). Ties go to the source whose search reaches it first.
   */
  nearestSource(sources: ArrayLike<number>): { distances: Float64Array; nearest: Int32Array } {
    const n = this.nodeCount
    return this.withArena(() => {
      const src = this.writeSources(sources)
      const dist = this.alloc(n * 8)
      const origin = this.alloc(n * 4)
      this.k.nearestSource(src, sources.length, dist, origin)
      const buf = this.k.memory.buffer
      return { distances: new Float64Array(buf, dist, n).slice(), nearest: new Int32Array(buf, origin, n).slice() }
    })
  }

  /**
   * The k candidates nearest to `source`, nearest first (fewer when fewer are reachable). The search
   * stops as soon as k candidates are settled. Equal distances keep the kernel's settling order.
   */
  kNearest(source: number, candidates: ArrayLike<number>, k: number): { nodes: Int32Array; distances: Float64Array } {
    this.checkNode(source, 'source')
    if (!Number.isInteger(k) || k < 0) throw new TopologyError('INVALID_PLACEMENT_INPUT', `k must be a non-negative integer, got ${k}`)
    const n = this.nodeCount
    return this.withArena(() => {
      const mask = this.alloc(n)
      const bytes = new Uint8Array(this.k.memory.buffer, mask, n)
      bytes.fill(0)
      for (let i = 0; i < candidates.length; i++) {
        this.checkNode(candidates[i], 'candidate')
        bytes[candidates[i]] = 1
      }
      const dist = this.alloc(n * 8)
      const found = this.alloc(Math.max(4, n * 4))
      const count = k === 0 ? 0 : this.k.nearestMarked(source, mask, k, dist, found, this.scratch)
      const buf = this.k.memory.buffer
      const nodes = new Int32Array(buf, found, count).slice()
      const all = new Float64Array(buf, dist, n)
      const distances = Float64Array.from(nodes, (v) => all[v])
      return { nodes, distances }
    })
  }
}
