// Topology Zoo files from ../shared/data/topologyzoo: reading, latencies, and shortest paths equal to
// graphology-shortest-path's on every file.
import { SHARED_DATA } from '../shared-data.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UndirectedGraph } from 'graphology'
import { dijkstra } from 'graphology-shortest-path'
import { projectRoot } from '../../kernels/wasm-path.js'
import { ShortestPathEngine, Topology, loadTopology, fibreLatencyMs, placeFacilities, latencyMatrix } from '../../kernels/topology/index.js'

const ZOO = join(SHARED_DATA, 'topologyzoo')

// Node and distinct-link counts, self-counted with Python's xml.etree (independent of our parser).
const FILES: Record<string, { nodes: number; links: number; withoutCoordinates: number }> = {
  Abilene: { nodes: 11, links: 14, withoutCoordinates: 0 },
  Cogentco: { nodes: 197, links: 243, withoutCoordinates: 11 },
  Colt: { nodes: 153, links: 177, withoutCoordinates: 4 },
  Geant2012: { nodes: 40, links: 61, withoutCoordinates: 3 },
  Internet2: { nodes: 20, links: 26, withoutCoordinates: 20 },
}

function graphologyOf(t: Topology): UndirectedGraph {
  const g = new UndirectedGraph()
  for (const n of t.nodes) g.addNode(String(n.index))
  for (const l of t.links) g.addEdge(String(l.source), String(l.target), { weight: l.latencyMs })
  return g
}

