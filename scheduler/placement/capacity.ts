// The free capacity of every host during one plan, and the search shortcuts over it (per-class cursors
// and upper bounds, per-region heads). This object is the only one that changes them, so the shortcuts
// stay true whether capacity is taken or given back (a hysteresis move, a host that leaves).

/** How hosts are grouped, as the placer sees them; classes may be added between plans (joins). */
export interface CapacityLayout {
  /** Host indices of each class, in a fixed order. */
  readonly classHosts: readonly (readonly number[])[]
  /** Class of each host index. */
  readonly classOf: Int32Array
  /** Position of each host index inside its class's list. */
  readonly hostPosition: Int32Array
  /** Number of demand regions. */
  readonly regions: number
  /** Position of class c in region r's latency order, or -1 when c is unreachable from r. */
  orderPosition(region: number, c: number): number
}

/** One instance's size. */
export interface Size {
  memoryMb: number
  cpuMilli?: number
}

/**
 * Free memory and CPU per host. Invariants, kept by every method:
 * - hosts of class c before cursor(c) cannot take the smallest instance (dead, or too little memory or CPU);
 * - classes before head(r) in region r's order have no open host;
 * - maxFree(c) and maxFreeCpu(c) are at least the free memory and CPU of every host of c from cursor(c) on.
 */
export class HostCapacity {
  private readonly free: Float64Array
  private readonly freeCpu: Float64Array
  private readonly alive: Uint8Array
  private cursor: Int32Array
  private readonly head: Int32Array
  private maxFree: Float64Array
  private maxFreeCpu: Float64Array

  constructor(
    private readonly layout: CapacityLayout,
    hosts: readonly { memoryMb: number; cpuMilli: number }[],
    dead: Iterable<number>,
    /** Smallest instance of the plan (memory and CPU separately). */
    private readonly smallest: { memoryMb: number; cpuMilli: number },
  ) {
    this.free = Float64Array.from(hosts, (h) => h.memoryMb)
    this.freeCpu = Float64Array.from(hosts, (h) => h.cpuMilli)
    this.alive = new Uint8Array(hosts.length).fill(1)
    for (const d of dead) this.kill(d)
    this.cursor = new Int32Array(layout.classHosts.length)
    this.head = new Int32Array(layout.regions)
    this.maxFree = new Float64Array(layout.classHosts.length)
    this.maxFreeCpu = new Float64Array(layout.classHosts.length)
    for (let c = 0; c < layout.classHosts.length; c++) this.tighten(c)
  }

  freeMemoryMb(h: number): number {
    return this.free[h]
  }

  /** Instances of this size host h can still take. */
  fits(h: number, size: Size): number {
    if (!this.alive[h]) return 0
    const byMem = Math.floor(this.free[h] / size.memoryMb)
    const cpu = size.cpuMilli ?? 0
    return cpu > 0 ? Math.min(byMem, Math.floor(this.freeCpu[h] / cpu)) : byMem
  }

  take(h: number, size: Size, n: number): void {
    this.free[h] -= n * size.memoryMb
    this.freeCpu[h] -= n * (size.cpuMilli ?? 0)
  }

  /** Gives back what `take` took: the host becomes findable again by every later search. */
  give(h: number, size: Size, n: number): void {
    this.free[h] += n * size.memoryMb
    this.freeCpu[h] += n * (size.cpuMilli ?? 0)
    const c = this.layout.classOf[h]
    this.growClasses()
    if (this.free[h] > this.maxFree[c]) this.maxFree[c] = this.free[h]
    if (this.freeCpu[h] > this.maxFreeCpu[c]) this.maxFreeCpu[c] = this.freeCpu[h]
    const pos = this.layout.hostPosition[h]
    if (pos < this.cursor[c]) this.cursor[c] = pos
    for (let r = 0; r < this.head.length; r++) {
      const at = this.layout.orderPosition(r, c)
      if (at >= 0 && at < this.head[r]) this.head[r] = at
    }
  }

  /** A host is gone: nothing more goes there. */
  kill(h: number): void {
    this.alive[h] = 0
    this.free[h] = 0
    this.freeCpu[h] = 0
  }

  /** Region orders were rebuilt (a join): heads restart from the nearest class. */
  resetHeads(): void {
    this.head.fill(0)
  }

  /** Whether class c may fit an instance of this size (a cheap upper-bound test). */
  mayFit(c: number, size: Size): boolean {
    this.growClasses()
    return this.maxFree[c] >= size.memoryMb && this.maxFreeCpu[c] >= (size.cpuMilli ?? 0)
  }

  /** First host position of class c worth trying. */
  firstHost(c: number): number {
    return this.cursor[c]
  }

  /** Whether class c can still take the smallest instance; advances its cursor past hosts that cannot. */
  open(c: number): boolean {
    this.growClasses()
    if (this.maxFree[c] < this.smallest.memoryMb || this.maxFreeCpu[c] < this.smallest.cpuMilli) return false
    const hosts = this.layout.classHosts[c]
    let i = this.cursor[c]
    while (i < hosts.length && (!this.alive[hosts[i]] || this.free[hosts[i]] < this.smallest.memoryMb || this.freeCpu[hosts[i]] < this.smallest.cpuMilli)) i++
    this.cursor[c] = i
    return i < hosts.length
  }

  /** Position in `order` (region r's classes by latency) of the first open class; advances the head. */
  firstOpen(region: number, order: Int32Array): number {
    let i = this.head[region]
    while (i < order.length && !this.open(order[i])) i++
    this.head[region] = i
    return i
  }

  /** After a scan of class c failed to fit something, make its bounds exact. */
  tighten(c: number): void {
    let mem = 0
    let cpu = 0
    const hosts = this.layout.classHosts[c]
    for (let j = this.cursor[c]; j < hosts.length; j++) {
      const h = hosts[j]
      if (!this.alive[h]) continue
      if (this.free[h] > mem) mem = this.free[h]
      if (this.freeCpu[h] > cpu) cpu = this.freeCpu[h]
    }
    this.maxFree[c] = mem
    this.maxFreeCpu[c] = cpu
  }

  /** Classes added since this plan started (joins before a removeHost) start with exact bounds. */
  private growClasses(): void {
    const C = this.layout.classHosts.length
    if (C <= this.cursor.length) return
    const old = this.cursor.length
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(C)
      b.set(a)
      return b
    }
    this.cursor = grow(this.cursor)
    this.maxFree = grow(this.maxFree)
    this.maxFreeCpu = grow(this.maxFreeCpu)
    for (let c = old; c < C; c++) this.tighten(c)
  }
}
