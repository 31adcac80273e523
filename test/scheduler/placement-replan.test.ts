// Re-planning with a previous plan against planning from scratch: capacity freed by a hysteresis move
// is usable by the rest of the same plan (issue 12), and a re-plan never leaves unplaced a function that
// a plan from scratch places when the fleet has room for everything.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { GreedyLatencyPlacer, type Fleet, type FunctionDemand, type Host, type PlacementPlan } from '../../scheduler/index.js'
import { FUZZ_RUNS } from '../fuzz-runs.js'

const TIER_ACCESS = { 'edge-1': 0.5, 'edge-2': 5, 'edge-3': 25, cloud: 30 } as const
function fleetOf(hosts: Host[], regions = ['a', 'b']): Fleet {
  const R = regions.length
  const L = Float64Array.from({ length: R * R }, (_, i) => (Math.floor(i / R) === i % R ? 0 : 10 * Math.abs(Math.floor(i / R) - (i % R))))
  return { hosts, regions, regionLatencyMs: L, tierAccessMs: { ...TIER_ACCESS }, network: 'test' }
}
const unplacedTotal = (p: PlacementPlan) => [...p.unplaced.values()].reduce((a, b) => a + b, 0)

function checkCapacity(plan: PlacementPlan, fleet: Fleet, fns: readonly FunctionDemand[]): void {
  const byId = new Map(fns.map((f) => [f.id, f]))
  const mem = new Map<string, number>()
  const cpu = new Map<string, number>()
  for (const [id, list] of plan.byFunction) {
    const f = byId.get(id)!
    for (const p of list) {
      mem.set(p.host, (mem.get(p.host) ?? 0) + p.instances * f.memoryMb)
      cpu.set(p.host, (cpu.get(p.host) ?? 0) + p.instances * (f.cpuMilli ?? 0))
    }
  }
  for (const h of fleet.hosts) {
    expect(mem.get(h.id) ?? 0).toBeLessThanOrEqual(h.memoryMb)
    expect(cpu.get(h.id) ?? 0).toBeLessThanOrEqual(h.cpuMilli)
    expect(plan.freeMemoryMb(h.id)).toBe(h.memoryMb - (mem.get(h.id) ?? 0))
  }
}

