// Ready instances of one function version, whatever its kind, run on the calling thread. The pool
// keeps the instances, the bounds, the counters, the deadlines and the error mapping; a strategy per
// kind (strategy.ts) makes, runs, resets and lets go of one instance. How many to keep is the scheduler's call.
import { performance } from 'node:perf_hooks'
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { FunctionConfig } from '../artifact.js'
import { JaegisError, classify } from '../errors.js'
import { LANE_POLICY } from '../lanes/policy.js'
import { SPARE_MEMORIES_MIN, SpareMemories } from './spare-memories.js'
import type { InstanceStrategy, PoolControl, PooledInstance } from './strategy.js'

/** How an invocation found its instance. */
export type StartKind = 'warm' | 'hostwarm' | 'hostcold'

/** Counters for one function version. */
export interface FunctionStats {
  invocations: number
  errors: Record<string, number>
  starts: Record<StartKind, number>
  pool: { ready: number; dirty: number; minWarm: number; maxWarm: number }
}

/** Per-invocation options. */
export interface InvokeOptions {
  /** Counts the start as this kind (the Runtime says `hostcold` after a load on the request path). @default how the instance was found */
  start?: StartKind
  /** performance.now() value at which the invocation is stopped (TIMEOUT). @default now + the function's timeout */
  deadline?: number
  /** performance.now() value at which an inline invocation's time slice ends (Deadline.sliceDeadline): it is stopped with SLICE_EXPIRED. @default none */
  sliceDeadline?: number
  /** Fuel checks before the slice can end (Deadline.sliceChecks). @default SLICE_MIN_CHECKS */
  sliceChecks?: number
  /** Ticks between fuel checks after the first (Deadline.refuel). @default the module's fuelPerCheck */
  refuel?: number
  /** Told, after the run (whatever its outcome), how much work it did (Deadline.fuelChecks). @default not told */
  work?: { fuelChecks: number }
  /** Called once at the first fuel check past this many ms (Deadline.demoteAt), with finer checks until then (`refuel`). @default never */
  demote?: { afterMs: number; refuel?: number; fn: () => void }
}

/** What the Runtime needs from a loaded function version of any kind. */
export interface FunctionHost {
  readonly config: FunctionConfig
  readonly digest: string
  readonly stats: FunctionStats
  readonly minWarm: number
  readonly maxWarm: number
  /** Runs one invocation to completion on this thread. Throws a JaegisError on any failure. */
  invoke(req: FunctionRequest, options?: InvokeOptions): { response: FunctionResponse; start: StartKind }
  /** Sets pool bounds (the scheduler's call). Instances are created or dropped off the request path. */
  setPool(minWarm: number, maxWarm: number): void
  /**
   * Instances lost at the end of a request, each replaced by a new one (a reset that failed: its memory grew,
   * say; or an attempt stopped at its time slice), as a leaky count: each request that left its instance
   * ready for the next (a reset that worked, or a kept instance that answered) counts towards forgiving
   * one: LANE_POLICY.inlineRunsPerLostInstance of them take one off. The lane policy reads it (inlineEligible).
   */
  readonly lostInstances: number
  /** Instances an invocation can take without making one: ready, or used and waiting for their reset. */
  readonly available: number
  close(): void
}

/** Where the memories of instances dropped by a shrinking pool go: nowhere (closed, it keeps none). */
const NO_SPARES = new SpareMemories()
NO_SPARES.close()

export class InstancePool<I extends PooledInstance> implements FunctionHost, PoolControl {
  readonly stats: FunctionStats
  minWarm: number
  maxWarm: number
  private ready: I[] = []
  /** Used instances waiting for their reset (afterRun `reset`). */
  private dirty: I[] = []
  private readonly spares = new SpareMemories()
  private readonly timeoutMs: number
  private resetScheduled = false
  private lost = 0
  /** Requests that left their instance ready since a loss was last forgiven. */
  private keptSinceLoss = 0
  private refillScheduled = false
  private isClosed = false

