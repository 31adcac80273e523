// A lane thread's priority over its life (Linux niceness; lane-worker.ts applies it to its thread).
import { LANE_POLICY } from './policy.js'

/**
 * A lane thread runs at niceness `low` (its boot, its work between runs, and runs of functions known
 * to run long), except for the first slice of any other run (LANE_POLICY.sliceMs with a slice's work,
 * as an inline attempt would have, or until it asks for a large grow: instance.ts, Deadline.demoteAt),
 * which runs at the process's own priority `base`: a short run in a lane costs the gateway thread what
 * it would have inline and no more, and a long one soon yields the CPU to the gateway thread, the
 * admin API and health checks (a multi-level feedback queue, as an OS scheduler would do it).
 *
 * Measured: with every run at `low`, a function's first requests (new functions start in lanes)
 * starved behind busy gateway threads, and bench:concurrency's burst of 50,000 got 2-7 504s from
 * hello; with lanes at `base` outside runs too (boots, pool fills), bench:isolation's hello p99 under
 * hogs went from 7-19 ms to 85-168 ms. Raising a thread's priority needs privilege (CAP_SYS_NICE or
 * RLIMIT_NICE): where `set` fails, the lane stays at `low`, as every lane did before.
 */
export class LanePriority {
  private lowered: boolean

  constructor(private readonly base: number, private readonly low: number, private readonly set: (nice: number) => void) {
    this.lowered = this.apply(low)
  }

  /** What the pool passes as InvokeOptions.demote for a run that starts at `base`. */
  readonly demote = { afterMs: LANE_POLICY.sliceMs, fn: (): void => void (this.lowered ||= this.apply(this.low)) }

  /** A run starts: at `low` for a function known to run long, at `base` (for a slice) for any other. */
  runStarts(knownLong: boolean): void {
    if (knownLong) this.demote.fn()
    else if (this.lowered && this.apply(this.base)) this.lowered = false
  }

  /** A run ended: back to `low` for what the lane does until the next one. */
  runEnded(): void {
    this.demote.fn()
  }

  private apply(nice: number): boolean {
    try {
      this.set(nice)
      return true
    } catch {
      return false
    }
  }
}
