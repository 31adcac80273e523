// Greedy latency placement of warm instances onto hosts: each function's instances are split over the regions
// its demand comes from, and each region's share goes to the feasible host class (region x tier x labels) with
// the lowest access + network latency that still has memory and CPU. Hysteresis keeps previous placements.
import { SchedulerError } from '../errors.js'
import type { Fleet, Host, Tier } from './fleet.js'
import { TIERS } from './fleet.js'
import { countMoved, splitUnits } from './units.js'
import { HostCapacity, type CapacityLayout } from './capacity.js'

/** What one function needs placed. */
export interface FunctionDemand {
  id: string
  /** Demand weight by region name (e.g. invocations per minute from metrics). */
  demand: Record<string, number>
  /** Warm instances to place in total (the autoscaler's target summed over hosts). */
  instances: number
  memoryMb: number
  /** @default 0 */
  cpuMilli?: number
  /** @default every tier */
  allowedTiers?: readonly Tier[]
  /** Labels every chosen host must have. @default none */
  requiredLabels?: readonly string[]
}

/** Instances of one function on one host, serving one demand region. */
export interface Placement {
  host: string
  region: string
  instances: number
  /** Access + network latency from the region's users to the host, ms. */
  latencyMs: number
}

export interface PlacementPlan {
  /** Placements by function id (functions with nothing placed map to []). */
  byFunction: Map<string, Placement[]>
  /** Instances that found no feasible host, by function id. */
  unplaced: Map<string, number>
  /** Demand-weighted mean latency over placed demand, ms. */
  meanLatencyMs: number
  placedInstances: number
  /** Instances placed on a different host than in the previous plan. */
  movedInstances: number
  hostsUsed: number
  /** Free memory per host (MiB) after this plan, by host id. */
  freeMemoryMb(hostId: string): number
}

export interface PlacerOptions {
  /** A kept placement moves only if a host at least this much faster (ms) has room. @default 2 */
  hysteresisMs?: number
  /** ... and at least this share faster. @default 0.2 */
  hysteresisRatio?: number
}

/** What the placer keeps about a plan it returned, so that removeHost can change it in place. */
interface PlanState {
  capacity: HostCapacity
  fnIndex: Map<string, number>
  functions: FunctionDemand[]
  totals?: Totals
}

interface Totals {
  weighted: number
  weight: number
  placed: number
  hostsUsed: number
  /** Instances per host index. */
  hostLoad: Int32Array
}

/** Host classes and per-region class orders over one fleet. Reuse it for many plans. */
export class GreedyLatencyPlacer {
  private readonly hostIndex = new Map<string, number>()
  private readonly regionIndex = new Map<string, number>()
  private hosts: Host[] = []
  private classOf: Int32Array = new Int32Array(0)
  private classHosts: number[][] = []
  private classRegion: number[] = []
  private classTier: Tier[] = []
  private classLabels: string[][] = []
  private classKey = new Map<string, number>()
  private sorted: (Int32Array | undefined)[] = []
  private readonly hysteresisMs: number
  private readonly hysteresisRatio: number
  private dead = new Set<number>()
  private hostPosition: Int32Array = new Int32Array(0)
  /** Per region: position of each class in order(region), -1 when unreachable. Rebuilt with `sorted`. */
  private positions: (Int32Array | undefined)[] = []
  /** The state behind each plan this placer returned; plans themselves stay plain data. */
  private readonly states = new WeakMap<PlacementPlan, PlanState>()
  private readonly layout: CapacityLayout

  constructor(private readonly fleet: Fleet, options: PlacerOptions = {}) {
    this.hysteresisMs = options.hysteresisMs ?? 2
    this.hysteresisRatio = options.hysteresisRatio ?? 0.2
    const placer = this
    this.layout = {
      get classHosts() { return placer.classHosts },
      get classOf() { return placer.classOf },
      get hostPosition() { return placer.hostPosition },
      regions: fleet.regions.length,
      orderPosition: (region, c) => placer.orderPosition(region, c),
    }
    fleet.regions.forEach((r, i) => this.regionIndex.set(r, i))
    if (fleet.regionLatencyMs.length !== fleet.regions.length ** 2) throw new SchedulerError('BAD_FLEET', 'regionLatencyMs must be regions x regions')
    for (const h of fleet.hosts) this.addHost(h)
  }

