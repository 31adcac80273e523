// The object a server drives: feed it live per-function observations (single invocations or per-minute
// counts) and ask it, each interval, for every function's pool target and why. Policy-agnostic.
import { PredictivePolicy } from './policies/predictive.js'
import { MINUTE_MS, type FunctionPolicy, type PoolTarget, type ScalingPolicy } from './types.js'

export interface AutoscalerOptions {
  /** @default new PredictivePolicy() (forecast kernel + idle-time histogram + burst mode) */
  policy?: ScalingPolicy
}

/** The latest decision for one function, for `/metrics`, `jaegis list` and `jaegis explain`. */
export interface Decision {
  function: string
  decidedAtMs: number
  target: PoolTarget
}

interface Entry {
  policy: FunctionPolicy
  /** Observations not yet fed: [startMs, durationMs] pairs, possibly out of order. */
  pending: number[]
  lastFedStartMs: number
  last?: Decision
}

/**
 * Per-function autoscaling state. Observations may arrive out of start order (invocations are reported
 * when they end); they are fed to the policy in start order at the next decision. An observation that
 * starts before one already fed is counted at that earlier one's start.
 */
export class Autoscaler {
  readonly policy: ScalingPolicy
  private readonly entries = new Map<string, Entry>()

  constructor(options: AutoscalerOptions = {}) {
    this.policy = options.policy ?? new PredictivePolicy()
  }

  /** How often to call `decide`, in ms (the policy's interval). */
  get intervalMs(): number {
    return this.policy.decisionIntervalMs
  }

  private entry(fn: string): Entry {
    let e = this.entries.get(fn)
    if (!e) this.entries.set(fn, (e = { policy: this.policy.forFunction(fn), pending: [], lastFedStartMs: -Infinity }))
    return e
  }

  /** Starts tracking a function (e.g. on deploy) so that it gets targets before its first invocation. */
  track(fn: string): void {
    this.entry(fn)
  }

  /** Stops tracking a function (e.g. on delete). */
  forget(fn: string): boolean {
    return this.entries.delete(fn)
  }

  /** One invocation: when it started (ms, epoch or any monotonic origin) and how long it ran. */
  recordInvocation(fn: string, startMs: number, durationMs: number): void {
    if (!Number.isFinite(startMs) || !(durationMs >= 0)) throw new RangeError(`invocation of ${fn}: startMs must be finite and durationMs >= 0, got ${startMs}, ${durationMs}`)
    this.entry(fn).pending.push(startMs, durationMs)
  }

  /** A minute's count (per-minute metrics): spread evenly over the minute starting at minuteStartMs. */
  recordMinute(fn: string, minuteStartMs: number, invocations: number, durationMs = 1000): void {
    if (!Number.isInteger(invocations) || invocations < 0) throw new RangeError(`invocations must be an integer >= 0, got ${invocations}`)
    for (let i = 0; i < invocations; i++) this.recordInvocation(fn, minuteStartMs + ((i + 0.5) * MINUTE_MS) / invocations, durationMs)
  }

  private feed(e: Entry, nowMs: number): void {
    const pending = e.pending
    if (pending.length === 0) return
    // Invocations are recorded as they finish, so starts are almost always in order already: sort
    // (by start, through an index) only when they are not.
    let sorted = true
    for (let i = 2; i < pending.length && sorted; i += 2) sorted = pending[i - 2]! <= pending[i]!
    let idx: number[] | undefined
    if (!sorted) {
      idx = []
      for (let i = 0; i < pending.length; i += 2) idx.push(i)
      idx.sort((a, b) => pending[a]! - pending[b]!)
    }
    const keep: number[] = []
    for (let k = 0; k < pending.length; k += 2) {
      const i = idx ? idx[k >> 1]! : k
      const start = pending[i]!
      const dur = pending[i + 1]!
      if (start >= nowMs) {
        keep.push(start, dur)
        continue
      }
      const s = Math.max(start, e.lastFedStartMs)
      e.policy.recordInvocation(s, dur)
      e.lastFedStartMs = s
    }
    e.pending = keep
  }

  /** The target of one function at `nowMs` (tracks it if new). */
  decide(fn: string, nowMs: number): PoolTarget {
    const e = this.entry(fn)
    this.feed(e, nowMs)
    const target = e.policy.decide(nowMs)
    e.last = { function: fn, decidedAtMs: nowMs, target }
    return target
  }

  /** Targets of every tracked function at `nowMs`. */
  decideAll(nowMs: number): Map<string, PoolTarget> {
    const out = new Map<string, PoolTarget>()
    for (const fn of this.entries.keys()) out.set(fn, this.decide(fn, nowMs))
    return out
  }

  /** The latest decision for a function, or undefined if none was made yet. */
  explain(fn: string): Decision | undefined {
    return this.entries.get(fn)?.last
  }

  /** Names of tracked functions. */
  functions(): string[] {
    return [...this.entries.keys()]
  }
}
