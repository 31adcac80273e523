// A lane thread's priority over its life (Linux niceness; lane-worker.ts applies it to its thread).
import { LANE_POLICY, finerRefuel } from './policy.js'

/**
 * A lane thread boots at niceness `low` (started by the spawner thread, which runs low: spawner-worker.ts)
 * and then waits at the process's own priority `base`, so that it wakes for a request as soon as the
 * gateway thread would. A run of a function known to run long is at `low` from its start, and so is a
 * run that finds more lanes busy than cores (lanes.ts); any other run gets its first LANE_POLICY.shortMs
 * at `base` (what a short run takes, checked every finerRefuel(fuelPerCheck) ticks, or
 * until it asks for a large grow: instance.ts, Deadline.demoteAt) and then drops to `low`: a short run in
 * a lane costs the gateway thread what it would have inline and no more, and a long one soon yields the
 * CPU to the gateway thread, the admin API and health checks (a multi-level feedback queue, as an OS
 * scheduler would do it). After a run the lane stays where the run left it until the next run.
 *
 * Measured with bench:concurrency (50,000 requests at once to 4 workers, load 8-13): every run at
 * `low`, 2-7 504s from hello (its first requests go to lanes until it proves short, and starved behind
 * the busy gateway threads); lanes waiting at `low` between runs, 4; waiting at `base`, 0 in two runs.
 * bench:isolation on a quiet machine traced the rest: lane boots at `base` held a 2 ms inline attempt
 * on the gateway thread 11-17 ms. Raising a thread's priority needs privilege (CAP_SYS_NICE or
 * RLIMIT_NICE): where `set` fails, the lane stays at `low`, as every lane did before.
 */
export class LanePriority {
  private lowered: boolean

  constructor(private readonly base: number, private readonly low: number, private readonly set: (nice: number) => void, fuelPerCheck = 10_000) {
    this.lowered = this.apply(low)
    this.demote = { afterMs: LANE_POLICY.shortMs, refuel: finerRefuel(fuelPerCheck), fn: () => void (this.lowered ||= this.apply(this.low)) }
  }

  /**
   * What the pool passes as InvokeOptions.demote for a run that starts at `base`: lowered at its first
   * fuel check past LANE_POLICY.shortMs, checked every finerRefuel(fuelPerCheck) ticks
   * until then (a short run's whole length; a lane's work beyond it is a long function's).
   */
  readonly demote: { afterMs: number; refuel: number; fn: () => void }

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