  /** Adds a host (a join). The next plan can use it; kept placements move to it only past the hysteresis. */
  addHost(h: Host): void {
    if (this.hostIndex.has(h.id)) throw new SchedulerError('BAD_FLEET', `host ${h.id} appears twice`)
    const r = this.regionIndex.get(h.region)
    if (r === undefined) throw new SchedulerError('BAD_FLEET', `host ${h.id}: region ${JSON.stringify(h.region)} is not in the fleet's network`)
    if (!TIERS.includes(h.tier)) throw new SchedulerError('BAD_FLEET', `host ${h.id}: tier ${JSON.stringify(h.tier)} is not one of ${TIERS.join(', ')}`)
    if (!(h.memoryMb >= 0) || !(h.cpuMilli >= 0)) throw new SchedulerError('BAD_FLEET', `host ${h.id}: memoryMb and cpuMilli must be >= 0`)
    const labels = [...h.labels].sort()
    const key = `${r}|${h.tier}|${labels.join(',')}`
    let c = this.classKey.get(key)
    if (c === undefined) {
      c = this.classHosts.length
      this.classKey.set(key, c)
      this.classHosts.push([])
      this.classRegion.push(r)
      this.classTier.push(h.tier)
      this.classLabels.push(labels)
      this.sorted = [] // class orders are rebuilt lazily
      this.positions = []
    }
    const idx = this.hosts.length
    this.hosts.push(h)
    this.hostIndex.set(h.id, idx)
    this.classHosts[c].push(idx)
    if (idx >= this.classOf.length) {
      const co = new Int32Array(Math.max(16, 2 * this.classOf.length))
      co.set(this.classOf)
      this.classOf = co
      const hp = new Int32Array(co.length)
      hp.set(this.hostPosition)
      this.hostPosition = hp
    }
    this.classOf[idx] = c
    this.hostPosition[idx] = this.classHosts[c].length - 1
  }

  private latency(region: number, c: number): number {
    const R = this.fleet.regions.length
    return this.fleet.tierAccessMs[this.classTier[c]] + this.fleet.regionLatencyMs[region * R + this.classRegion[c]]
  }

  /** Classes ordered by latency from `region` (ties by class number), unreachable ones left out. */
  private order(region: number): Int32Array {
    let o = this.sorted[region]
    if (!o) {
      const C = this.classHosts.length
      const lat = new Float64Array(C)
      const ids: number[] = []
      for (let c = 0; c < C; c++) {
        lat[c] = this.latency(region, c)
        if (Number.isFinite(lat[c])) ids.push(c)
      }
      ids.sort((a, b) => lat[a] - lat[b] || a - b)
      o = this.sorted[region] = Int32Array.from(ids)
    }
    return o
  }

  private orderPosition(region: number, c: number): number {
    let pos = this.positions[region]
    if (!pos) {
      pos = this.positions[region] = new Int32Array(this.classHosts.length).fill(-1)
      this.order(region).forEach((cls, i) => { pos![cls] = i })
    }
    return c < pos.length ? pos[c] : -1
  }

