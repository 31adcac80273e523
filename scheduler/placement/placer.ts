// Greedy latency placement of warm instances onto hosts: each function's instances are split over the regions
// its demand comes from, and each region's share goes to the feasible host class (region x tier x labels) with
// the lowest access + network latency that still has memory and CPU. Hysteresis keeps previous placements.
import { SchedulerError } from '../errors.js'
import type { Fleet, Host, Tier } from './fleet.js'
import { TIERS } from './fleet.js'
import { countMoved, splitUnits } from './units.js'

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

interface Internal {
  free: Float64Array
  freeCpu: Float64Array
  alive: Uint8Array
  fnIndex: Map<string, number>
  functions: FunctionDemand[]
  /** Per class: hosts before this position have less free memory than the smallest instance. */
  cursor: Int32Array
  /** Per region: classes before this position in its order are full. */
  head: Int32Array
  minMemoryMb: number
  minCpuMilli: number
  /** Per class: upper bounds of the free memory and CPU of its hosts (exact after a failed scan). */
  maxFree: Float64Array
  maxFreeCpu: Float64Array
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

const INTERNAL = Symbol('placement-state')

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

  constructor(private readonly fleet: Fleet, options: PlacerOptions = {}) {
    this.hysteresisMs = options.hysteresisMs ?? 2
    this.hysteresisRatio = options.hysteresisRatio ?? 0.2
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
    }
    const idx = this.hosts.length
    this.hosts.push(h)
    this.hostIndex.set(h.id, idx)
    this.classHosts[c].push(idx)
    if (idx >= this.classOf.length) {
      const co = new Int32Array(Math.max(16, 2 * this.classOf.length))
      co.set(this.classOf)
      this.classOf = co
    }
    this.classOf[idx] = c
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