  /** Creates the first instance here (it proves the artifact runs: a failure throws), then fills to minWarm. */
  constructor(
    private readonly strategy: InstanceStrategy<I>,
    readonly config: FunctionConfig,
    readonly digest: string,
  ) {
    this.timeoutMs = config.limits.timeoutMs
    this.minWarm = config.pool.minWarm
    this.maxWarm = config.pool.maxWarm
    this.spares.limit = Math.max(SPARE_MEMORIES_MIN, this.maxWarm)
    this.stats = { invocations: 0, errors: {}, starts: { warm: 0, hostwarm: 0, hostcold: 0 }, pool: { ready: 0, dirty: 0, minWarm: this.minWarm, maxWarm: this.maxWarm } }
    this.ready.push(this.create())
    this.fill()
  }

  get closed(): boolean {
    return this.isClosed
  }

  get lostInstances(): number {
    return this.lost
  }

  /** An instance was lost (true) or made ready for its next request (false): the leaky count, in whole losses. */
  private countLoss(lost: boolean): void {
    if (lost) this.lost++
    else if (this.lost > 0 && ++this.keptSinceLoss >= LANE_POLICY.inlineRunsPerLostInstance) {
      this.lost--
      this.keptSinceLoss = 0
    }
  }

  get available(): number {
    return this.ready.length + (this.strategy.afterRun === 'reset' ? this.dirty.length : 0)
  }

  /** strategy.reset, counting a failure as a lost instance. */
  private reset(inst: I): boolean {
    const ok = this.strategy.reset(inst)
    this.countLoss(!ok)
    return ok
  }

  invoke(req: FunctionRequest, options?: InvokeOptions): { response: FunctionResponse; start: StartKind } {
    if (this.isClosed) throw new JaegisError('CLOSED', `function ${this.config.name} was unloaded`)
    this.stats.invocations++
    let inst = this.ready.pop() ?? this.resetDirty()
    const start = options?.start ?? (inst ? 'warm' : 'hostwarm')
    this.stats.starts[start]++
    if (!inst) {
      try {
        inst = this.create()
      } catch (err) {
        this.count(err as JaegisError)
        throw err
      }
    }
    const startedMs = this.armDeadline(inst, options)
    let response: FunctionResponse
    try {
      response = this.strategy.run(inst, req)
    } catch (err) {
      if (options?.work) options.work.fuelChecks = inst.deadline.fuelChecks ?? 0
      // The instance's state is unknown after a trap or a stop: never reuse it.
      const e = classify(err, 'running the handler')
      this.strategy.discard(inst, this.spares)
      if (e.code === 'SLICE_EXPIRED') {
        // Not an invocation of its own: the caller runs the request again elsewhere, which counts it. The
        // instance is lost all the same (the lane policy reads the count).
        this.countLoss(true)
        this.stats.invocations--
        this.stats.starts[start]--
      } else this.count(e)
      this.scheduleFill()
      this.updatePoolStats()
      throw e
    }
    if (options?.work) options.work.fuelChecks = inst.deadline.fuelChecks ?? 0
    if (this.strategy.afterRun === 'keep' && this.lost > 0) this.countLoss(false)
    this.strategy.succeeded?.(inst, startedMs, this)
    this.release(inst)
    return { response, start }
  }

  /**
   * The one place where an invocation's deadline is set, for every kind: the function's timeout from
   * now, and the caller's time slice if any. Returns now (performance.now()).
   */
  private armDeadline(inst: I, options: InvokeOptions | undefined): number {
    const now = performance.now()
    const d = inst.deadline
    d.deadline = options?.deadline ?? now + this.timeoutMs
    d.timeoutMs = this.timeoutMs
    d.sliceDeadline = options?.sliceDeadline
    d.sliceChecks = options?.sliceChecks
    d.refuel = options?.refuel ?? options?.demote?.refuel
    d.fuelChecks = 0
    d.demoteAt = options?.demote ? now + options.demote.afterMs : undefined
    d.demote = options?.demote?.fn
    return now
  }