  /**
   * Places every function's instances. With `previous`, placements that still fit stay where they were
   * unless a host past the hysteresis is faster: an unchanged input gives an unchanged plan.
   */
  plan(functions: readonly FunctionDemand[], previous?: PlacementPlan): PlacementPlan {
    const smallest = {
      memoryMb: functions.reduce((m, f) => Math.min(m, f.memoryMb), Infinity),
      cpuMilli: functions.reduce((m, f) => Math.min(m, f.cpuMilli ?? 0), Infinity),
    }
    const st: PlanState = { capacity: new HostCapacity(this.layout, this.hosts, this.dead, smallest), fnIndex: new Map(), functions: [...functions] }
    const cap = st.capacity
    const units = splitUnits(functions, this.regionIndex, st.fnIndex)
    const lists: Placement[][] = functions.map(() => [])
    const unplaced = new Map<string, number>()
    const prev = previous?.byFunction
    // Pass 1: keep what still fits (in unit order, so that the result does not depend on map order).
    const need = new Int32Array(units.fn.length)
    for (let u = 0; u < units.fn.length; u++) {
      const f = functions[units.fn[u]]
      const region = this.fleet.regions[units.region[u]]
      let k = units.count[u]
      const old = prev?.get(f.id)
      if (old) {
        for (const p of old) {
          if (k === 0 || p.region !== region) continue
          const h = this.hostIndex.get(p.host)
          if (h === undefined || !this.allowed(f, this.classOf[h])) continue
          const n = Math.min(k, p.instances, cap.fits(h, f))
          if (n <= 0) continue
          cap.take(h, f, n)
          lists[units.fn[u]].push({ host: p.host, region, instances: n, latencyMs: this.latency(units.region[u], this.classOf[h]) })
          k -= n
        }
      }
      need[u] = k
    }
    // Pass 2: move kept placements that a much faster host could take (joins), then place the rest greedily.
    let moved = 0
    if (prev) {
      for (let u = 0; u < units.fn.length; u++) {
        const f = functions[units.fn[u]]
        const list = lists[units.fn[u]]
        for (let i = 0; i < list.length; i++) {
          const p = list[i]
          if (p.region !== this.fleet.regions[units.region[u]]) continue
          const best = this.bestFeasible(st, f, units.region[u])
          if (best < 0) continue
          const lat = this.latency(units.region[u], this.classOf[best])
          if (lat + Math.max(this.hysteresisMs, this.hysteresisRatio * p.latencyMs) < p.latencyMs) {
            const h = this.hostIndex.get(p.host)!
            cap.give(h, f, p.instances)
            list.splice(i--, 1)
            need[u] += p.instances
          }
        }
      }
    }
    for (let u = 0; u < units.fn.length; u++) {
      if (need[u] === 0) continue
      const f = functions[units.fn[u]]
      const left = this.placeGreedy(st, f, units.region[u], need[u], lists[units.fn[u]])
      if (left > 0) unplaced.set(f.id, (unplaced.get(f.id) ?? 0) + left)
    }
    const byFunction = new Map<string, Placement[]>()
    for (let i = 0; i < functions.length; i++) byFunction.set(functions[i].id, lists[i])
    if (prev) moved = countMoved(prev, byFunction)
    return this.finish(st, byFunction, unplaced, moved, lists)
  }

  /**
   * A host left or failed: marks it gone and re-places only the instances it held (mutating `plan`).
   * Returns the plan with movedInstances = instances that had to move.
   */
  removeHost(plan: PlacementPlan, hostId: string): PlacementPlan {
    const h = this.hostIndex.get(hostId)
    if (h === undefined) throw new SchedulerError('BAD_FLEET', `no host ${hostId} in this fleet`)
    this.dead.add(h)
    const st = this.states.get(plan)
    if (!st) throw new SchedulerError('BAD_OPTIONS', 'removeHost needs a plan this placer returned')
    st.capacity.kill(h)
    st.capacity.resetHeads() // class orders may have been rebuilt by joins since the plan
    let moved = 0
    // Only the functions that had instances there change: take their share out of the totals, re-place, add back.
    const agg = st.totals!
    for (const [id, list] of plan.byFunction) {
      let hit = false
      for (const p of list) if (p.host === hostId) hit = true
      if (!hit) continue
      const fi = st.fnIndex.get(id)!
      const f = st.functions[fi]
      this.account(agg, f, list, -1)
      for (let i = 0; i < list.length; i++) {
        if (list[i].host !== hostId) continue
        const p = list[i]
        list.splice(i--, 1)
        const left = this.placeGreedy(st, f, this.regionIndex.get(p.region)!, p.instances, list)
        moved += p.instances - left
        if (left > 0) plan.unplaced.set(id, (plan.unplaced.get(id) ?? 0) + left)
      }
      this.account(agg, f, list, 1)
    }
    return this.publish(st, plan.byFunction, plan.unplaced, moved)
  }

