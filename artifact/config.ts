import type { MemoryLimitAction } from './limits.js'

// The shape of a function's configuration as fixed at build time. The rules its fields obey live in
// limits.ts, names.ts and routes.ts; the compiler fills it from jaegis.toml, the runtime reads it.

/** A function's configuration as fixed at build time. */
export interface FunctionConfig {
  /** Matches FUNCTION_NAME_PATTERN. */
  name: string
  /** Extra public route the function claims besides /fn/<name> (a path prefix); never a reserved one. */
  route?: string
  limits: {
    /** Linear memory ceiling, a whole number of 64 KiB pages. */
    memoryBytes: number
    /** Deadline of one invocation. */
    timeoutMs: number
    /** Largest request body accepted. */
    bodyBytes: number
    /** Invocations running at once; 0 means no limit. @default 0 */
    maxConcurrency: number
    /** Invocations queued beyond maxConcurrency before callers are refused. @default 1000 */
    maxQueue: number
    /** Components and WASI programs: what a memory.grow past memoryBytes does (MEMORY_LIMIT_ACTIONS). @default "fail" (absent) */
    onMemoryLimit?: MemoryLimitAction
  }
  /** Environment variables the function may read; no others are visible. */
  env: Record<string, string>
  /** Warm-pool bounds; the scheduler picks targets within them. */
  pool: { minWarm: number; maxWarm: number }
  /** Keep state between invocations on one instance instead of resetting to the snapshot. */
  reuse: boolean
  /** When true, invoking needs the function key (x-jaegis-key header). */
  requireKey: boolean
  /**
   * Command modules (WASI `_start`, wasi:cli/run): argv after the program name (argv[0] is the
   * function's name). Within ARGS_LIMITS. @default [] (absent)
   */
  args?: string[]
  /**
   * Command modules: the response body is this file of the per-request /tmp, read when the program
   * exits 0 (stdout's CGI header block, if any, still gives status and headers). @default none: stdout is the body
   */
  responseFile?: string
}
