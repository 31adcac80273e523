// What differs between kinds of functions (core modules, components, WASI command modules): how one
// instance is made, run, reset and let go. The InstancePool does everything else, the same for all.
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { Deadline } from '../instance.js'
import type { SpareMemories } from './spare-memories.js'

/** What the pool needs of every instance: the deadline its meter reads (the pool sets it per invocation). */
export interface PooledInstance {
  readonly deadline: Deadline
}

/**
 * What a used instance needs before it serves another request: `keep` (the function opted into
 * reuse), `reset` (put back to the snapshot, off the request path), or `discard` (a new instance
 * per request).
 */
export type AfterRun = 'keep' | 'reset' | 'discard'

/** The pool as a strategy may drive it. */
export interface PoolControl {
  readonly closed: boolean
  /** Drops every pooled instance and refills, off the request path: the strategy now makes other ones. */
  renew(): void
}

/** How instances of one kind are made, run, reset and let go. Methods may throw; the pool classifies. */
export interface InstanceStrategy<I extends PooledInstance> {
  readonly afterRun: AfterRun
  /** What create() instantiates, for error messages ("instantiating the module"). */
  readonly noun: string
  /** Creates one ready instance, with a memory from `spares` when one fits. */
  create(spares: SpareMemories): I
  /** Runs one request on `inst`, whose deadline the pool has set. */
  run(inst: I, req: FunctionRequest): FunctionResponse
  /** Puts `inst` back to the snapshot (afterRun `reset` only). False when it cannot be: the pool discards it. */
  reset(inst: I): boolean
  /** Called once for every instance the pool lets go: keep its memories in `spares`. */
  discard(inst: I, spares: SpareMemories): void
  /** Told about every successful run, started at `startedMs` (performance.now()). */
  succeeded?(inst: I, startedMs: number, pool: PoolControl): void
}
