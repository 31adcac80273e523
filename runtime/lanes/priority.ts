// A lane thread's priority over its life (Linux niceness; lane-worker.ts applies it to its thread).
import { LANE_POLICY } from './policy.js'

/**
 * A lane thread boots at niceness `low` and then waits at the process's own priority `base`, so that
 * it wakes for a request as soon as the gateway thread would. A run of a function known to run long is
 * at `low` from its start; any other run gets its first slice at `base` (LANE_POLICY.sliceMs with a
 * slice's work, as an inline attempt would have, or until it asks for a large grow: instance.ts,
 * Deadline.demoteAt) and then drops to `low`: a short run in a lane costs the gateway thread what it
 * would have inline and no more, and a long one soon yields the CPU to the gateway thread, the admin
 * API and health checks (a multi-level feedback queue, as an OS scheduler would do it). After a run the
 * lane stays where the run left it (a long function's pool fills stay low) until the next run.
 *
 * Measured with bench:concurrency (50,000 requests at once to 4 workers, load 8-13): every run at
 * `low`, 2-7 504s from hello (its first requests go to lanes until it proves short, and starved behind
 * the busy gateway threads); waiting at `low` between runs, 4; as here, 0 in two runs. With lanes
 * booting at `base` too, bench:isolation's hello p99 under hogs went from 7-19 ms to 85-168 ms in
 * three runs of four (load 5-7). Raising a thread's priority needs privilege (CAP_SYS_NICE or
 * RLIMIT_NICE): where `set` fails, the lane stays at `low`, as every lane did before.
 */
export class LanePriority {
  private lowered: boolean

  constructor(private readonly base: number, private readonly low: number, private readonly set: (nice: number) => void) {
    this.lowered = this.apply(low)
  }

  /** What the pool passes as InvokeOptions.demote for a run that starts at `base`. */
  readonly demote = { afterMs: LANE_POLICY.sliceMs, fn: (): void => void (this.lowered ||= this.apply(this.low)) }

  /** Booted: wait for runs at `base`. */
  ready(): void {
    this.raise()
  }

  /** A run starts: at `low` for a function known to run long, at `base` (for a slice) for any other. */
  runStarts(knownLong: boolean): void {
    if (knownLong) this.demote.fn()
    else this.raise()
  }

  private raise(): void {
    if (this.lowered && this.apply(this.base)) this.lowered = false
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