  /** Adds (sign 1) or removes (-1) one function's placements from the plan totals. */
  private account(agg: Totals, f: FunctionDemand, list: readonly Placement[], sign: 1 | -1): void {
    for (const p of list) {
      const perInstance = (f.demand[p.region] ?? 0) / Math.max(1, f.instances)
      agg.weighted += sign * p.latencyMs * perInstance * p.instances
      agg.weight += sign * perInstance * p.instances
      agg.placed += sign * p.instances
      const h = this.hostIndex.get(p.host)!
      if (h >= agg.hostLoad.length) {
        const grown = new Int32Array(this.hosts.length)
        grown.set(agg.hostLoad)
        agg.hostLoad = grown
      }
      const before = agg.hostLoad[h]
      agg.hostLoad[h] += sign * p.instances
      if (before === 0 && agg.hostLoad[h] > 0) agg.hostsUsed++
      else if (before > 0 && agg.hostLoad[h] === 0) agg.hostsUsed--
    }
  }

  private finish(st: PlanState, byFunction: Map<string, Placement[]>, unplaced: Map<string, number>, moved: number, lists: Placement[][]): PlacementPlan {
    const agg: Totals = { weighted: 0, weight: 0, placed: 0, hostsUsed: 0, hostLoad: new Int32Array(this.hosts.length) }
    for (let i = 0; i < st.functions.length; i++) this.account(agg, st.functions[i], lists[i], 1)
    st.totals = agg
    return this.publish(st, byFunction, unplaced, moved)
  }

  private publish(st: PlanState, byFunction: Map<string, Placement[]>, unplaced: Map<string, number>, moved: number): PlacementPlan {
    const agg = st.totals!
    const hostIndex = this.hostIndex
    const plan: PlacementPlan = {
      byFunction,
      unplaced,
      meanLatencyMs: agg.weight > 1e-9 ? agg.weighted / agg.weight : 0,
      placedInstances: agg.placed,
      movedInstances: moved,
      hostsUsed: agg.hostsUsed,
      freeMemoryMb: (hostId: string) => {
        const h = hostIndex.get(hostId)
        return h === undefined ? NaN : st.capacity.freeMemoryMb(h)
      },
    }
    this.states.set(plan, st)
    return plan
  }

  private allowed(f: FunctionDemand, c: number): boolean {
    if (f.allowedTiers && !f.allowedTiers.includes(this.classTier[c])) return false
    if (f.requiredLabels) for (const l of f.requiredLabels) if (!this.classLabels[c].includes(l)) return false
    return true
  }

  private bestFeasible(st: PlanState, f: FunctionDemand, region: number): number {
    const cap = st.capacity
    const order = this.order(region)
    for (let i = cap.firstOpen(region, order); i < order.length; i++) {
      const c = order[i]
      if (!cap.mayFit(c, f) || !this.allowed(f, c) || !cap.open(c)) continue
      const hosts = this.classHosts[c]
      for (let j = cap.firstHost(c); j < hosts.length; j++) if (cap.fits(hosts[j], f) > 0) return hosts[j]
      cap.tighten(c)
    }
    return -1
  }

  /** Places n instances from `region` greedily, appending to `out`; returns how many found no host. */
  private placeGreedy(st: PlanState, f: FunctionDemand, region: number, n: number, out: Placement[]): number {
    const cap = st.capacity
    const regionName = this.fleet.regions[region]
    const order = this.order(region)
    for (let i = cap.firstOpen(region, order); i < order.length; i++) {
      const c = order[i]
      if (n === 0) break
      if (!cap.mayFit(c, f) || !this.allowed(f, c) || !cap.open(c)) continue
      const lat = this.latency(region, c)
      const hosts = this.classHosts[c]
      for (let j = cap.firstHost(c); j < hosts.length; j++) {
        const h = hosts[j]
        const k = Math.min(n, cap.fits(h, f))
        if (k <= 0) continue
        cap.take(h, f, k)
        const id = this.hosts[h].id
        const same = out.find((p) => p.host === id && p.region === regionName)
        if (same) same.instances += k
        else out.push({ host: id, region: regionName, instances: k, latencyMs: lat })
        n -= k
        if (n === 0) break
      }
      if (n > 0) cap.tighten(c)
    }
    return n
  }
}
