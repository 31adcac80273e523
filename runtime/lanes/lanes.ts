// The lanes of a runtime: worker threads that run invocations off the gateway thread, so a slow,
// heavy or waiting function delays only itself. Work waits in a FairQueue (round-robin across
// functions, `max_concurrency` per function); lanes are added past the core count when every
// lane is held (the OS then shares the cores) up to a cap, and idle extra lanes are retired.
// Every invocation is answered by its deadline: a lane that overruns it is answered for here.
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { FunctionConfig } from '../artifact.js'
import { JaegisError, TimeoutError } from '../errors.js'
import type { FunctionStats, StartKind } from '../pool/instance-pool.js'
import type { InvokeEvent, LogEntry } from '../runtime.js'
import { LIMITS } from '@jaegis/artifact'
import { FairQueue } from './fair-queue.js'
import { LANE_POLICY } from './policy.js'
import { LaneSpawner, type LaneHandle } from './spawner.js'
import { builtScript } from '../built-script.js'
import { cloneableRequest, type FromLane, type LaneData, type LaneLoad, type ToLane } from './protocol.js'

export interface LaneOptions {
  /** Lanes started at once and kept. @default the number of cores */
  minLanes?: number
  /** Lanes at most, when every lane is held by a long or waiting invocation. @default max(16, 4 x cores) */
  maxLanes?: number
  /** An extra lane idle this long is retired (ms). @default 30000 */
  idleMs?: number
  /** Niceness of lane threads on Linux: positive values let the gateway thread win the CPU. @default LANE_POLICY.nice */
  nice?: number
}

/** What the LaneSet needs from its runtime. */
export interface LaneHost {
  fuelPerCheck: number
  onLog(entry: LogEntry): void
  onInvoke(event: InvokeEvent): void
  /** The artifact and compiled modules of the serving version of `name` (to load it into a lane). */
  loadFor(name: string): LaneLoad | undefined
  /** An invocation that ran in a lane ended, after `fuelChecks` fuel checks of work (policy: long-running, or proving short). */
  laneRan(name: string, digest: string, durationMs: number, fuelChecks: number): void
  /** Whether `name` at `digest` is known to run long (its lane runs at LANE_POLICY.nice from the start). */
  isLong(name: string, digest: string): boolean
}

/** One invocation handed to the lanes. */
export interface LaneJob {
  name: string
  config: FunctionConfig
  digest: string
  req: FunctionRequest
  /** performance.now() value by which it is answered, waiting included. */
  deadline: number
  start?: StartKind
}

interface Pending extends LaneJob {
  id: number
  resolve(r: FunctionResponse): void
  reject(e: JaegisError): void
  settled: boolean
  timer: NodeJS.Timeout
  lane?: Lane
  enqueuedAt: number
}

interface Lane {
  handle: LaneHandle
  ready: boolean
  job: Pending | undefined
  /** Function name -> digest this lane holds. */
  holds: Map<string, string>
  idleSince: number
  /** Its last stats report. */
  stats: Record<string, FunctionStats & { digest: string }>
  /** Watchdog for a lane that overran a deadline: terminated if it does not come back. */
  stuck?: NodeJS.Timeout
}


export class LaneSet {
  private readonly lanes: Lane[] = []
  private readonly queue = new FairQueue<Pending>()
  private readonly minLanes: number
  private readonly cores: number
  private readonly maxLanes: number
  private readonly idleMs: number
  private readonly nice: number
  private starting = 0
  private nextId = 1
  private readonly byId = new Map<number, Pending>()
  private readonly limits = new Map<string, number>()
  private closed = false
  private bootFailures = 0
  private retireTimer: NodeJS.Timeout | undefined
  /** Lane threads are started from a thread of their own: a `new Worker` costs the calling thread 1-22 ms. */
  private readonly spawner = new LaneSpawner()

