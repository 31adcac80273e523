// One instantiated module and the host imports it sees. The context object is how the host tells
// an instance about the invocation in progress (deadline, limits, where logs go).
import { performance } from 'node:perf_hooks'
import { randomInt } from 'node:crypto'
import { readAscString } from './abi/index.js'
import { MemoryLimitError, SliceExpiredError, TimeoutError, TrapError, formatMiB } from './errors.js'
import type { FunctionConfig } from '@jaegis/artifact'
import { MEMORY_IMPORT, METER_IMPORT, SIGNAL_FUEL, SIGNAL_GROW } from './wasm/meter.js'

/** Severity of a log line, as the SDK numbers them. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/**
 * When the invocation an instance runs must stop: read by the instance's meter on every fuel check,
 * set by the pool before every invocation, whatever the kind of function.
 */
export interface Deadline {
  /** performance.now() value past which the invocation is stopped with TIMEOUT. */
  deadline: number
  timeoutMs: number
  /**
   * performance.now() value past which an invocation on the calling thread is stopped with
   * SliceExpiredError so that it can run again in a lane (the time slice). @default undefined: no slice
   */
  sliceDeadline?: number
  /**
   * Fuel checks (10,000 ticks of the module's own work each) seen since the invocation began: how
   * much work it did, whatever the wall time. The slice ends only past its deadline AND after
   * SLICE_MIN_CHECKS of them: a short function whose thread was merely descheduled by the OS (wall
   * time passed, no work done) is not taken for a long one. Lanes report it too (lanes/policy.ts).
   */
  fuelChecks?: number
  /**
   * Fuel checks the invocation must have reached before its slice can end (the lane policy's measure of a
   * slice's worth of this function's work: InlinePolicy.sliceChecks). @default SLICE_MIN_CHECKS
   */
  sliceChecks?: number
  /** Ticks until the next fuel check after each check (the host's refuel). @default the module's fuelPerCheck */
  refuel?: number
  /**
   * performance.now() value past which a run is told once, at its next fuel check, through `demote`
   * (a lane then lowers its thread's priority; `refuel` is dropped then). @default undefined: never told
   */
  demoteAt?: number
  demote?: () => void
}

/** Fuel checks an inline invocation must reach before its time slice can end, at least. */
export const SLICE_MIN_CHECKS = 2

/**
 * An inline invocation that asks to grow its memory by this many 64 KiB pages or more (16 MiB) is
 * stopped before the grow, whatever its slice: the grow and the first touch of what it adds run
 * outside any fuel check (the engine's grow, the guest's bulk memory.fill), and cost more than a
 * slice. Measured on Node 20 here: growing by 256 MiB took 2.8 ms by itself and touching it 164 ms;
 * 16 MiB, 0.01 ms and 29 ms (load ~5). In bench:isolation a 24-qubit circuit's first grow (256 MiB)
 * held the gateway thread 17-26 ms in an attempt whose slice was 2 ms.
 */
export const SLICE_STOP_GROW_PAGES = 256

/** A deadline `timeoutMs` from now, without a slice: what an instance is created with (its instantiation runs metered code). */
export function deadlineIn(timeoutMs: number): Deadline {
  return { deadline: performance.now() + timeoutMs, timeoutMs, sliceDeadline: undefined }
}

/** What the host knows about the invocation an instance is running. */
export interface InvocationContext extends Deadline {
  memoryLimitBytes: number
  fuelPerCheck: number
  env: Record<string, string>
  log(level: LogLevel, message: string): void
  /** Seed for the module's Math.random. @default a fresh random number per call */
  seed?: () => number
  /** Told about every write the host makes into the module's memory (so a reset can restore it). */
  onHostWrite?: (ptr: number, len: number) => void
}

export interface ModuleExports {
  memory: WebAssembly.Memory
  __jaegis_alloc(len: number): number
  __jaegis_handle(ptr: number, len: number): number
  __jaegis_free?(ptr: number): void
  [name: string]: unknown
}

const utf8 = new TextDecoder()
const utf8Encoder = new TextEncoder()

/** Tells a run, once, that it is past Deadline.demoteAt; the finer checks that looked for the moment end. */
function demoteNow(limits: Deadline): void {
  limits.demoteAt = undefined
  limits.refuel = undefined
  limits.demote?.()
}

/**
 * The `jaegis:meter.signal` import of a metered module: on a fuel signal it compares the clock with
 * `limits.deadline` (read on every call: hosts move it per invocation) and refuels or throws
 * TimeoutError (or SliceExpiredError past `limits.sliceDeadline`); before a grow it stops an inline
 * invocation asking for SLICE_STOP_GROW_PAGES or more (SliceExpiredError); on a refused grow it throws
 * MemoryLimitError with the size the module asked for.
 */
