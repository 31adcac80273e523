// One loaded version of a function: its metered module, its snapshot (memory image and mutable
// globals of a fresh instance), and a pool of ready instances. Runs invocations on the calling thread.
import { performance } from 'node:perf_hooks'
import { decodeResponse, measureRequest, writeRequest, type FunctionRequest, type FunctionResponse, type HeaderCache } from './abi/index.js'
import type { FunctionConfig } from './artifact.js'
import { JaegisError, classify } from './errors.js'
import { instantiate, type InvocationContext, type LogLevel, type ModuleExports } from './instance.js'
import { MemoryImage, chunkMask } from './memory-image.js'
import { GLOBAL_EXPORT_PREFIX, RESET_GLOBALS_EXPORT } from './wasm/meter.js'

/** How an invocation found its instance. */
export type StartKind = 'warm' | 'hostwarm' | 'hostcold'

interface PooledInstance {
  exports: ModuleExports
  ctx: InvocationContext
  globals: WebAssembly.Global[]
  /** A view of the memory, replaced when the memory grows (which detaches it). */
  view: Uint8Array
  /** Chunks the host itself wrote (request buffer, env values) since the last reset. */
  hostDirty: number
  /** The chunk shift when this instance runs the dirty-tracking module; undefined: reset everything. */
  dirtyShift: number | undefined
}

export interface FunctionHostOptions {
  config: FunctionConfig
  digest: string
  module: WebAssembly.Module
  mutableGlobals: number[]
  /** The module exports RESET_GLOBALS_EXPORT (meterModule's resetFunction): globals reset with one call. */
  resetFunction: boolean
  /** Initial memory contents; the module imports its memory (meterModule's importMemory). */
  memoryImage: Uint8Array
  /**
   * The same module metered with dirty tracking (meterModule's dirtyChunks), made on demand. The host
   * starts with `module` and moves to this one, off the request path, after its first TRACKING_TRIAL
   * invocations if tracking pays there: short invocations (a reset is then a large part of the
   * work, while the marks cost up to a quarter of a store-heavy loop) whose memory does not grow (an
   * instance whose memory grew is dropped, never reset). Starting untracked keeps host-cold starts
   * as cheap as before: metering and compiling the marks costs a millisecond or more.
   */
  trackedModule?: () => { module: WebAssembly.Module; dirtyChunkShift: number } | undefined
  /** Memory ceiling in pages (the manifest's limit). */
  maxMemoryPages: number
  fuelPerCheck: number
  onLog(level: LogLevel, message: string): void
}

/** Counters for one function version. */
export interface FunctionStats {
  invocations: number
  errors: Record<string, number>
  starts: Record<StartKind, number>
  pool: { ready: number; dirty: number; minWarm: number; maxWarm: number }
}

export class FunctionHost {
  readonly config: FunctionConfig
  readonly digest: string
  private module: WebAssembly.Module
  private trackedModule: FunctionHostOptions['trackedModule']
  /** Invocations, time and grown memories seen while deciding whether dirty tracking pays. */
  private readonly trial = { invocations: 0, totalMs: 0, grown: 0 }
  private readonly globalNames: string[]
  private readonly resetFunction: boolean
  private readonly fuelPerCheck: number
  private readonly onLog: FunctionHostOptions['onLog']
  private readonly image: MemoryImage
  private dirtyShift: number | undefined
  private readonly maxMemoryPages: number
  private snapshotGlobals!: Array<number | bigint>
  /** Memories of dropped instances, same size as the snapshot, already faulted in: reused by new instances. */
  private spareMemories: WebAssembly.Memory[] = []
  private ready: PooledInstance[] = []
  private dirty: PooledInstance[] = []
  /** The last response's header block, decoded: most functions answer with the same headers every time. */
  private readonly headerCache: HeaderCache = { bytes: new Uint8Array(0), headers: [] }
  private resetScheduled = false
  private refillScheduled = false
  private closed = false
  minWarm: number
  maxWarm: number
  readonly stats: FunctionStats