describe('re-planning with hysteresis', () => {
  it('gives the CPU a move frees to a new cloud-only function in the same plan', () => {
    const cloud: Host = { id: 'a-cloud', region: 'a', tier: 'cloud', memoryMb: 1000, cpuMilli: 2000, labels: [] }
    const edge: Host = { id: 'a-edge', region: 'a', tier: 'edge-1', memoryMb: 1000, cpuMilli: 1000, labels: [] }
    // k is heavier, so its search runs first and walks past the full cloud host; then f moves to the
    // edge host that joined, freeing 1,000 mCPU there; g, new and cloud-only, needs exactly that.
    const k: FunctionDemand = { id: 'k', demand: { a: 10 }, instances: 1, memoryMb: 100, cpuMilli: 1000, allowedTiers: ['cloud'] }
    const f: FunctionDemand = { id: 'f', demand: { a: 1 }, instances: 1, memoryMb: 100, cpuMilli: 1000 }
    const g: FunctionDemand = { id: 'g', demand: { a: 1 }, instances: 1, memoryMb: 100, cpuMilli: 1000, allowedTiers: ['cloud'] }
    const placer = new GreedyLatencyPlacer(fleetOf([cloud]))
    const before = placer.plan([k, f])
    expect(before.unplaced.size).toBe(0)
    placer.addHost(edge) // 29.5 ms nearer than the cloud host: past the hysteresis
    const next = placer.plan([k, f, g], before)
    expect(next.byFunction.get('f')).toMatchObject([{ host: 'a-edge', instances: 1 }])
    expect(next.byFunction.get('k')).toMatchObject([{ host: 'a-cloud', instances: 1 }])
    expect(next.unplaced.size).toBe(0)
    expect(next.byFunction.get('g')).toMatchObject([{ host: 'a-cloud', instances: 1 }])
    // The same input without a previous plan places it too.
    const scratch = new GreedyLatencyPlacer(fleetOf([cloud, edge])).plan([k, f, g])
    expect(scratch.unplaced.size).toBe(0)
    checkCapacity(next, fleetOf([cloud, edge]), [k, f, g])
  })

  it('plans are plain data: no hidden symbol-keyed state', () => {
    const placer = new GreedyLatencyPlacer(fleetOf([{ id: 'h', region: 'a', tier: 'cloud', memoryMb: 100, cpuMilli: 100, labels: [] }]))
    const plan = placer.plan([{ id: 'f', demand: { a: 1 }, instances: 1, memoryMb: 10 }])
    expect(Object.getOwnPropertySymbols(plan)).toEqual([])
  })

  // The literal "a re-plan never leaves unplaced what a plan from scratch places" is not true of any
  // placer with hysteresis: a kept placement may hold the room a newcomer needs (f stays on a cloud
  // host because an edge-3 host that joins is only 5 ms nearer; a new cloud-only g then finds the
  // cloud host full, while from scratch f goes to edge-3 and g fits). What holds, and what the lost
  // capacity broke, is checked instead: (1) an instance stays unplaced only if no allowed host reachable
  // from its region still has room for it at the end of the plan (capacity only shrinks while the
  // greedy pass runs, so room at the end was room when the instance was tried); (2) when every host
  // has room for everything, a re-plan places exactly what a plan from scratch places.
  const tiers = ['edge-1', 'edge-2', 'edge-3', 'cloud'] as const
  const hostArb = fc.record({ region: fc.constantFrom('a', 'b', 'c'), tier: fc.constantFrom(...tiers), memoryMb: fc.integer({ min: 64, max: 2048 }), cpuMilli: fc.integer({ min: 0, max: 4000 }), gpu: fc.boolean() })
  const fnArb = fc.record({
    demand: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 100 }), { minKeys: 1 }),
    instances: fc.integer({ min: 0, max: 6 }),
    memoryMb: fc.integer({ min: 16, max: 512 }),
    cpuMilli: fc.integer({ min: 0, max: 1500 }),
    tiers: fc.option(fc.subarray([...tiers], { minLength: 1 }), { nil: undefined }),
    gpu: fc.boolean(),
  })
  const toHost = (h: fc.infer<typeof hostArb>, i: number, prefix: string): Host => ({ id: `${prefix}${i}`, region: h.region, tier: h.tier, memoryMb: h.memoryMb, cpuMilli: h.cpuMilli, labels: h.gpu ? ['gpu'] : [] })
  const toFn = (f: fc.infer<typeof fnArb>, i: number): FunctionDemand => ({ id: `f${i}`, demand: f.demand, instances: f.instances, memoryMb: f.memoryMb, cpuMilli: f.cpuMilli, ...(f.tiers ? { allowedTiers: f.tiers } : {}), ...(f.gpu ? { requiredLabels: ['gpu'] } : {}) })
  const scenario = fc.record({ initial: fc.array(hostArb, { minLength: 1, maxLength: 6 }), joined: fc.array(hostArb, { maxLength: 4 }), firstFns: fc.array(fnArb, { maxLength: 6 }), laterFns: fc.array(fnArb, { maxLength: 6 }) })

  /** Plans s.firstFns, joins s.joined, re-plans with s.laterFns added. `ample`: every host can hold everything. */
  function replan(s: fc.infer<typeof scenario>, ample = false) {
    const before = s.firstFns.map(toFn)
    const after = [...before, ...s.laterFns.map((f, i) => toFn(f, i + s.firstFns.length))]
    const room = (h: Host): Host => (ample ? { ...h, memoryMb: after.reduce((a, f) => a + f.instances * f.memoryMb, 1), cpuMilli: after.reduce((a, f) => a + f.instances * (f.cpuMilli ?? 0), 1) } : h)
    const hosts = s.initial.map((h, i) => room(toHost(h, i, 'h')))
    const extra = s.joined.map((h, i) => room(toHost(h, i, 'j')))
    const placer = new GreedyLatencyPlacer(fleetOf(hosts, ['a', 'b', 'c']))
    const prev = placer.plan(before)
    for (const h of extra) placer.addHost(h)
    const fleet = fleetOf([...hosts, ...extra], ['a', 'b', 'c'])
    return { fleet, fns: after, plan: placer.plan(after, prev), scratch: new GreedyLatencyPlacer(fleet).plan(after) }
  }

  it('a re-plan leaves an instance unplaced only when no allowed host has room for it (property)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { fleet, fns, plan } = replan(s)
        checkCapacity(plan, fleet, fns)
        expect(plan.placedInstances + unplacedTotal(plan)).toBe(fns.reduce((a, f) => a + f.instances, 0))
        const used = new Map<string, number>()
        for (const [id, list] of plan.byFunction) for (const p of list) used.set(p.host, (used.get(p.host) ?? 0) + p.instances * (fns.find((f) => f.id === id)!.cpuMilli ?? 0))
        for (const [id] of plan.unplaced) {
          const f = fns.find((x) => x.id === id)!
          const room = fleet.hosts.filter((h) => (!f.allowedTiers || f.allowedTiers.includes(h.tier)) && (f.requiredLabels ?? []).every((l) => h.labels.includes(l)))
            .filter((h) => plan.freeMemoryMb(h.id) >= f.memoryMb && h.cpuMilli - (used.get(h.id) ?? 0) >= (f.cpuMilli ?? 0))
          expect(room.map((h) => h.id), `${id} left unplaced beside hosts with room`).toEqual([])
        }
      }),
      { numRuns: FUZZ_RUNS(300) },
    )
  })

  it('with room for everything on every host, a re-plan places what a plan from scratch places (property)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan, scratch, fleet, fns } = replan(s, true)
        checkCapacity(plan, fleet, fns)
        expect(plan.placedInstances).toBe(scratch.placedInstances)
        expect([...plan.unplaced].sort()).toEqual([...scratch.unplaced].sort())
      }),
      { numRuns: FUZZ_RUNS(100) },
    )
  })
})
