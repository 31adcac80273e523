// Placement: nearest feasible host within capacity and constraints, hysteresis (same input, same plan; small
// change, small move), re-planning when a host is lost or joins, and a larger fleet on a real network.
import { SHARED_DATA } from '../shared-data.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../kernels/wasm-path.js'
import { loadTopology, Topology } from '../../kernels/topology/index.js'
import {
  GreedyLatencyPlacer, SchedulerError, syntheticFleet, syntheticNetworkGraphML, syntheticWorkload, regionLatencies,
  type Fleet, type FunctionDemand, type Host, type PlacementPlan,
} from '../../scheduler/index.js'

// Three regions in a line: a -1ms- b -10ms- c (latencies set directly).
function lineFleet(hosts: Host[]): Fleet {
  const L = [0, 1, 11, 1, 0, 10, 11, 10, 0]
  return { hosts, regions: ['a', 'b', 'c'], regionLatencyMs: Float64Array.from(L), tierAccessMs: { 'edge-1': 0.5, 'edge-2': 5, 'edge-3': 25, cloud: 30 }, network: 'line' }
}
const host = (id: string, region: string, tier: Host['tier'], memoryMb: number, labels: string[] = []): Host => ({ id, region, tier, memoryMb, cpuMilli: 10_000, labels })

function usage(plan: PlacementPlan, fns: FunctionDemand[]): Map<string, number> {
  const mem = new Map(fns.map((f) => [f.id, f.memoryMb]))
  const used = new Map<string, number>()
  for (const [id, list] of plan.byFunction) for (const p of list) used.set(p.host, (used.get(p.host) ?? 0) + p.instances * mem.get(id)!)
  return used
}

