// The runtime's errors: the invocation failures on top of JaegisError (artifact/errors.ts, which owns
// the stable codes), and the mapping of anything thrown while running wasm to one of them.
import { JaegisError, isJaegisError } from '@jaegis/artifact/errors'
export { JaegisError, isJaegisError } from '@jaegis/artifact/errors'
export type { ErrorCode } from '@jaegis/artifact/errors'

/** The invocation ran past its deadline and was stopped. */
export class TimeoutError extends JaegisError {
  constructor(timeoutMs: number) {
    super('TIMEOUT', `function exceeded its timeout of ${timeoutMs} ms and was stopped`)
    this.name = 'TimeoutError'
  }
}

/**
 * An invocation on the calling thread outlived its time slice and was stopped there (runtime lanes:
 * the runtime re-runs it from the snapshot in a lane). Never reaches a caller.
 */
export class SliceExpiredError extends JaegisError {
  constructor() {
    super('SLICE_EXPIRED', 'invocation outlived its time slice on the calling thread', { expose: false })
    this.name = 'SliceExpiredError'
  }
}

/** The function asked for more linear memory than its limit allows. */
export class MemoryLimitError extends JaegisError {
  readonly limitBytes: number
  /** The size the refused memory.grow asked for. */
  readonly wantedBytes: number
  constructor(limitBytes: number, wantedBytes: number) {
    super('MEMORY_LIMIT', `function exceeded its memory limit of ${formatMiB(limitBytes)} (asked to grow to ${formatMiB(wantedBytes)})`)
    this.name = 'MemoryLimitError'
    this.limitBytes = limitBytes
    this.wantedBytes = wantedBytes
  }
}

/** The function trapped or aborted; the message is the trap's, which is safe to show. */
export class TrapError extends JaegisError {
  constructor(message: string, cause?: unknown) {
    super('TRAP', message, { cause })
    this.name = 'TrapError'
  }
}

export function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024)
  return `${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB`
}


/** Maps anything thrown while instantiating or running wasm (`doing` says which) to a JaegisError. */
export function classify(err: unknown, doing: string): JaegisError {
  if (isJaegisError(err)) return err
  if (err instanceof WebAssembly.RuntimeError) return new TrapError(`wasm trap: ${err.message}`, err)
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new TrapError('wasm trap: call stack exhausted', err)
  return new JaegisError('INTERNAL', `unexpected error while ${doing}: ${(err as Error)?.message ?? String(err)}`, { cause: err, expose: false })
}