  constructor(options: FunctionHostOptions) {
    this.config = options.config
    this.digest = options.digest
    this.module = options.module
    this.globalNames = options.mutableGlobals.map((g) => GLOBAL_EXPORT_PREFIX + g)
    this.resetFunction = options.resetFunction
    this.fuelPerCheck = options.fuelPerCheck
    this.onLog = options.onLog
    this.image = new MemoryImage(options.memoryImage)
    this.trackedModule = options.resetFunction && !options.config.reuse ? options.trackedModule : undefined
    this.maxMemoryPages = options.maxMemoryPages
    this.minWarm = options.config.pool.minWarm
    this.maxWarm = options.config.pool.maxWarm
    this.stats = { invocations: 0, errors: {}, starts: { warm: 0, hostwarm: 0, hostcold: 0 }, pool: { ready: 0, dirty: 0, minWarm: this.minWarm, maxWarm: this.maxWarm } }
    // The first instance's globals are the snapshot's (its memory is the image).
    const first = this.create()
    this.snapshotGlobals = first.globals.map((g) => g.value as number | bigint)
    this.ready.push(first)
    this.fill()
  }

  private create(): PooledInstance {
    const ctx: InvocationContext = {
      deadline: performance.now() + this.config.limits.timeoutMs,
      timeoutMs: this.config.limits.timeoutMs,
      memoryLimitBytes: this.config.limits.memoryBytes,
      fuelPerCheck: this.fuelPerCheck,
      env: this.config.env,
      log: this.onLog,
    }
    const recycled = this.spareMemories.pop()
    const memory = recycled ?? new WebAssembly.Memory({ initial: this.image.byteLength / 65536, maximum: this.maxMemoryPages })
    const view = new Uint8Array(memory.buffer)
    // A new memory is zero already: copy only the image's non-zero runs (touching zeros would only fault pages in).
    this.image.restore(view, 0, view.length, recycled !== undefined)
    const inst = { ctx, view, hostDirty: 0, dirtyShift: this.dirtyShift } as PooledInstance
    if (this.dirtyShift !== undefined) {
      const shift = this.dirtyShift
      ctx.onHostWrite = (ptr, len) => {
        inst.hostDirty |= chunkMask(ptr, len, shift)
      }
    }
    try {
      inst.exports = instantiate(this.module, ctx, memory)
    } catch (err) {
      this.recycle(memory)
      throw classify(err, 'instantiating the module')
    }
    inst.globals = this.globalNames.map((n) => inst.exports[n] as WebAssembly.Global)
    return inst
  }

  /** Keeps a dropped instance's memory for the next new instance, when it has the snapshot's size. */
  private recycle(memory: WebAssembly.Memory): void {
    if (!this.closed && memory.buffer.byteLength === this.image.byteLength && this.spareMemories.length < Math.max(2, this.maxWarm)) this.spareMemories.push(memory)
  }

  /** Resets an instance to the snapshot. False when it cannot be (its memory grew): drop it. */
  private reset(inst: PooledInstance): boolean {
    const mem = inst.view
    const size = this.image.byteLength
    if (mem.byteLength !== size) return false // the memory grew (the view was detached): drop the instance
    if (inst.dirtyShift !== undefined) {
      // The reset function resets the globals and hands over the chunks the module wrote.
      const mask = (inst.exports[RESET_GLOBALS_EXPORT] as () => number)() | inst.hostDirty
      inst.hostDirty = 0
      this.image.restoreChunks(mem, mask, inst.dirtyShift)
      return true
    }
    this.image.restore(mem, 0, size)
    if (this.resetFunction) (inst.exports[RESET_GLOBALS_EXPORT] as () => void)()
    else for (let i = 0; i < inst.globals.length; i++) inst.globals[i]!.value = this.snapshotGlobals[i]
    return true
  }

  /** Tops the pool up to minWarm off the request path. */
  private scheduleFill(): void {
    if (this.refillScheduled || this.closed) return
    this.refillScheduled = true
    setImmediate(() => {
      this.refillScheduled = false
      if (!this.closed) this.fill()
    })
  }

  private fill(): void {
    while (this.ready.length + this.dirty.length < this.minWarm) this.ready.push(this.create())
    while (this.ready.length > this.maxWarm) this.recycle(this.ready.pop()!.exports.memory)
    this.updatePoolStats()
  }

  private scheduleReset(): void {
    if (this.resetScheduled || this.closed) return
    this.resetScheduled = true
    setImmediate(() => {
      this.resetScheduled = false
      for (const inst of this.dirty.splice(0)) {
        if (this.reset(inst) && this.ready.length < this.maxWarm) this.ready.push(inst)
        else this.recycle(inst.exports.memory)
      }
      this.updatePoolStats()
      if (this.ready.length < this.minWarm) this.scheduleFill()
    })
  }

  private updatePoolStats(): void {
    this.stats.pool.ready = this.ready.length
    this.stats.pool.dirty = this.dirty.length
    this.stats.pool.minWarm = this.minWarm
    this.stats.pool.maxWarm = this.maxWarm
  }