describe.each(Object.keys(FILES))('Topology Zoo %s', (name) => {
  it('reads nodes, links and coordinates', async () => {
    const t = await loadTopology(join(ZOO, `${name}.graphml`))
    const want = FILES[name]
    expect(t.nodes.length).toBe(want.nodes)
    expect(t.links.length).toBe(want.links)
    expect(t.nodes.filter((n) => n.coordinates !== 'file').length).toBe(want.withoutCoordinates)
    for (const l of t.links) expect(l.latencyMs).toBeGreaterThanOrEqual(0)
  })

  it('has the same distances as graphology-shortest-path from every node', async () => {
    const t = await loadTopology(join(ZOO, `${name}.graphml`))
    const g = graphologyOf(t)
    const n = t.nodes.length
    // Both queues: the bucket queue is chosen only for some files (by their weight range).
    const all = new ShortestPathEngine(t.graph).allPairs()
    const heapAll = new ShortestPathEngine(t.graph, { queue: 'binary-heap' }).allPairs()
    for (let i = 0; i < all.length; i++) {
      if (all[i] !== heapAll[i]) expect(Math.abs(all[i] - heapAll[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, all[i]))
    }
    for (let s = 0; s < n; s++) {
      const paths = dijkstra.singleSource(g, String(s), 'weight')
      for (let v = 0; v < n; v++) {
        const path = paths[String(v)]
        const ours = all[s * n + v]
        if (!path) {
          expect(ours, `${s} -> ${v}`).toBe(Infinity)
          continue
        }
        let d = 0
        for (let i = 1; i < path.length; i++) d += g.getEdgeAttribute(g.edge(path[i - 1], path[i])!, 'weight') as number
        expect(Math.abs(ours - d), `${s} -> ${v}: ${ours} vs ${d}`).toBeLessThanOrEqual(1e-9 * Math.max(1, d))
      }
    }
  })
})

describe('Topology Zoo specifics', () => {
  it('Abilene: New York to Chicago is the fibre latency of their great-circle distance', async () => {
    const t = await loadTopology(join(ZOO, 'Abilene.graphml'))
    const ny = t.findNode('New York')
    const chicago = t.findNode('chicago')
    expect(t.nodes[ny].latitude).toBeCloseTo(40.71427, 5)
    const link = t.links.find((l) => (l.source === ny && l.target === chicago) || (l.source === chicago && l.target === ny))
    expect(link).toBeDefined()
    // About 1,145 km, about 5.6 ms one way.
    expect(link!.latencyMs).toBeCloseTo(fibreLatencyMs(40.71427, -74.00597, 41.85003, -87.65005), 9)
    expect(link!.latencyMs).toBeGreaterThan(5.5)
    expect(link!.latencyMs).toBeLessThan(5.7)
  })

  it('Internet2 has no coordinates at all: every link gets the fallback latency', async () => {
    const t = await loadTopology(join(ZOO, 'Internet2.graphml'), { fallbackLinkLatencyMs: 2 })
    expect(t.links.every((l) => l.latencyFrom === 'fallback' && l.latencyMs === 2)).toBe(true)
    expect(t.warnings.join('\n')).toMatch(/26 link\(s\) without coordinates/)
    // Three hyperedge nodes have empty labels: they are found by id only.
    expect(t.nodes[10].label).toBeUndefined()
    expect(t.findNode('10')).toBe(10)
  })

  it('Cogentco: nodes without coordinates get their neighbours\' centroid; duplicate edges are merged', async () => {
    const t = await loadTopology(join(ZOO, 'Cogentco.graphml'))
    const inferred = t.nodes.filter((n) => n.coordinates === 'inferred')
    expect(inferred.length).toBe(11)
    for (const n of inferred) {
      expect(Math.abs(n.latitude!)).toBeLessThanOrEqual(90)
      expect(Math.abs(n.longitude!)).toBeLessThanOrEqual(180)
    }
    expect(t.links.every((l) => l.latencyFrom === 'coordinates')).toBe(true)
    expect(t.warnings.join('\n')).toMatch(/2 duplicate edge\(s\) merged/)
    // 'None' labels are shared by many nodes: asking by that label is ambiguous.
    expect(() => t.findNode('None')).toThrow(/label of 11 nodes/)
  })

  it('places 3 sites on Geant2012 no worse than the best single swap and deterministically', async () => {
    const t = await loadTopology(join(ZOO, 'Geant2012.graphml'))
    const nodes = t.nodes.map((n) => n.index)
    const a = placeFacilities({ graph: t.graph, demandNodes: nodes, siteNodes: nodes, k: 3 })
    const b = placeFacilities({ graph: t.graph, demandNodes: nodes, siteNodes: nodes, k: 3 })
    expect(a.sites).toEqual(b.sites)
    expect(a.sites.length).toBe(3)
    const one = placeFacilities({ graph: t.graph, demandNodes: nodes, siteNodes: nodes, k: 1 })
    expect(a.meanLatencyMs).toBeLessThan(one.meanLatencyMs)
    expect(Number.isFinite(a.meanLatencyMs)).toBe(true)
    // Every single swap (close one chosen site, open any other node) is evaluated exactly from the
    // latency matrix: none serves more nodes, or as many at a lower mean latency.
    const L = latencyMatrix(t.graph, nodes, nodes)
    const n = nodes.length
    const cost = (sites: readonly number[]) => {
      let unserved = 0
      let sum = 0
      for (let d = 0; d < n; d++) {
        let best = Infinity
        for (const s of sites) best = Math.min(best, L[d * n + s]!)
        if (best === Infinity) unserved++
        else sum += best
      }
      return { unserved, mean: sum / Math.max(1, n - unserved) }
    }
    const mine = cost(a.sites)
    expect(mine.mean).toBeCloseTo(a.meanLatencyMs, 6)
    let swaps = 0
    for (let r = 0; r < a.sites.length; r++) {
      for (let c = 0; c < n; c++) {
        if (a.sites.includes(c)) continue
        const other = cost(a.sites.map((s, i) => (i === r ? c : s)))
        swaps++
        expect(other.unserved, `swap ${a.sites[r]} -> ${c}`).toBeGreaterThanOrEqual(mine.unserved)
        if (other.unserved === mine.unserved) expect(other.mean, `swap ${a.sites[r]} -> ${c}`).toBeGreaterThanOrEqual(mine.mean - 1e-9)
      }
    }
    expect(swaps).toBe(3 * (n - 3))
  })
})
