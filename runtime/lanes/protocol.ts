// Messages between the runtime on the gateway thread and its lanes (worker threads). Plain data:
// everything here crosses postMessage by structured clone (compiled modules are shared, not copied).
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { Artifact } from '../artifact.js'
import type { FunctionStats, StartKind } from '../pool/instance-pool.js'
import type { ErrorCode } from '../errors.js'
import type { InvokeEvent, LogEntry } from '../runtime.js'

/** A function version a lane must hold before it runs the invocation it comes with. */
export interface LaneLoad {
  artifact: Artifact
  /** Compiled modules from the gateway thread's cache, by cache key: the lane compiles nothing. */
  modules: Array<[key: string, module: WebAssembly.Module, sizeBytes: number]>
  pool: { minWarm: number; maxWarm: number }
}

/** Gateway thread -> lane. Deadlines cross as performance.timeOrigin + performance.now() (each thread has its own origin). */
export type ToLane =
  | { t: 'invoke'; id: number; name: string; req: FunctionRequest; deadlineEpochMs: number; start?: StartKind; load?: LaneLoad; /** At LANE_POLICY.nice from the start: the function is known to run long, or more lanes than cores are busy (lanes.ts). */ low?: true }
  | { t: 'unload'; name: string }
  | { t: 'pool'; name: string; minWarm: number; maxWarm: number }

/** A failure, rebuilt as a JaegisError on the gateway thread. */
export interface LaneError {
  code: ErrorCode
  message: string
  expose: boolean
}

/** Lane -> gateway thread. */
export type FromLane =
  | { t: 'ready' }
  | { t: 'done'; id: number; response?: FunctionResponse; error?: LaneError; event?: InvokeEvent; /** The run's work in fuel checks (Deadline.fuelChecks). */ fuelChecks: number }
  | { t: 'log'; entry: LogEntry }
  | { t: 'stats'; functions: Record<string, FunctionStats & { digest: string }> }

/** Options a lane starts with (workerData). */
export interface LaneData {
  fuelPerCheck: number
  /** Niceness of the lane thread (Linux): lanes yield the CPU to the gateway thread. @default 0 */
  nice: number
}

/** A request as it crosses to a lane: header iterables become pair lists (a Map or generator cannot be cloned). */
export function cloneableRequest(req: FunctionRequest): FunctionRequest {
  const h = req.headers
  if (h === undefined || Array.isArray(h) || req.rawHeaders !== undefined) return req
  if (typeof (h as Iterable<unknown>)[Symbol.iterator] === 'function') return { ...req, headers: [...(h as Iterable<readonly [string, string]>)].map(([k, v]) => [k, v] as [string, string]) }
  return req
}
