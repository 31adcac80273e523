// Benchmark of the topology kernel: Dijkstra from 1 and 100 sources on a seeded random graph
// (10,000 nodes, 50,000 undirected weighted edges, weights uniform in [1, 100)) vs graphology-shortest-path
// and the plain TypeScript CSR Dijkstra in kernels/topology/plain-dijkstra.ts. Extra keys: sssp_1src_ms,
// the same kernel on its binary heap (sssp_100src_binary_heap_ms) and which queue was used.
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { csrFromEdges } from '@jaegis/kernels/topology/csr'
import { ShortestPathEngine } from '@jaegis/kernels/topology/engine'
import { PlainCsrDijkstra } from '@jaegis/kernels/topology/plain-dijkstra'
import { randomEdges } from '@jaegis/kernels/topology/random-graph'

const NODES = 10_000
const EDGES = 50_000
const SEED = 20_240_601
const SOURCES = 100
/**
 * graphology takes about 100-300 ms per source here (it builds every path as an array), so each round
 * times it on this many sources and the median is scaled linearly to SOURCES.
 */
const GRAPHOLOGY_SOURCES = 2
const REPEATS = 7

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

/** Median wall time (ms) of `fn` over `repeats` runs, after one warm-up run. */
function timeMs(fn: () => void, repeats: number): number {
  return timeInterleaved({ fn }, repeats).fn
}

/**
 * Median wall time (ms) of each function, timed in rounds (one run of each per round, after a warm-up
 * round) so that load from other processes hits all contenders alike and the ratios stay fair.
 */
function timeInterleaved<K extends string>(fns: Record<K, () => void>, rounds: number): Record<K, number> {
  const keys = Object.keys(fns) as K[]
  const times = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>
  for (const k of keys) fns[k]()
  for (let r = 0; r < rounds; r++) {
    for (const k of keys) {
      const t0 = performance.now()
      fns[k]()
      times[k].push(performance.now() - t0)
    }
  }
  return Object.fromEntries(keys.map((k) => [k, median(times[k])])) as Record<K, number>
}

/**
 * graphology's single-source Dijkstra over the same graph, as a function timing GRAPHOLOGY_SOURCES
 * sources (rotating through the list), or null when graphology is unavailable or fails.
 */
async function graphologyPeer(edges: ReturnType<typeof randomEdges>, sources: Int32Array): Promise<(() => void) | null> {
  try {
    const { UndirectedGraph } = await import('graphology')
    const { dijkstra } = await import('graphology-shortest-path')
    const g = new UndirectedGraph()
    for (let i = 0; i < NODES; i++) g.addNode(String(i))
    for (let i = 0; i < edges.from.length; i++) g.addEdge(String(edges.from[i]), String(edges.to[i]), { weight: edges.weight[i] })
    let next = 0
    const run = () => {
      for (let i = 0; i < GRAPHOLOGY_SOURCES; i++) dijkstra.singleSource(g, String(sources[next++ % sources.length]), 'weight')
    }
    run()
    return run
  } catch (err) {
    process.stderr.write(`graphology peer failed: ${(err as Error).message}\n`)
    return null
  }
}

/** Runs the workload and returns the keys the lead merges into the kernels report. */
export async function run(): Promise<Record<string, number | null>> {
  const edges = randomEdges({ nodeCount: NODES, edgeCount: EDGES, seed: SEED })
  const graph = csrFromEdges(NODES, edges)
  const sources = new Int32Array(SOURCES)
  for (let i = 0; i < SOURCES; i++) sources[i] = (i * 7919) % NODES

  const engine = new ShortestPathEngine(graph, { validate: false })
  // The same kernel forced onto its indexed binary heap, to show what the bucket queue is worth.
  const heapEngine = new ShortestPathEngine(graph, { validate: false, queue: 'binary-heap' })
  const plain = new PlainCsrDijkstra(graph)
  const plainOut = new Float64Array(NODES)

  const sssp1 = timeMs(() => engine.singleSource(sources[0]), REPEATS * 4)
  const graphology = await graphologyPeer(edges, sources)
  const t = timeInterleaved(
    {
      graphology: graphology ?? (() => {}),
      ours: () => engine.fromEach(sources),
      heap: () => heapEngine.fromEach(sources),
      plain: () => {
        for (const s of sources) plain.singleSource(s, plainOut)
      },
    },
    REPEATS,
  )
  const sssp100 = t.ours
  const heap100 = t.heap
  const plain100 = t.plain
  const graphology100 = graphology ? (t.graphology * SOURCES) / GRAPHOLOGY_SOURCES : null

  const r3 = (x: number) => Math.round(x * 1000) / 1000
  return {
    sssp_1src_ms: r3(sssp1),
    sssp_100src_ms: r3(sssp100),
    graphology_100src_ms: graphology100 === null ? null : r3(graphology100),
    plain_ts_100src_ms: r3(plain100),
    vs_graphology: graphology100 === null ? null : r3(graphology100 / sssp100),
    vs_plain_ts: r3(plain100 / sssp100),
    queue_is_bucket: engine.queue === 'bucket' ? 1 : 0,
    sssp_100src_binary_heap_ms: r3(heap100),
    binary_heap_vs_plain_ts: r3(plain100 / heap100),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run()))
}