  private acquire(): { inst: PooledInstance; kind: StartKind } {
    const warm = this.ready.pop()
    if (warm) return { inst: warm, kind: 'warm' }
    for (let d = this.dirty.pop(); d; d = this.dirty.pop()) if (this.reset(d)) return { inst: d, kind: 'warm' }
    return { inst: this.create(), kind: 'hostwarm' }
  }

  /** Sets pool bounds (the scheduler's call). Instances are created or dropped off the request path. */
  setPool(minWarm: number, maxWarm: number): void {
    this.minWarm = minWarm
    this.maxWarm = Math.max(maxWarm, minWarm)
    while (this.ready.length > this.maxWarm) this.recycle(this.ready.pop()!.exports.memory)
    while (this.ready.length + this.dirty.length > this.maxWarm) this.recycle(this.dirty.pop()!.exports.memory)
    this.updatePoolStats()
    this.scheduleFill()
  }

  /** Runs one invocation to completion on this thread. Throws a JaegisError on any failure. */
  invoke(req: FunctionRequest, startKind?: StartKind): { response: FunctionResponse; start: StartKind } {
    if (this.closed) throw new JaegisError('CLOSED', `function ${this.config.name} was unloaded`)
    this.stats.invocations++
    const { inst, kind } = this.acquire()
    const start = startKind ?? kind
    this.stats.starts[start]++
    const encoded = measureRequest(req)
    const { exports, ctx } = inst
    const t0 = performance.now()
    ctx.deadline = t0 + this.config.limits.timeoutMs
    let response: FunctionResponse
    try {
      const ptr = exports.__jaegis_alloc(encoded.size)
      let view = inst.view.byteLength === 0 ? (inst.view = new Uint8Array(exports.memory.buffer)) : inst.view
      writeRequest(view, ptr, encoded)
      if (inst.dirtyShift !== undefined) inst.hostDirty |= chunkMask(ptr, encoded.size, inst.dirtyShift)
      const out = exports.__jaegis_handle(ptr, encoded.size)
      if (view.byteLength === 0) view = inst.view = new Uint8Array(exports.memory.buffer)
      response = decodeResponse(view, out, this.headerCache)
      if (this.config.reuse) exports.__jaegis_free?.(out)
    } catch (err) {
      // The instance's state is unknown after a trap or a stop: never reuse it.
      const e = classify(err, 'running the handler')
      this.recycle(inst.exports.memory)
      this.stats.errors[e.code] = (this.stats.errors[e.code] ?? 0) + 1
      this.scheduleFill()
      this.updatePoolStats()
      throw e
    }
    if (this.trackedModule) this.judgeTracking(t0, inst)
    this.release(inst)
    return { response, start }
  }

  /** During the first invocations: decides whether to move to the dirty-tracking module. */
  private judgeTracking(t0: number, inst: PooledInstance): void {
    const t = this.trial
    t.invocations++
    t.totalMs += performance.now() - t0
    if (inst.view.byteLength !== this.image.byteLength) t.grown++
    if (t.invocations < TRACKING_TRIAL) return
    const tracked = this.trackedModule!
    this.trackedModule = undefined
    if (t.totalMs / t.invocations >= TRACKING_MAX_MEAN_MS || t.grown * 2 >= t.invocations) return
    setImmediate(() => {
      if (this.closed) return
      const next = tracked()
      if (!next) return
      this.module = next.module
      this.dirtyShift = next.dirtyChunkShift
      // Instances of the untracked module go; new ones (with their memories) replace them.
      for (const old of this.ready.splice(0)) this.recycle(old.exports.memory)
      for (const old of this.dirty.splice(0)) this.recycle(old.exports.memory)
      this.fill()
    })
  }

  private release(inst: PooledInstance): void {
    if (this.closed) return
    if (this.ready.length + this.dirty.length >= this.maxWarm) {
      this.recycle(inst.exports.memory) // the pool is full: let this instance go, keep its memory
      this.updatePoolStats()
      return
    }
    if (this.config.reuse) {
      this.ready.push(inst)
    } else {
      this.dirty.push(inst)
      this.scheduleReset()
    }
    this.updatePoolStats()
  }

  close(): void {
    this.closed = true
    this.ready = []
    this.dirty = []
    this.spareMemories = []
    this.updatePoolStats()
  }
}

/** Invocations observed before deciding whether dirty tracking pays for a function. */
const TRACKING_TRIAL = 32
/** Mean invocation time from which the marks (not the reset) dominate: stay with the untracked module. */
const TRACKING_MAX_MEAN_MS = 0.25