export function meterSignal(limits: Deadline, fuelPerCheck: number, memoryLimitBytes: number, memoryBytes: () => number, onRefusedGrow?: (wantedBytes: number) => void): (kind: number, arg: number) => number {
  return (kind, arg) => {
    if (kind === SIGNAL_FUEL) {
      const now = performance.now()
      if (now > limits.deadline) throw new TimeoutError(limits.timeoutMs)
      const checks = (limits.fuelChecks = (limits.fuelChecks ?? 0) + 1)
      if (limits.sliceDeadline !== undefined && checks >= (limits.sliceChecks ?? SLICE_MIN_CHECKS) && now > limits.sliceDeadline) throw new SliceExpiredError()
      // Lowering a priority needs no proof of work (a run descheduled past demoteAt runs the rest low,
      // as every lane run once did).
      if (limits.demoteAt !== undefined && now > limits.demoteAt) demoteNow(limits)
      return limits.refuel ?? fuelPerCheck
    }
    if (kind === SIGNAL_GROW) {
      if (arg >= SLICE_STOP_GROW_PAGES) {
        if (limits.sliceDeadline !== undefined) throw new SliceExpiredError()
        // In a lane, such a grow and the bulk writes that follow it are a slice's work and more, done
        // outside any fuel check: yield now (a 24-qubit circuit's 256 MiB, faulted in by memory.fill).
        if (limits.demoteAt !== undefined) demoteNow(limits)
      }
      return 0
    }
    // A refused memory.grow. The metered grow wrapper drops this call's result and hands the guest
    // the -1 the engine gave: returning instead of throwing is the spec's behaviour (onRefusedGrow).
    if (onRefusedGrow) {
      onRefusedGrow(memoryBytes() + arg * 65536)
      return 0
    }
    throw new MemoryLimitError(memoryLimitBytes, memoryBytes() + arg * 65536)
  }
}

/** For limits.onMemoryLimit = "refuse-grow": logs each refused grow (the guest gets -1); undefined for "fail". */
export function refusedGrowLogger(config: FunctionConfig, log: (level: LogLevel, message: string) => void): ((wantedBytes: number) => void) | undefined {
  if (config.limits.onMemoryLimit !== 'refuse-grow') return undefined
  return (wanted) => log('warn', `memory.grow refused: asked for ${formatMiB(wanted)}, over the memory limit of ${formatMiB(config.limits.memoryBytes)} (on_memory_limit = "refuse-grow": the program got -1)`)
}

/**
 * Instantiates `module` with host imports bound to `ctx`; `memory` is supplied to modules metered
 * with importMemory. Throws what the module's start function throws.
 */
export function instantiate(module: WebAssembly.Module, ctx: InvocationContext, memory?: WebAssembly.Memory): ModuleExports {
  let exports: ModuleExports | undefined
  const mem = () => new Uint8Array(exports!.memory.buffer)
  const imports: WebAssembly.Imports = {
    jaegis: {
      log(level: number, ptr: number, len: number) {
        const m = mem()
        if (ptr + len > m.length) throw new TrapError('log: message outside memory')
        ctx.log(LOG_LEVELS[level] ?? 'info', utf8.decode(m.subarray(ptr, ptr + len)))
      },
      env(namePtr: number, nameLen: number, outPtr: number, outCap: number): number {
        const m = mem()
        const value = ctx.env[utf8.decode(m.subarray(namePtr, namePtr + nameLen))]
        if (value === undefined) return -1
        const bytes = utf8Encoder.encode(value)
        if (bytes.length <= outCap) {
          m.set(bytes, outPtr)
          ctx.onHostWrite?.(outPtr, bytes.length)
        }
        return bytes.length
      },
    },
    env: {
      abort(msgPtr: number, filePtr: number, line: number, column: number) {
        const m = mem()
        const msg = readAscString(m, msgPtr) || 'abort'
        const file = readAscString(m, filePtr)
        throw new TrapError(file ? `${msg} (${file}:${line}:${column})` : msg)
      },
      seed: () => (ctx.seed ? ctx.seed() : randomInt(2 ** 47)),
      trace(msgPtr: number, n: number, ...args: number[]) {
        ctx.log('debug', `${readAscString(mem(), msgPtr)} ${args.slice(0, n).join(', ')}`.trim())
      },
    },
    [METER_IMPORT.module]: {
      ...(memory ? { [MEMORY_IMPORT]: memory } : {}),
      [METER_IMPORT.name]: meterSignal(ctx, ctx.fuelPerCheck, ctx.memoryLimitBytes, () => exports!.memory.buffer.byteLength),
    },
  }
  const instance = new WebAssembly.Instance(module, imports)
  exports = instance.exports as unknown as ModuleExports
  return exports
}
