// A loaded non-core function version with a pool of ready instances, run on the calling thread.
// Subclasses say how to create an instance and run one request on it; this class keeps the pool,
// the counters and the error mapping, with the same semantics as the core FunctionHost.
import { performance } from 'node:perf_hooks'
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { FunctionConfig } from '../artifact.js'
import { JaegisError, TimeoutError, classify } from '../errors.js'
import type { FunctionStats, StartKind } from '../function-host.js'
import type { Deadline } from '../instance.js'
import { blockHook, sleepMs } from './wasi/io.js'

/** What the Runtime needs from a host of any kind. */
export interface NonCoreHost {
  readonly config: FunctionConfig
  readonly digest: string
  readonly stats: FunctionStats
  minWarm: number
  maxWarm: number
  invoke(req: FunctionRequest, startKind?: StartKind): { response: FunctionResponse; start: StartKind }
  setPool(minWarm: number, maxWarm: number): void
  close(): void
}

export abstract class PooledHost<I extends { deadline: Deadline }> implements NonCoreHost {
  readonly stats: FunctionStats
  minWarm: number
  maxWarm: number
  private ready: I[] = []
  private refillScheduled = false
  protected closed = false

  constructor(
    readonly config: FunctionConfig,
    readonly digest: string,
  ) {
    this.minWarm = config.pool.minWarm
    this.maxWarm = config.pool.maxWarm
    this.stats = { invocations: 0, errors: {}, starts: { warm: 0, hostwarm: 0, hostcold: 0 }, pool: { ready: 0, dirty: 0, minWarm: this.minWarm, maxWarm: this.maxWarm } }
  }

  /** Creates and fully instantiates one instance. Throws a JaegisError. */
  protected abstract create(): I
  /** Runs one request on `inst`. Returns whether the instance may serve another request. */
  protected abstract run(inst: I, req: FunctionRequest): { response: FunctionResponse; reusable: boolean }

  /** Called once for every instance the pool lets go (after an error, a non-reusable request, a smaller pool). */
  protected discard(_inst: I): void {}

  /** Call at the end of a subclass constructor: the first instance proves the artifact runs. */
  protected start(): void {
    this.ready.push(this.createClassified())
    this.fill()
  }

  private createClassified(): I {
    try {
      return this.create()
    } catch (err) {
      throw classify(err, 'instantiating the component')
    }
  }

  private fill(): void {
    while (this.ready.length < this.minWarm) this.ready.push(this.createClassified())
    while (this.ready.length > this.maxWarm) this.discard(this.ready.pop()!)
    this.updatePoolStats()
  }

  private scheduleFill(): void {
    if (this.refillScheduled || this.closed) return
    this.refillScheduled = true
    setImmediate(() => {
      this.refillScheduled = false
      if (this.closed) return
      try {
        this.fill()
      } catch {
        // An instantiation that fails off the request path shows up on the next request instead.
      }
    })
  }

  private updatePoolStats(): void {
    this.stats.pool.ready = this.ready.length
    this.stats.pool.dirty = 0
    this.stats.pool.minWarm = this.minWarm
    this.stats.pool.maxWarm = this.maxWarm
  }

  setPool(minWarm: number, maxWarm: number): void {
    this.minWarm = minWarm
    this.maxWarm = Math.max(maxWarm, minWarm)
    while (this.ready.length > this.maxWarm) this.discard(this.ready.pop()!)
    this.updatePoolStats()
    this.scheduleFill()
  }

  invoke(req: FunctionRequest, startKind?: StartKind): { response: FunctionResponse; start: StartKind } {
    if (this.closed) throw new JaegisError('CLOSED', `function ${this.config.name} was unloaded`)
    this.stats.invocations++
    const warm = this.ready.pop()
    const start: StartKind = startKind ?? (warm ? 'warm' : 'hostwarm')
    this.stats.starts[start]++
    let inst: I
    try {
      inst = warm ?? this.createClassified()
    } catch (err) {
      this.count(err as JaegisError)
      throw err
    }
    const { timeoutMs } = this.config.limits
    inst.deadline.deadline = performance.now() + timeoutMs
    inst.deadline.timeoutMs = timeoutMs
    // Blocking waits inside the guest (timers, polls) never sleep past the deadline.
    blockHook.current = (ms) => {
      const left = inst.deadline.deadline - performance.now()
      if (ms >= left) {
        sleepMs(left)
        throw new TimeoutError(timeoutMs)
      }
      sleepMs(ms)
    }
    let result: { response: FunctionResponse; reusable: boolean }
    try {
      result = this.run(inst, req)
    } catch (err) {
      const e = classify(err, 'running the handler')
      this.discard(inst)
      this.count(e)
      this.scheduleFill()
      this.updatePoolStats()
      throw e
    } finally {
      blockHook.current = sleepMs
    }
    if (result.reusable && !this.closed && this.ready.length < this.maxWarm) this.ready.push(inst)
    else this.discard(inst)
    if (this.ready.length < this.minWarm) this.scheduleFill()
    this.updatePoolStats()
    return { response: result.response, start }
  }

  private count(e: JaegisError): void {
    this.stats.errors[e.code] = (this.stats.errors[e.code] ?? 0) + 1
  }

  close(): void {
    this.closed = true
    this.ready = []
    this.updatePoolStats()
  }
}