  /** A dirty instance reset now, on the request path (no ready one is left), or undefined. */
  private resetDirty(): I | undefined {
    for (let d = this.dirty.pop(); d; d = this.dirty.pop()) {
      if (this.reset(d)) return d
      this.strategy.discard(d, this.spares)
    }
    return undefined
  }

  private release(inst: I): void {
    const after = this.strategy.afterRun
    if (this.isClosed || after === 'discard' || this.ready.length + this.dirty.length >= this.maxWarm) {
      this.strategy.discard(inst, this.spares) // a new instance per request, or the pool is full
    } else if (after === 'keep') {
      this.ready.push(inst)
    } else {
      this.dirty.push(inst)
      this.scheduleReset()
    }
    if (this.ready.length + this.dirty.length < this.minWarm) this.scheduleFill()
    this.updatePoolStats()
  }

  /** Resets used instances after the response is handed back, off the request path. */
  private scheduleReset(): void {
    if (this.resetScheduled || this.isClosed) return
    this.resetScheduled = true
    setImmediate(() => {
      this.resetScheduled = false
      for (const inst of this.dirty.splice(0)) {
        if (this.reset(inst) && this.ready.length < this.maxWarm) this.ready.push(inst)
        else this.strategy.discard(inst, this.spares)
      }
      this.updatePoolStats()
      if (this.ready.length < this.minWarm) this.scheduleFill()
    })
  }

  /** Tops the pool up to minWarm off the request path. */
  private scheduleFill(): void {
    if (this.refillScheduled || this.isClosed) return
    this.refillScheduled = true
    setImmediate(() => {
      this.refillScheduled = false
      if (!this.isClosed) this.fillQuietly()
    })
  }

  private fill(): void {
    try {
      while (this.ready.length + this.dirty.length < this.minWarm) this.ready.push(this.create())
      while (this.ready.length > this.maxWarm) this.strategy.discard(this.ready.pop()!, this.spares)
    } finally {
      this.updatePoolStats()
    }
  }

  /** fill() off the request path: an instantiation that fails there shows up on the next request instead. */
  private fillQuietly(): void {
    try {
      this.fill()
    } catch {
      // counted when a request meets it
    }
  }

  private create(): I {
    try {
      return this.strategy.create(this.spares)
    } catch (err) {
      throw classify(err, `instantiating the ${this.strategy.noun}`)
    }
  }

  renew(): void {
    if (this.isClosed) return
    for (const old of this.ready.splice(0)) this.strategy.discard(old, this.spares)
    for (const old of this.dirty.splice(0)) this.strategy.discard(old, this.spares)
    this.fillQuietly()
  }

  setPool(minWarm: number, maxWarm: number): void {
    this.minWarm = minWarm
    this.maxWarm = Math.max(maxWarm, minWarm)
    this.spares.limit = Math.max(SPARE_MEMORIES_MIN, this.maxWarm)
    this.spares.trim()
    // Instances beyond the new bound go with their memories: a pool that shrinks gives its memory back.
    while (this.ready.length > this.maxWarm) this.strategy.discard(this.ready.pop()!, NO_SPARES)
    while (this.ready.length + this.dirty.length > this.maxWarm) this.strategy.discard(this.dirty.pop()!, NO_SPARES)
    this.updatePoolStats()
    this.scheduleFill()
  }

  private count(e: JaegisError): void {
    this.stats.errors[e.code] = (this.stats.errors[e.code] ?? 0) + 1
  }

  private updatePoolStats(): void {
    const pool = this.stats.pool
    pool.ready = this.ready.length
    pool.dirty = this.dirty.length
    pool.minWarm = this.minWarm
    pool.maxWarm = this.maxWarm
  }

  close(): void {
    this.isClosed = true
    this.ready = []
    this.dirty = []
    this.spares.close()
    this.updatePoolStats()
  }
}
