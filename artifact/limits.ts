// Every numeric limit a function can set: its range and default, written once. The manifest parser
// (compiler/manifest.ts) and the artifact check (runtime/artifact.ts) both read this table, so a value
// one of them accepts the other accepts too.

/** An inclusive integer range with the value used when a field is left out. */
export interface IntRange {
  readonly min: number
  readonly max: number
  readonly default: number
}

const MIB = 1024 * 1024

/** WebAssembly page size; memory limits are whole pages. */
export const WASM_PAGE_BYTES = 65_536

/**
 * Limits by their manifest meaning. memoryMib is in MiB in the manifest and in bytes
 * (`limits.memoryBytes`, a whole number of pages) in an artifact.
 */
export const LIMITS = {
  /** Linear memory ceiling, MiB. */
  memoryMib: { min: 1, max: 4096, default: 32 },
  /** Deadline of one invocation, ms (15 minutes at most). */
  timeoutMs: { min: 1, max: 900_000, default: 5_000 },
  /** Largest request body, bytes. */
  bodyBytes: { min: 0, max: 256 * MIB, default: 6 * MIB },
  /** Invocations of this function running at once; 0 = no limit. */
  maxConcurrency: { min: 0, max: 10_000, default: 0 },
  /** Invocations queued beyond maxConcurrency before callers are refused. */
  maxQueue: { min: 0, max: 100_000, default: 1_000 },
} as const satisfies Record<string, IntRange>

/** Warm-pool bounds; maxWarm's default is raised to minWarm when minWarm is above it. */
export const POOL_LIMITS = {
  minWarm: { min: 0, max: 1_000, default: 1 },
  maxWarm: { min: 1, max: 1_000, default: 16 },
} as const satisfies Record<string, IntRange>

/** Artifact memory range in bytes, derived from LIMITS.memoryMib. */
export const MEMORY_BYTES = { min: LIMITS.memoryMib.min * MIB, max: LIMITS.memoryMib.max * MIB } as const

/** Whether v is an integer inside r. */
export function inRange(v: unknown, r: { readonly min: number; readonly max: number }): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= r.min && v <= r.max
}

/** The problem with a pool's bounds taken together, or undefined. */
export function poolProblem(minWarm: number, maxWarm: number): string | undefined {
  return minWarm > maxWarm ? `minWarm (${minWarm}) is above maxWarm (${maxWarm})` : undefined
}

/**
 * What happens when a component or WASI program asks memory.grow for more than its limit:
 * "fail" stops the request with MEMORY_LIMIT (500); "refuse-grow" answers the grow with -1, as the
 * WebAssembly spec allows, so malloc returns NULL and the program decides (a warning is logged).
 */
export const MEMORY_LIMIT_ACTIONS = ['fail', 'refuse-grow'] as const
export type MemoryLimitAction = (typeof MEMORY_LIMIT_ACTIONS)[number]

/**
 * Bounds of a command's `args` (argv after the program name): at most `count` strings of at most
 * `bytes` UTF-8 bytes in total, none holding a NUL (they become C strings).
 */
export const ARGS_LIMITS = { count: 256, bytes: 64 * 1024 } as const

/** Where a command's response_file may be: a file in its per-request scratch folder. */
export const RESPONSE_FILE_RULE = 'a file in the scratch folder, like "/tmp/out.wav"'

/** The problem with `file` as a command's response file, or undefined. */
export function responseFileProblem(file: unknown): string | undefined {
  if (typeof file !== 'string' || !/^\/tmp\/[^\0]+$/.test(file) || file.split('/').some((s, i) => i > 0 && (s === '' || s === '.' || s === '..'))) return `must be ${RESPONSE_FILE_RULE}`
  return undefined
}

/** The problem with `args` as a command's argument list, or undefined. */
export function argsProblem(args: unknown): string | undefined {
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) return 'must be a list of strings like ["-o", "/tmp/out.wav"]'
  if (args.length > ARGS_LIMITS.count) return `has ${args.length} arguments, more than the limit of ${ARGS_LIMITS.count}`
  const enc = new TextEncoder()
  const bytes = args.reduce((n: number, a: string) => n + enc.encode(a).length + 1, 0)
  if (bytes > ARGS_LIMITS.bytes) return `is ${bytes} bytes long, more than the limit of ${ARGS_LIMITS.bytes}`
  if (args.some((a: string) => a.includes('\0'))) return 'must not contain NUL characters'
  return undefined
}