  constructor(
    private readonly host: LaneHost,
    options: LaneOptions = {},
  ) {
    const cores = availableParallelism()
    this.cores = cores
    this.minLanes = Math.max(1, options.minLanes ?? cores)
    this.maxLanes = Math.max(this.minLanes, options.maxLanes ?? Math.max(16, 4 * cores))
    this.idleMs = options.idleMs ?? 30_000
    this.nice = options.nice ?? LANE_POLICY.nice
    for (let i = 0; i < this.minLanes; i++) this.spawn()
  }

  /** Lanes running now, busy ones, and invocations waiting for one. */
  get size(): { lanes: number; busy: number; waiting: number } {
    return { lanes: this.lanes.length, busy: this.busyLanes(), waiting: this.queue.size }
  }

  private busyLanes(): number {
    return this.lanes.filter((l) => l.job !== undefined).length
  }

  /** True when a lane could start an invocation now (one is up and idle, and nothing waits). */
  hasFreeLane(): boolean {
    return this.queue.size === 0 && this.lanes.some((l) => l.ready && !l.job)
  }

  /** Runs `job` in a lane: at once when one is free and the function is under its concurrency limit, else in turn. */
  submit(job: LaneJob): Promise<FunctionResponse> {
    if (this.closed) return Promise.reject(new JaegisError('CLOSED', 'runtime is closed'))
    const { maxConcurrency, maxQueue } = limitsOf(job.config)
    this.limits.set(job.name, maxConcurrency)
    const waiting = this.queue.waiting(job.name)
    if (waiting >= maxQueue && (waiting > 0 || (maxConcurrency > 0 && this.queue.running(job.name) >= maxConcurrency))) {
      return Promise.reject(new JaegisError('OVERLOADED', `function "${job.name}" has ${this.queue.running(job.name)} invocations running and ${waiting} waiting, its limit; retry later`))
    }
    return new Promise<FunctionResponse>((resolve, reject) => {
      const now = performance.now()
      const p: Pending = { ...job, id: this.nextId++, resolve, reject, settled: false, enqueuedAt: now, timer: undefined as unknown as NodeJS.Timeout }
      // Answered by the deadline whatever a lane does (plus LANE_POLICY.deadlineGraceMs, now 0: the
      // gateway thread does not wait for the lane's own TIMEOUT).
      p.timer = setTimeout(() => this.expire(p), Math.max(0, job.deadline - now) + LANE_POLICY.deadlineGraceMs)
      this.byId.set(p.id, p)
      this.queue.push(job.name, p)
      this.pump()
    })
  }

  /** Tells lanes holding `name` to drop it (unloaded or replaced: they load the new version on demand). */
  unload(name: string): void {
    this.limits.delete(name)
    for (const lane of this.lanes) {
      if (lane.holds.delete(name)) this.post(lane, { t: 'unload', name })
    }
  }

  /** Passes pool bounds to the lanes holding `name`. */
  setPool(name: string, minWarm: number, maxWarm: number): void {
    for (const lane of this.lanes) if (lane.holds.has(name)) this.post(lane, { t: 'pool', name, minWarm, maxWarm })
  }

  /** Per-function stats of every lane, as last reported. */
  laneStats(): Array<Record<string, FunctionStats & { digest: string }>> {
    return this.lanes.map((l) => l.stats)
  }

  /** Stops every lane; waiting invocations fail with CLOSED. */
  close(): void {
    this.closed = true
    clearInterval(this.retireTimer)
    for (const p of this.byId.values()) this.settle(p, new JaegisError('CLOSED', 'runtime is closed'))
    this.lanes.splice(0)
    this.spawner.close()
  }

  private spawn(): void {
    this.starting++
    const data: LaneData = { fuelPerCheck: this.host.fuelPerCheck, nice: this.nice }
    const lane = { ready: false, job: undefined, holds: new Map(), idleSince: performance.now(), stats: {} } as unknown as Lane
    lane.handle = this.spawner.spawn(
      builtScript('lane-worker', import.meta.url, '../dist/lanes'),
      data,
      (m) => this.onMessage(lane, m as FromLane),
      (err) => this.onLaneExit(lane, err),
    )
    this.lanes.push(lane)
    this.retireTimer ??= setInterval(() => this.retireIdle(), Math.min(this.idleMs, 5_000)).unref()
  }

