// How the pool makes and runs instances of a core-ABI function: from its metered module and its
// snapshot (memory image and mutable globals), reset to the snapshot between requests (only the
// dirtied chunks once the dirty-tracking module pays), with recycled memories. The pool is InstancePool's.
import { performance } from 'node:perf_hooks'
import { decodeResponse, measureRequest, writeRequest, type FunctionRequest, type FunctionResponse, type HeaderCache } from './abi/index.js'
import type { FunctionConfig } from './artifact.js'
import { instantiate, type InvocationContext, type LogLevel, type ModuleExports } from './instance.js'
import { MemoryImage, chunkMask } from './memory-image.js'
import { InstancePool, type FunctionHost } from './pool/instance-pool.js'
import type { SpareMemories } from './pool/spare-memories.js'
import type { AfterRun, InstanceStrategy, PoolControl } from './pool/strategy.js'
import { GLOBAL_EXPORT_PREFIX, RESET_GLOBALS_EXPORT } from './wasm/meter.js'

interface CoreInstance {
  exports: ModuleExports
  /** Also the instance's deadline: the meter reads ctx.deadline. */
  deadline: InvocationContext
  globals: WebAssembly.Global[]
  /** A view of the memory, replaced when the memory grows (which detaches it). */
  view: Uint8Array
  /** Chunks the host itself wrote (request buffer, env values) since the last reset. */
  hostDirty: number
  /** The chunk shift when this instance runs the dirty-tracking module; undefined: reset everything. */
  dirtyShift: number | undefined
}

/** When dirty tracking pays for a function (see CoreStrategyOptions.trackedModule). */
export interface TrackingPolicy {
  /** Invocations observed before deciding. @default 32 */
  trialInvocations: number
  /** Mean invocation time from which the marks (not the reset) dominate: stay untracked. @default 0.25 */
  maxMeanMs: number
}

export const DEFAULT_TRACKING_POLICY: Readonly<TrackingPolicy> = { trialInvocations: 32, maxMeanMs: 0.25 }

export interface CoreStrategyOptions {
  config: FunctionConfig
  digest: string
  module: WebAssembly.Module
  mutableGlobals: number[]
  /** The module exports RESET_GLOBALS_EXPORT (meterModule's resetFunction): globals reset with one call. */
  resetFunction: boolean
  /** Initial memory contents; the module imports its memory (meterModule's importMemory). */
  memoryImage: Uint8Array
  /**
   * The same module metered with dirty tracking (meterModule's dirtyChunks), made on demand. The
   * function starts with `module` and moves to this one, off the request path, after its first
   * `tracking.trialInvocations` invocations if tracking pays there: short invocations (a reset is
   * then a large part of the work, while the marks cost up to a quarter of a store-heavy loop) whose
   * memory does not grow (an instance whose memory grew is dropped, never reset). Starting untracked
   * keeps host-cold starts as cheap as before: metering and compiling the marks costs a millisecond or more.
   */
  trackedModule?: () => { module: WebAssembly.Module; dirtyChunkShift: number } | undefined
  /** @default DEFAULT_TRACKING_POLICY */
  tracking?: TrackingPolicy
  /** Memory ceiling in pages (the manifest's limit). */
  maxMemoryPages: number
  fuelPerCheck: number
  onLog(level: LogLevel, message: string): void
}

/** A pool of core-ABI instances; its first instance is created (and checked) here. */
export function createCoreHost(options: CoreStrategyOptions): FunctionHost {
  return new InstancePool(new CoreStrategy(options), options.config, options.digest)
}

/** Spare memories of a core function are all the image's size: one key. */
const MEMORY_KEY = 'memory'

export class CoreStrategy implements InstanceStrategy<CoreInstance> {
  readonly afterRun: AfterRun
  readonly noun = 'module'
  private readonly config: FunctionConfig
  private module: WebAssembly.Module
  private trackedModule: CoreStrategyOptions['trackedModule']
  private readonly tracking: TrackingPolicy
  /** Invocations, time and grown memories seen while deciding whether dirty tracking pays. */
  private readonly trial = { invocations: 0, totalMs: 0, grown: 0 }
  private readonly globalNames: string[]
  private readonly resetFunction: boolean
  private readonly fuelPerCheck: number
  private readonly onLog: CoreStrategyOptions['onLog']
  private readonly image: MemoryImage
  private dirtyShift: number | undefined
  private readonly maxMemoryPages: number
  /** The first instance's globals: its memory is the image, so they are the snapshot's. */
  private snapshotGlobals: Array<number | bigint> | undefined
  /** The last response's header block, decoded: most functions answer with the same headers every time. */
  private readonly headerCache: HeaderCache = { bytes: new Uint8Array(0), headers: [] }

