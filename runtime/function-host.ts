// One loaded version of a function: its metered module, its snapshot (memory image and mutable
// globals of a fresh instance), and a pool of ready instances. Runs invocations on the calling thread.
import { performance } from 'node:perf_hooks'
import { decodeResponse, measureRequest, writeRequest, type FunctionRequest, type FunctionResponse } from './abi/index.js'
import type { FunctionConfig } from './artifact.js'
import { JaegisError, TrapError, isJaegisError } from './errors.js'
import { instantiate, type InvocationContext, type LogLevel, type ModuleExports } from './instance.js'
import { GLOBAL_EXPORT_PREFIX, RESET_GLOBALS_EXPORT } from './wasm/meter.js'

/** How an invocation found its instance. */
export type StartKind = 'warm' | 'hostwarm' | 'hostcold'

interface PooledInstance {
  exports: ModuleExports
  ctx: InvocationContext
  globals: WebAssembly.Global[]
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
  private readonly module: WebAssembly.Module
  private readonly globalNames: string[]
  private readonly resetFunction: boolean
  private readonly fuelPerCheck: number
  private readonly onLog: FunctionHostOptions['onLog']
  private readonly snapshotMemory: Uint8Array
  /** The image up to its last non-zero byte (what a reset copies; the rest it zeroes). */
  private readonly imageHead: Uint8Array
  private readonly maxMemoryPages: number
  private snapshotGlobals!: Array<number | bigint>
  /** Memories of dropped instances, same size as the snapshot, already faulted in: reused by new instances. */
  private spareMemories: WebAssembly.Memory[] = []
  private ready: PooledInstance[] = []
  private dirty: PooledInstance[] = []
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
    this.snapshotMemory = options.memoryImage
    let end = options.memoryImage.length
    while (end > 0 && options.memoryImage[end - 1] === 0) end--
    this.imageHead = options.memoryImage.subarray(0, end)
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
    const memory = recycled ?? new WebAssembly.Memory({ initial: this.snapshotMemory.byteLength / 65536, maximum: this.maxMemoryPages })
    const view = new Uint8Array(memory.buffer)
    view.set(this.imageHead)
    if (recycled) view.fill(0, this.imageHead.length) // a new memory is zero already: touching it would only fault pages in
    let exports: ModuleExports
    try {
      exports = instantiate(this.module, ctx, memory)
    } catch (err) {
      this.recycle(memory)
      throw classify(err, 'instantiating the module')
    }
    return { exports, ctx, globals: this.globalNames.map((n) => exports[n] as WebAssembly.Global) }
  }

  /** Keeps a dropped instance's memory for the next new instance, when it has the snapshot's size. */
  private recycle(memory: WebAssembly.Memory): void {
    if (!this.closed && memory.buffer.byteLength === this.snapshotMemory.byteLength && this.spareMemories.length < Math.max(2, this.maxWarm)) this.spareMemories.push(memory)
  }

  /** Resets an instance to the snapshot. False when it cannot be (its memory grew): drop it. */
  private reset(inst: PooledInstance): boolean {
    const buf = inst.exports.memory.buffer
    if (buf.byteLength !== this.snapshotMemory.byteLength) return false
    // Copy the image's non-zero head and zero the rest: the tail costs no reads of the image.
    const mem = new Uint8Array(buf)
    mem.set(this.imageHead)
    mem.fill(0, this.imageHead.length)
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
    ctx.deadline = performance.now() + this.config.limits.timeoutMs
    let response: FunctionResponse
    try {
      const ptr = exports.__jaegis_alloc(encoded.size)
      writeRequest(new Uint8Array(exports.memory.buffer), ptr, encoded)
      const out = exports.__jaegis_handle(ptr, encoded.size)
      response = decodeResponse(new Uint8Array(exports.memory.buffer), out)
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
    this.release(inst)
    return { response, start }
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

/** Maps anything thrown while running wasm to a JaegisError. */
export function classify(err: unknown, doing: string): JaegisError {
  if (isJaegisError(err)) return err
  if (err instanceof WebAssembly.RuntimeError) return new TrapError(`wasm trap: ${err.message}`, err)
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new TrapError('wasm trap: call stack exhausted', err)
  return new JaegisError('INTERNAL', `unexpected error while ${doing}: ${(err as Error)?.message ?? String(err)}`, { cause: err, expose: false })
}