  private onMessage(lane: Lane, m: FromLane): void {
    switch (m.t) {
      case 'ready':
        lane.ready = true
        this.starting--
        this.pump()
        return
      case 'log':
        this.host.onLog(m.entry)
        return
      case 'stats':
        lane.stats = m.functions
        return
      case 'done': {
        const p = this.byId.get(m.id)
        lane.job = undefined
        lane.idleSince = performance.now()
        if (lane.stuck) clearTimeout(lane.stuck), (lane.stuck = undefined)
        if (m.event) {
          this.host.onInvoke(m.event)
          this.host.laneRan(m.event.function, m.event.digest, m.event.durationMs, m.fuelChecks)
        }
        if (p) {
          this.byId.delete(p.id)
          this.queue.finished(p.name)
          if (m.response) this.settle(p, undefined, m.response)
          else this.settle(p, new JaegisError(m.error!.code, m.error!.message, { expose: m.error!.expose }))
        }
        this.pump()
        return
      }
    }
  }

  /** Starts waiting invocations on free lanes, fairly; adds lanes when all are held. */
  private pump(): void {
    if (this.closed) return
    for (;;) {
      const free = this.lanes.filter((l) => l.ready && !l.job)
      if (free.length === 0) break
      const next = this.queue.take((key) => this.limits.get(key) ?? 0)
      if (!next) break
      const p = next.item
      // Prefer a lane that already holds this version: its pool is warm.
      const lane = free.find((l) => l.holds.get(p.name) === p.digest) ?? free.find((l) => !l.holds.has(p.name)) ?? free[0]!
      this.run(lane, p)
    }
    const runnable = this.queue.size
    const anyFree = this.lanes.some((l) => l.ready && !l.job)
    while (runnable > this.starting && this.lanes.length < this.maxLanes && !anyFree) this.spawn()
    // One lane starts ahead of demand once every lane is held, so that the next long request finds a
    // lane ready instead of waiting for one to boot and load it (that wait was most of the deadline
    // overruns bench:isolation measured while lanes grew). Idle extras are retired after idleMs.
    if (!anyFree && this.starting === 0 && this.lanes.length < this.maxLanes) this.spawn()
  }

  private run(lane: Lane, p: Pending): void {
    if (p.deadline <= performance.now()) {
      this.queue.finished(p.name)
      this.expire(p)
      return
    }
    let load: LaneLoad | undefined
    if (lane.holds.get(p.name) !== p.digest) {
      load = this.host.loadFor(p.name)
      if (!load) {
        // Removed while it waited: answered as a request that came after the removal.
        this.queue.finished(p.name)
        this.byId.delete(p.id)
        this.settle(p, new JaegisError('UNKNOWN_FUNCTION', `no function named "${p.name}" is deployed`))
        return
      }
      // Replaced while it waited (a deploy or rollback): it runs the version serving now.
      p.digest = load.artifact.meta.digest
      lane.holds.set(p.name, p.digest)
    }
    lane.job = p
    p.lane = lane
    // Low from its start (lanes/priority.ts): a function known to run long, and any run beyond one per
    // core at once, so that a burst of new functions cannot outnumber the gateway thread on the CPUs
    // for their first slices.
    const low = this.host.isLong(p.name, p.digest) || this.busyLanes() > this.cores
    this.post(lane, { t: 'invoke', id: p.id, name: p.name, req: cloneableRequest(p.req), deadlineEpochMs: performance.timeOrigin + p.deadline, ...(low ? { low } : {}), ...(p.start ? { start: p.start } : {}), ...(load ? { load } : {}) })
  }

  private post(lane: Lane, m: ToLane): void {
    lane.handle.post(m)
  }