  constructor(options: CoreStrategyOptions) {
    this.config = options.config
    this.afterRun = options.config.reuse ? 'keep' : 'reset'
    this.module = options.module
    this.globalNames = options.mutableGlobals.map((g) => GLOBAL_EXPORT_PREFIX + g)
    this.resetFunction = options.resetFunction
    this.fuelPerCheck = options.fuelPerCheck
    this.onLog = options.onLog
    this.image = new MemoryImage(options.memoryImage)
    this.trackedModule = options.resetFunction && !options.config.reuse ? options.trackedModule : undefined
    this.tracking = options.tracking ?? DEFAULT_TRACKING_POLICY
    this.maxMemoryPages = options.maxMemoryPages
  }

  create(spares: SpareMemories): CoreInstance {
    const ctx: InvocationContext = {
      deadline: performance.now() + this.config.limits.timeoutMs,
      timeoutMs: this.config.limits.timeoutMs,
      sliceDeadline: undefined,
      memoryLimitBytes: this.config.limits.memoryBytes,
      fuelPerCheck: this.fuelPerCheck,
      env: this.config.env,
      log: this.onLog,
    }
    const recycled = spares.take(MEMORY_KEY)
    const memory = recycled ?? new WebAssembly.Memory({ initial: this.image.byteLength / 65536, maximum: this.maxMemoryPages })
    const view = new Uint8Array(memory.buffer)
    // A new memory is zero already: copy only the image's non-zero runs (touching zeros would only fault pages in).
    this.image.restore(view, 0, view.length, recycled !== undefined)
    const inst = { deadline: ctx, view, hostDirty: 0, dirtyShift: this.dirtyShift } as CoreInstance
    if (this.dirtyShift !== undefined) {
      const shift = this.dirtyShift
      ctx.onHostWrite = (ptr, len) => {
        inst.hostDirty |= chunkMask(ptr, len, shift)
      }
    }
    try {
      inst.exports = instantiate(this.module, ctx, memory)
    } catch (err) {
      spares.keep(MEMORY_KEY, memory, this.image.byteLength)
      throw err
    }
    inst.globals = this.globalNames.map((n) => inst.exports[n] as WebAssembly.Global)
    this.snapshotGlobals ??= inst.globals.map((g) => g.value as number | bigint)
    return inst
  }

  run(inst: CoreInstance, req: FunctionRequest): FunctionResponse {
    const encoded = measureRequest(req)
    const { exports } = inst
    const ptr = exports.__jaegis_alloc(encoded.size)
    let view = inst.view.byteLength === 0 ? (inst.view = new Uint8Array(exports.memory.buffer)) : inst.view
    writeRequest(view, ptr, encoded)
    if (inst.dirtyShift !== undefined) inst.hostDirty |= chunkMask(ptr, encoded.size, inst.dirtyShift)
    const out = exports.__jaegis_handle(ptr, encoded.size)
    if (view.byteLength === 0) view = inst.view = new Uint8Array(exports.memory.buffer)
    const response = decodeResponse(view, out, this.headerCache)
    if (this.config.reuse) exports.__jaegis_free?.(out)
    return response
  }

  /** Resets an instance to the snapshot. False when it cannot be (its memory grew): drop it. */
  reset(inst: CoreInstance): boolean {
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
    else for (let i = 0; i < inst.globals.length; i++) inst.globals[i]!.value = this.snapshotGlobals![i]
    return true
  }

  /** Keeps a dropped instance's memory for the next new instance, when it has the snapshot's size. */
  discard(inst: CoreInstance, spares: SpareMemories): void {
    spares.keep(MEMORY_KEY, inst.exports.memory, this.image.byteLength)
  }

  /** During the first invocations: decides whether to move to the dirty-tracking module. */
  succeeded(inst: CoreInstance, startedMs: number, pool: PoolControl): void {
    if (!this.trackedModule) return
    const t = this.trial
    t.invocations++
    t.totalMs += performance.now() - startedMs
    if (inst.view.byteLength !== this.image.byteLength) t.grown++
    if (t.invocations < this.tracking.trialInvocations) return
    const tracked = this.trackedModule
    this.trackedModule = undefined
    if (t.totalMs / t.invocations >= this.tracking.maxMeanMs || t.grown * 2 >= t.invocations) return
    setImmediate(() => {
      if (pool.closed) return
      const next = tracked()
      if (!next) return
      this.module = next.module
      this.dirtyShift = next.dirtyChunkShift
      // Instances of the untracked module go; new ones (with their memories) replace them.
      pool.renew()
    })
  }
}