  /**
   * Places every function's instances. With `previous`, placements that still fit stay where they were
   * unless a host past the hysteresis is faster: an unchanged input gives an unchanged plan.
   */
  plan(functions: readonly FunctionDemand[], previous?: PlacementPlan): PlacementPlan {
    const H = this.hosts.length
    const st: Internal = {
      free: Float64Array.from(this.hosts, (h) => h.memoryMb),
      freeCpu: Float64Array.from(this.hosts, (h) => h.cpuMilli),
      alive: new Uint8Array(H).fill(1),
      fnIndex: new Map(),
      functions: [...functions],
      cursor: new Int32Array(this.classHosts.length),
      head: new Int32Array(this.fleet.regions.length),
      minMemoryMb: functions.reduce((m, f) => Math.min(m, f.memoryMb), Infinity),
      minCpuMilli: functions.reduce((m, f) => Math.min(m, f.cpuMilli ?? 0), Infinity),
      maxFree: Float64Array.from(this.classHosts, (hs) => hs.reduce((m, h) => Math.max(m, this.hosts[h].memoryMb), 0)),
      maxFreeCpu: Float64Array.from(this.classHosts, (hs) => hs.reduce((m, h) => Math.max(m, this.hosts[h].cpuMilli), 0)),
    }
    for (const d of this.dead) st.alive[d] = 0
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
          if (h === undefined || !st.alive[h] || !this.allowed(f, this.classOf[h])) continue
          const n = Math.min(k, p.instances, this.fits(st, h, f))
          if (n <= 0) continue
          this.take(st, h, f, n)
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
            this.give(st, h, f, p.instances)
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
    const st = (plan as unknown as Record<symbol, Internal>)[INTERNAL]
    st.alive[h] = 0
    st.head.fill(0) // class orders may have been rebuilt by joins since the plan
    st.free[h] = 0
    st.freeCpu[h] = 0
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

  private finish(st: Internal, byFunction: Map<string, Placement[]>, unplaced: Map<string, number>, moved: number, lists: Placement[][]): PlacementPlan {
    const agg: Totals = { weighted: 0, weight: 0, placed: 0, hostsUsed: 0, hostLoad: new Int32Array(this.hosts.length) }
    for (let i = 0; i < st.functions.length; i++) this.account(agg, st.functions[i], lists[i], 1)
    st.totals = agg
    return this.publish(st, byFunction, unplaced, moved)
  }

  private publish(st: Internal, byFunction: Map<string, Placement[]>, unplaced: Map<string, number>, moved: number): PlacementPlan {
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
        return h === undefined ? NaN : st.free[h]
      },
    }
    Object.defineProperty(plan, INTERNAL, { value: st, enumerable: false })
    return plan
  }

  private allowed(f: FunctionDemand, c: number): boolean {
    if (f.allowedTiers && !f.allowedTiers.includes(this.classTier[c])) return false
    if (f.requiredLabels) for (const l of f.requiredLabels) if (!this.classLabels[c].includes(l)) return false
    return true
  }

  private fits(st: Internal, h: number, f: FunctionDemand): number {
    if (!st.alive[h]) return 0
    const byMem = Math.floor(st.free[h] / f.memoryMb)
    const cpu = f.cpuMilli ?? 0
    return cpu > 0 ? Math.min(byMem, Math.floor(st.freeCpu[h] / cpu)) : byMem
  }

  private take(st: Internal, h: number, f: FunctionDemand, n: number): void {
    st.free[h] -= n * f.memoryMb
    st.freeCpu[h] -= n * (f.cpuMilli ?? 0)
  }

  private give(st: Internal, h: number, f: FunctionDemand, n: number): void {
    st.free[h] += n * f.memoryMb
    const c = this.classOf[h]
    if (st.free[h] > st.maxFree[c]) st.maxFree[c] = st.free[h]
    if (st.freeCpu[h] > st.maxFreeCpu[c]) st.maxFreeCpu[c] = st.freeCpu[h]
    st.freeCpu[h] += n * (f.cpuMilli ?? 0)
  }

  /** Whether class c can still take an instance of the smallest size; advances its cursor past full hosts. */
  private open(st: Internal, c: number): boolean {
    if (c >= st.cursor.length) {
      const grown = new Int32Array(this.classHosts.length)
      grown.set(st.cursor)
      st.cursor = grown
      const max = Float64Array.from(this.classHosts, (hs) => hs.reduce((m, h) => Math.max(m, this.hosts[h].memoryMb), 0))
      max.set(st.maxFree)
      st.maxFree = max
      const maxCpu = Float64Array.from(this.classHosts, (hs) => hs.reduce((m, h) => Math.max(m, this.hosts[h].cpuMilli), 0))
      maxCpu.set(st.maxFreeCpu)
      st.maxFreeCpu = maxCpu
    }
    if (st.maxFree[c] < st.minMemoryMb || st.maxFreeCpu[c] < st.minCpuMilli) return false
    const hosts = this.classHosts[c]
    let i = st.cursor[c]
    while (i < hosts.length && (!st.alive[hosts[i]] || st.free[hosts[i]] < st.minMemoryMb || st.freeCpu[hosts[i]] < st.minCpuMilli)) i++
    st.cursor[c] = i
    return i < hosts.length
  }

  /** Position in `order` of the first class from `region` that is not full. */
  private firstOpen(st: Internal, region: number, order: Int32Array): number {
    let i = st.head[region]
    while (i < order.length && !this.open(st, order[i])) i++
    st.head[region] = i
    return i
  }

  private bestFeasible(st: Internal, f: FunctionDemand, region: number): number {
    const order = this.order(region)
    for (let i = this.firstOpen(st, region, order); i < order.length; i++) {
      const c = order[i]
      if (st.maxFree[c] < f.memoryMb || st.maxFreeCpu[c] < (f.cpuMilli ?? 0) || !this.allowed(f, c) || !this.open(st, c)) continue
      const hosts = this.classHosts[c]
      for (let j = st.cursor[c]; j < hosts.length; j++) if (this.fits(st, hosts[j], f) > 0) return hosts[j]
      this.tighten(st, c)
    }
    return -1
  }

  /** Places n instances from `region` greedily, appending to `out`; returns how many found no host. */
  private placeGreedy(st: Internal, f: FunctionDemand, region: number, n: number, out: Placement[]): number {
    const regionName = this.fleet.regions[region]
    const order = this.order(region)
    for (let i = this.firstOpen(st, region, order); i < order.length; i++) {
      const c = order[i]
      if (n === 0) break
      if (st.maxFree[c] < f.memoryMb || st.maxFreeCpu[c] < (f.cpuMilli ?? 0) || !this.allowed(f, c) || !this.open(st, c)) continue
      const lat = this.latency(region, c)
      const hosts = this.classHosts[c]
      for (let j = st.cursor[c]; j < hosts.length; j++) {
        const h = hosts[j]
        const k = Math.min(n, this.fits(st, h, f))
        if (k <= 0) continue
        this.take(st, h, f, k)
        const id = this.hosts[h].id
        const same = out.find((p) => p.host === id && p.region === regionName)
        if (same) same.instances += k
        else out.push({ host: id, region: regionName, instances: k, latencyMs: lat })
        n -= k
        if (n === 0) break
      }
      if (n > 0) this.tighten(st, c)
    }
    return n
  }

  /** After a scan of class c failed to fit something, make its free-capacity bounds exact. */
  private tighten(st: Internal, c: number): void {
    let mem = 0
    let cpu = 0
    const hosts = this.classHosts[c]
    for (let j = st.cursor[c]; j < hosts.length; j++) {
      const h = hosts[j]
      if (!st.alive[h]) continue
      if (st.free[h] > mem) mem = st.free[h]
      if (st.freeCpu[h] > cpu) cpu = st.freeCpu[h]
    }
    st.maxFree[c] = mem
    st.maxFreeCpu[c] = cpu
  }
}