describe('GreedyLatencyPlacer', () => {
  const hosts = [host('a-edge', 'a', 'edge-1', 512), host('b-edge', 'b', 'edge-1', 1024), host('b-gpu', 'b', 'edge-2', 1024, ['gpu']), host('c-cloud', 'c', 'cloud', 65536)]

  it('puts demand on the nearest host with room, spilling to the next nearest', () => {
    const fns: FunctionDemand[] = [{ id: 'f', demand: { a: 10 }, instances: 6, memoryMb: 128 }]
    const plan = new GreedyLatencyPlacer(lineFleet(hosts)).plan(fns)
    const list = plan.byFunction.get('f')!
    expect(list.map((p) => [p.host, p.instances])).toEqual([['a-edge', 4], ['b-edge', 2]])
    expect(list[1].latencyMs).toBeCloseTo(1.5, 9) // edge-1 access 0.5 + a->b 1
    expect(plan.unplaced.size).toBe(0)
  })

  it('respects capacity, required labels and allowed tiers, and reports what does not fit', () => {
    const fns: FunctionDemand[] = [
      { id: 'gpu', demand: { a: 5 }, instances: 2, memoryMb: 256, requiredLabels: ['gpu'] },
      { id: 'noedge1', demand: { b: 5 }, instances: 1, memoryMb: 128, allowedTiers: ['edge-2', 'cloud'] },
      { id: 'huge', demand: { a: 1 }, instances: 2, memoryMb: 40_000 },
    ]
    const plan = new GreedyLatencyPlacer(lineFleet(hosts)).plan(fns)
    expect(plan.byFunction.get('gpu')!.every((p) => p.host === 'b-gpu')).toBe(true)
    expect(plan.byFunction.get('noedge1')!.map((p) => p.host)).toEqual(['b-gpu'])
    expect(plan.byFunction.get('huge')!.map((p) => [p.host, p.instances])).toEqual([['c-cloud', 1]])
    expect(plan.unplaced.get('huge')).toBe(1)
    for (const [h, used] of usage(plan, fns)) expect(used).toBeLessThanOrEqual(hosts.find((x) => x.id === h)!.memoryMb)
  })

  it('splits instances over demand regions by largest remainder', () => {
    const plan = new GreedyLatencyPlacer(lineFleet(hosts)).plan([{ id: 'f', demand: { a: 3, c: 1 }, instances: 4, memoryMb: 64 }])
    const byRegion = new Map<string, number>()
    for (const p of plan.byFunction.get('f')!) byRegion.set(p.region, (byRegion.get(p.region) ?? 0) + p.instances)
    expect(Object.fromEntries(byRegion)).toEqual({ a: 3, c: 1 })
  })

  it('an unchanged input gives an unchanged plan; a small change moves little', async () => {
    const topo = Topology.fromGraphML(syntheticNetworkGraphML(20, 3), { source: 'synthetic' })
    const fleet = syntheticFleet(topo, { hosts: 300, seed: 2 })
    const fns = syntheticWorkload(fleet, { functions: 2000, seed: 5 })
    const placer = new GreedyLatencyPlacer(fleet)
    const first = placer.plan(fns)
    const again = placer.plan(fns, first)
    expect(again.movedInstances).toBe(0)
    expect(JSON.stringify([...again.byFunction])).toBe(JSON.stringify([...first.byFunction]))
    const changed = fns.map((f, i) => (i === 7 ? { ...f, instances: f.instances + 2 } : f))
    const next = placer.plan(changed, again)
    expect(next.movedInstances).toBeLessThanOrEqual(4)
    // A fresh plan of the changed input (no hysteresis) may shuffle much more; the hysteresis plan must not.
    expect(next.placedInstances).toBe(first.placedInstances + 2)
  })

  it('re-places only the lost host\'s instances, within capacity', () => {
    const topo = Topology.fromGraphML(syntheticNetworkGraphML(20, 3), { source: 'synthetic' })
    const fleet = syntheticFleet(topo, { hosts: 300, seed: 2 })
    const fns = syntheticWorkload(fleet, { functions: 2000, seed: 5 })
    const placer = new GreedyLatencyPlacer(fleet)
    const plan = placer.plan(fns)
    const before = new Map([...plan.byFunction].map(([k, v]) => [k, v.map((p) => ({ ...p }))]))
    const victim = plan.byFunction.get('f0')![0].host
    const onVictim = [...plan.byFunction.values()].flat().filter((p) => p.host === victim).reduce((a, p) => a + p.instances, 0)
    const placedBefore = plan.placedInstances
    const after = placer.removeHost(plan, victim)
    expect(after.movedInstances).toBe(onVictim)
    expect(after.placedInstances).toBe(placedBefore) // the fleet has room for all of them elsewhere
    const recount = [...after.byFunction.values()].flat().reduce((a, p) => a + p.instances, 0)
    expect(after.placedInstances).toBe(recount)
    expect([...after.byFunction.values()].flat().some((p) => p.host === victim)).toBe(false)
    for (const [id, list] of before) {
      const untouched = list.filter((p) => p.host !== victim)
      for (const p of untouched) expect(after.byFunction.get(id)!.some((q) => q.host === p.host && q.instances >= p.instances)).toBe(true)
    }
    const cap = new Map(fleet.hosts.map((h) => [h.id, h.memoryMb]))
    for (const [h, used] of usage(after, fns)) expect(used).toBeLessThanOrEqual(cap.get(h)!)
  })

  it('moves demand to a much nearer host that joins, and only then', () => {
    const fleet = lineFleet([host('c-cloud', 'c', 'cloud', 65536)])
    const placer = new GreedyLatencyPlacer(fleet)
    const fns: FunctionDemand[] = [{ id: 'f', demand: { a: 1 }, instances: 2, memoryMb: 128 }]
    const plan = placer.plan(fns)
    expect(plan.byFunction.get('f')![0].host).toBe('c-cloud')
    placer.addHost(host('c-edge', 'c', 'edge-1', 4096)) // nearer than the cloud host (11.5 vs 41 ms)
    placer.addHost(host('a-edge', 'a', 'edge-1', 4096)) // nearest (0.5 ms): the kept placement moves here
    const next = placer.plan(fns, plan)
    expect(next.byFunction.get('f')!.map((p) => p.host)).toEqual(['a-edge'])
    expect(next.movedInstances).toBe(2)
  })

  it('rejects bad input clearly', () => {
    const placer = new GreedyLatencyPlacer(lineFleet(hosts))
    expect(() => placer.plan([{ id: 'f', demand: { z: 1 }, instances: 1, memoryMb: 1 }])).toThrow(/demand region "z" is not in the fleet/)
    expect(() => placer.plan([{ id: 'f', demand: { a: 1 }, instances: 1.5, memoryMb: 1 }])).toThrow(SchedulerError)
    expect(() => new GreedyLatencyPlacer(lineFleet([host('x', 'nowhere', 'cloud', 1)]))).toThrow(/region "nowhere" is not in the fleet/)
    expect(() => placer.removeHost(placer.plan([]), 'nope')).toThrow(/no host nope/)
  })

  it('places 20,000 functions on 2,000 hosts over Cogentco within every host\'s memory and CPU', async () => {
    const topo = await loadTopology(join(SHARED_DATA, 'topologyzoo', 'Cogentco.graphml'))
    const fleet = syntheticFleet(topo, { hosts: 2000 })
    expect(fleet.regions.length).toBe(topo.nodes.length)
    // Region latencies come from the topology kernel's shortest paths: symmetric, zero on the diagonal.
    const R = fleet.regions.length
    expect(fleet.regionLatencyMs[5 * R + 5]).toBe(0)
    expect(fleet.regionLatencyMs[3 * R + 9]).toBeCloseTo(fleet.regionLatencyMs[9 * R + 3], 9)
    expect(Array.from(regionLatencies(topo, [0, 1]))).toEqual([0, fleet.regionLatencyMs[1], fleet.regionLatencyMs[R], 0])
    const fns = syntheticWorkload(fleet, { functions: 20_000 })
    const plan = new GreedyLatencyPlacer(fleet).plan(fns)
    const wanted = fns.reduce((a, f) => a + f.instances, 0)
    const unplaced = [...plan.unplaced.values()].reduce((a, b) => a + b, 0)
    expect(plan.placedInstances + unplaced).toBe(wanted)
    expect(unplaced).toBe(0) // the synthetic fleet has room for the whole workload: every instance is placed
    expect(plan.unplaced.size).toBe(0)
    expect(plan.placedInstances).toBe(wanted)
    const byId = new Map(fleet.hosts.map((h) => [h.id, h]))
    const fnById = new Map(fns.map((f) => [f.id, f]))
    const mem = new Map<string, number>()
    const cpu = new Map<string, number>()
    for (const [id, list] of plan.byFunction) {
      const f = fnById.get(id)!
      for (const p of list) {
        const h = byId.get(p.host)!
        mem.set(h.id, (mem.get(h.id) ?? 0) + p.instances * f.memoryMb)
        cpu.set(h.id, (cpu.get(h.id) ?? 0) + p.instances * (f.cpuMilli ?? 0))
        if (f.requiredLabels) for (const l of f.requiredLabels) expect(h.labels).toContain(l)
        if (f.allowedTiers) expect(f.allowedTiers).toContain(h.tier)
      }
    }
    for (const [h, m] of mem) expect(m).toBeLessThanOrEqual(byId.get(h)!.memoryMb)
    for (const [h, c] of cpu) expect(c).toBeLessThanOrEqual(byId.get(h)!.cpuMilli)
    expect(plan.meanLatencyMs).toBeGreaterThan(0)
  })
})