  /** The deadline passed: answer TIMEOUT now, whether the invocation waits or runs. */
  private expire(p: Pending): void {
    if (p.settled) return
    // Node starts a timer from the event loop's cached clock, which can be milliseconds old when the
    // timer is set late in a busy tick: the timer then fires early. Never answer before the deadline.
    const early = p.deadline + LANE_POLICY.deadlineGraceMs - performance.now()
    if (early > 0) {
      p.timer = setTimeout(() => this.expire(p), early)
      return
    }
    const waited = p.lane === undefined
    if (waited && this.queue.remove(p.name, p)) this.byId.delete(p.id)
    const timeoutMs = p.config.limits.timeoutMs
    if (waited) {
      this.byId.delete(p.id)
      this.host.onInvoke({ function: p.name, digest: p.digest, start: 'warm', startMs: performance.timeOrigin + p.enqueuedAt, durationMs: performance.now() - p.enqueuedAt, errorCode: 'TIMEOUT' })
      this.settle(p, new JaegisError('TIMEOUT', `function did not start within its timeout of ${timeoutMs} ms: every lane was busy (max_concurrency or load)`))
      return
    }
    // Whether the function is long is the lane's to say, with the work it did (laneRan): on a busy
    // machine a lane at niceness 19 can miss a short function's whole deadline waiting for a CPU,
    // and marking such a function long here sent all of hello's requests to starved lanes
    // (bench:http with 2 workers at load 15: 51-176 errors, ratio_workers 0.2-0.4).
    this.settle(p, new TimeoutError(timeoutMs))
    // The lane should stop itself at the deadline; one that does not come back is replaced.
    const lane = p.lane!
    lane.stuck ??= setTimeout(() => {
      if (lane.job === p) lane.handle.terminate()
    }, LANE_POLICY.stuckLaneMs)
  }

  private settle(p: Pending, err: JaegisError | undefined, response?: FunctionResponse): void {
    if (p.settled) return
    p.settled = true
    clearTimeout(p.timer)
    if (err) p.reject(err)
    else p.resolve(response!)
  }

  private onLaneExit(lane: Lane, err?: Error): void {
    const i = this.lanes.indexOf(lane)
    if (i < 0) return
    this.lanes.splice(i, 1)
    if (!lane.ready) this.starting--
    if (lane.stuck) clearTimeout(lane.stuck)
    const p = lane.job
    if (p) {
      this.byId.delete(p.id)
      this.queue.finished(p.name)
      this.settle(p, new JaegisError('INTERNAL', `lane stopped while running "${p.name}"${err ? `: ${err.message}` : ''}`, { cause: err, expose: false }))
    }
    if (this.closed) return
    if (!lane.ready) {
      // It failed before it could serve (a broken install?): retry later rather than spin, and
      // answer what waits if no lane serves at all.
      this.bootFailures++
      if (!this.lanes.some((l) => l.ready)) {
        for (const w of [...this.byId.values()]) if (!w.lane) {
          this.queue.remove(w.name, w)
          this.byId.delete(w.id)
          this.settle(w, new JaegisError('INTERNAL', `lanes failed to start${err ? `: ${err.message}` : ''}`, { cause: err, expose: false }))
        }
      }
      setTimeout(() => {
        if (!this.closed && this.lanes.length < this.minLanes) this.spawn()
      }, Math.min(30_000, 250 * 2 ** Math.min(this.bootFailures, 7))).unref()
      return
    }
    this.bootFailures = 0
    while (this.lanes.length < this.minLanes) this.spawn()
    this.pump()
  }

  /** Retires lanes beyond the minimum that have been idle for idleMs. */
  private retireIdle(): void {
    const now = performance.now()
    for (const lane of [...this.lanes]) {
      if (this.lanes.length <= this.minLanes) break
      if (lane.ready && !lane.job && now - lane.idleSince > this.idleMs) {
        this.lanes.splice(this.lanes.indexOf(lane), 1)
        lane.handle.terminate()
      }
    }
  }
}

/** A function's concurrency bound and queue size (0 concurrency: bounded by the lanes alone); defaults from the schema. */
function limitsOf(config: FunctionConfig): { maxConcurrency: number; maxQueue: number } {
  return { maxConcurrency: config.limits.maxConcurrency ?? LIMITS.maxConcurrency.default, maxQueue: config.limits.maxQueue ?? LIMITS.maxQueue.default }
}
