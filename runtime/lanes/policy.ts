// Where an invocation runs, in one place: the gateway thread for functions that are proven short
// and safe to re-run, a lane for the rest (new functions included, until they prove short). The numbers here are the policy; docs/runtime.md
// explains how they were measured.
import type { ArtifactMeta } from '../artifact.js'
import { SLICE_MIN_CHECKS } from '../instance.js'

/** Lane and slice policy constants. */
export const LANE_POLICY = {
  /**
   * Time slice of an invocation on the gateway thread (ms). Past it the invocation is stopped and
   * run again from the snapshot in a lane, and its function runs in lanes until it proves short.
   */
  sliceMs: 2,
  /** Short lane runs in a row after which a function runs inline. */
  shortProofRuns: 32,
  /**
   * A lane run is short when it took at most this long (ms, half the slice), or did less work than
   * a slice can stop (fewer than SLICE_MIN_CHECKS fuel checks) however long it took: lanes run at
   * niceness 19 and on a busy machine wait for a CPU, and with wall time alone hello never proved
   * short in `jaegis serve --workers 2` under bench:http's load (a share of its requests kept
   * taking the hop to a lane).
   */
  shortMs: 1,
  /**
   * After a deadline, how long (ms) the gateway thread waits for a lane's own TIMEOUT before
   * answering it itself. 0: the gateway thread answers at the deadline. Lanes run at niceness 19,
   * so under load the lane's own check usually comes later than the gateway's timer anyway; with
   * 3 ms here bench:isolation measured every lane-held 504 leaving 2-6 ms past its deadline.
   */
  deadlineGraceMs: 0,
  /** A lane that has not come back this long (ms) after answering a deadline is terminated and replaced. */
  stuckLaneMs: 2_000,
  /**
   * Niceness of a lane thread (Linux) once its run has outlived a slice (sliceMs, with a slice's
   * work; each run starts at the process's own priority: lane-worker.ts): the gateway thread, the
   * admin API and health checks win the CPU from long runs. Measured with bench:isolation (8 lanes busy): at 5 hello under hogs served 5,081 req/s, at
   * 19 12,319 (p99 unchanged within noise); deadlines are wall-clock, so a lane's low priority
   * delays no answer (the gateway thread answers TIMEOUT itself).
   */
  nice: 19,
  /**
   * Largest initial memory (bytes) of a fresh-state component whose full reset may run on the gateway thread.
   * A full restore costs ~0.12 ms of CPU per MB, outside any slice (after each request, or on the request
   * path when no instance is ready). 2 MiB: a Rust or C component (the Rust hello: 1.06 MB, its reset
   * ~0.013 ms). Larger ones (a JavaScript engine: 10.5 MB, 0.5-0.7 ms per full restore) run inline only
   * when their instances are kept (`reuse`): see inlineEligible.
   */
  inlineComponentMemoryBytes: 2 << 20,
  /**
   * A component that lost this many instances on the gateway thread (a failed reset: its memory grows at
   * every request, and a memory cannot shrink; or an inline attempt stopped at its slice) goes back to lanes
   * for this version: each lost instance is a new one made on the gateway thread (pool fill: ~4 ms for the
   * Rust hello, 3-30 ms plus its warm-up for a JavaScript engine). The count is leaky: every request that
   * leaves its instance ready for the next (a reset that worked, or a kept instance that answered) counts,
   * and `inlineRunsPerLostInstance` of them forgive one loss, so a loss now and then (the OS descheduling the gateway thread in
   * the middle of an attempt) is forgiven, and a loss every few dozen requests is not.
   */
  inlineLostInstances: 3,
  /**
   * Requests that left their instance ready, per lost instance forgiven (see inlineLostInstances): a loss
   * every this many requests or less often is worth it. Measured (in process, load 10): the JavaScript
   * scaffold does a slice of work or more (10-16 fuel checks: its engine's own garbage collection) in about
   * 1 request of 600, which past the slice is stopped and costs a new instance and its warm-up on the
   * gateway thread (10-35 ms), while inline saves the lane hop, ~0.5 ms of the server's CPU per request
   * (bench:components, server_cpu_us_per_request): break-even near one loss per 100 requests.
   */
  inlineRunsPerLostInstance: 200,
  /**
   * Deadline (ms) of the warm-up request a new instance of an inline-eligible component answers before it
   * serves (component-host.ts, `warmUp`; the gateway thread's pools only): its first request pays the
   * host's one-time costs (jco's glue closures are new per instance; measured 1.4-4.6 ms, once 27 ms, for
   * the JavaScript scaffold, where later requests take 0.2-0.5 ms), which inline would outlive the slice
   * and get the instance stopped and replaced again and again. Past this, the warm-up is stopped and the
   * instance replaced by an unwarmed one.
   */
  warmUpMs: 50,
  /**
   * Most fuel checks an inline invocation may need before its slice can end (InlinePolicy.sliceChecks),
   * whatever pace its lane runs showed. The work between two checks is not bounded by time (10,000 ticks
   * of a large loop body take far longer than of a small one), so a function could show a fast pace in
   * its short runs and do slow periods inline: past its slice it then runs at most this many periods
   * (SLICE_MIN_CHECKS alone: about one). 8: above the 6-15 a JavaScript hello learns at load 9-12 would
   * stop its requests with 8 or more checks past the slice, 1 in ~460 measured in process (its engine's
   * GC, a slice of work), within what inlineRunsPerLostInstance forgives.
   */
  maxSliceChecks: 8,
  /**
   * Most of the gateway thread's time that stopped attempts of functions not proven short may take (see
   * InlinePolicy.mayTry): after an attempt is stopped at its slice, unproven functions wait for a lane
   * until this share of the time since the attempt began was the attempt's (at 0.5, as long again). So a
   * burst of new long functions arriving while no lane is free costs the gateway thread one slice, not
   * one each: in bench:isolation's first round four new hogs and four requests for a new quantum
   * function arrived together, and the requests behind the attempts waited for two or three slices.
   * Attempts that answer (a new hello: microseconds) cost no wait: counting their time too sent most of a
   * 32-connection burst of a new hello to lanes, which grew to 16 to hold it.
   */
  unprovenShare: 0.5,
} as const

/**
 * An inline attempt of a function not proven short checks the clock every fuelPerCheck / this many
 * ticks (Deadline.refuel) instead of every fuelPerCheck, so its slice can end that much sooner; its
 * slice still needs SLICE_MIN_CHECKS of them. Measured in bench:isolation on a quiet machine: a new
 * 24-qubit circuit's first attempt (parsing 30 KB of OpenQASM, ~1 ms per 1,000 ticks on the gateway
 * thread) held the gateway thread 17-25 ms with a 2 ms slice, and the requests behind it waited as
 * long. A proven-short function keeps the full period (its ticks are known to be light).
 */
export const UNPROVEN_REFUEL_DIVISOR = 10

/** The finer refuel (ticks between fuel checks) for a module metered with `fuelPerCheck`. */
export function finerRefuel(fuelPerCheck: number): number {
  return Math.max(1, Math.floor(fuelPerCheck / UNPROVEN_REFUEL_DIVISOR))
}

/**
 * Whether a function may run on the gateway thread at all (it still has to prove short): a stopped
 * attempt must be re-runnable without anyone noticing, and cheap to recover from. Core modules with fresh
 * state per request; and wasi:http components that can do no I/O (no outbound hosts, no mapped folders): a
 * stopped attempt leaves nothing outside its instance, which is dropped (with `reuse`, the state it kept
 * goes with it, as after a trap: such a function already has one instance per lane and pool slot, never
 * one in all), and a blocking wait inline is stopped like a slice (component/wasi/io.ts). A component's
 * reset must be cheap on the gateway thread: small ones (initial memory at most
 * `inlineComponentMemoryBytes`) always are; larger ones (a JavaScript engine) when their instances are
 * kept (`reuse`): a full restore of 10.5 MB is 0.5-0.7 ms. Not once it keeps losing instances on the gateway thread (`inlineLostInstances`,
 * the pool's count). Never WASI command modules (stdin, files, scratch). The caller also needs an
 * instance it can take without instantiating one (component instances are made off the request path,
 * by the pool's fill, or in lanes: runtime.ts, dispatch).
 */
export function inlineEligible(meta: ArtifactMeta, lostInstances = 0): boolean {
  if (meta.kind === 'core') return !meta.config.reuse
  const c = meta.component
  if (meta.kind !== 'component' || !c || c.world !== 'http' || c.allowedOutboundHosts.length > 0 || c.files.length > 0) return false
  if (lostInstances >= LANE_POLICY.inlineLostInstances) return false
  if (c.initialMemoryBytes === undefined) return false
  return c.initialMemoryBytes <= LANE_POLICY.inlineComponentMemoryBytes || meta.config.reuse
}

/** Shortest lane run duration (ms) a pace is computed over (a clock's resolution and a message's jitter). */
const MIN_RUN_MS = 0.05

/**
 * Whether an eligible function may be tried inline before it proved short (when no lane is free): not a
 * large component, whose stopped attempt costs a new instance of an engine on the gateway thread (3-30 ms
 * plus its warm-up) and counts towards `inlineLostInstances`; measured at load 9-13, a JavaScript
 * component's first attempts while the lanes were still starting took 21-25 ms each and used up all three.
 */
export function inlineBeforeProof(meta: ArtifactMeta): boolean {
  const bytes = meta.component?.initialMemoryBytes
  return meta.kind === 'core' || (bytes !== undefined && bytes <= LANE_POLICY.inlineComponentMemoryBytes)
}

/**
 * Which functions run inline. A function is inline-eligible when a stopped attempt can be re-run
 * without anyone noticing (`inlineEligible`). An
 * eligible function not yet proven short runs in a lane when one is free, and inline within the
 * slice only when none is (lanes still starting, or all held: it must not wait behind them); it runs
 * inline for good once its lane runs prove it short (`shortProofRuns` short runs in a row). A
 * new function that turns out long then rarely costs the gateway thread a slice (eight long
 * functions arriving at once had held it ~20 ms). One that outlives a slice runs in lanes until it
 * proves short again.
 */
export class InlinePolicy {
  /** Functions proven short: name -> the digest they proved it with. */
  private readonly short = new Map<string, string>()
  /**
   * Per function and digest: short lane runs in a row (of functions not, or no longer, proven short), and
   * the fastest pace of fuel checks (per ms) a lane run within shortMs showed (what sliceChecks is learned
   * from; kept while the digest stays).
   */
  private readonly trial = new Map<string, { digest: string; shortRuns: number; marked: boolean; checksPerMs: number }>()
  /** Until when (performance.now()) unproven functions wait for a lane after a stopped attempt (LANE_POLICY.unprovenShare). */
  private coolUntil = -Infinity

  /**
   * Whether a function not proven short may be tried on this thread at `now` (performance.now()): not
   * while the last stopped attempt's share of this thread (LANE_POLICY.unprovenShare) lasts. The caller
   * reports an attempt stopped at its slice with `stopped`.
   */
  mayTry(now: number): boolean {
    return now >= this.coolUntil
  }

  /** An attempt allowed by mayTry was stopped at its slice: it held this thread from `start` to `end`. */
  stopped(start: number, end: number): void {
    this.coolUntil = end + ((end - start) * (1 - LANE_POLICY.unprovenShare)) / LANE_POLICY.unprovenShare
  }

  /** True when `name` at `digest` has proven short (runs on the calling thread). */
  inline(name: string, digest: string): boolean {
    return this.short.get(name) === digest
  }

  /** True when `name` at `digest` outlived a slice and has not proven short since. */
  long(name: string, digest: string): boolean {
    const t = this.trial.get(name)
    return t !== undefined && t.digest === digest && t.marked
  }

  /**
   * Fuel checks an invocation of `name` at `digest` must have done before its slice can end, and before a
   * lane run past the slice marks it long: a slice's worth of its own work, at least SLICE_MIN_CHECKS. The
   * pace is learned from lane runs within shortMs: (checks - 1) / ms, the first check of a run possibly
   * coming after a handful of ticks (the fuel counter carries over). Wall time is never less than the CPU
   * time, so the fastest pace seen is at most the true one, and `sliceMs` at that pace at most a slice of
   * work; at most `maxSliceChecks`. A JavaScript engine does 1-4 checks in a hello request (0.2-0.5 ms; ~10 checks a slice) and
   * 12-30 per ms when it loops: with SLICE_MIN_CHECKS alone, requests the OS descheduled past the slice
   * on a loaded machine were stopped (their instance replaced: measured at load 11, three in the first
   * 3,000 requests sent the scaffold to lanes for good) or, in a lane, marked the function long.
   */
  sliceChecks(name: string, digest: string): number {
    const t = this.trial.get(name)
    const learned = t !== undefined && t.digest === digest ? Math.ceil(LANE_POLICY.sliceMs * t.checksPerMs) : 0
    return Math.max(SLICE_MIN_CHECKS, Math.min(learned, LANE_POLICY.maxSliceChecks))
  }

  /**
   * The fuel checks of an inline attempt of `name` at `digest`: sliceChecks for a function proven short;
   * for any other, checks every finerRefuel(fuelPerCheck) ticks (UNPROVEN_REFUEL_DIVISOR: nothing says how
   * much work its ticks do), with a pace learned in lanes (sliceChecks above the minimum) kept in those units.
   */
  attemptChecks(name: string, digest: string, fuelPerCheck: number): { sliceChecks: number; refuel?: number } {
    const sliceChecks = this.sliceChecks(name, digest)
    if (this.inline(name, digest)) return { sliceChecks }
    return { sliceChecks: sliceChecks > SLICE_MIN_CHECKS ? sliceChecks * UNPROVEN_REFUEL_DIVISOR : sliceChecks, refuel: finerRefuel(fuelPerCheck) }
  }

  /**
   * `name` outlived a slice on the calling thread, or did as much in a lane (laneRan: without this a
   * function that had only run in lanes, an endless loop included, was still tried here within a
   * slice the next time no lane was free).
   */
  markLong(name: string, digest: string): void {
    this.short.delete(name)
    const t = this.trial.get(name)
    this.trial.set(name, { digest, shortRuns: 0, marked: true, checksPerMs: t !== undefined && t.digest === digest ? t.checksPerMs : 0 })
  }

  /**
   * A lane run of `name` took `durationMs` and did `fuelChecks` fuel checks of work. One that would
   * have outlived the slice inline (as much work, and as long) marks the function long; one too
   * small for a slice to stop counts towards proving it short.
   */
  laneRan(name: string, digest: string, durationMs: number, fuelChecks: number): void {
    let t = this.trial.get(name)
    if (t === undefined || t.digest !== digest) this.trial.set(name, (t = { digest, shortRuns: 0, marked: false, checksPerMs: 0 }))
    if (durationMs <= LANE_POLICY.shortMs && fuelChecks >= 2) t.checksPerMs = Math.max(t.checksPerMs, (fuelChecks - 1) / Math.max(durationMs, MIN_RUN_MS))
    const need = this.sliceChecks(name, digest)
    if (fuelChecks >= need && durationMs > LANE_POLICY.sliceMs) return this.markLong(name, digest)
    if (this.short.get(name) === digest) return
    if (fuelChecks >= need && durationMs > LANE_POLICY.shortMs) t.shortRuns = 0
    else if (++t.shortRuns >= LANE_POLICY.shortProofRuns) {
      t.shortRuns = 0
      t.marked = false
      this.short.set(name, digest)
    }
  }

  forget(name: string): void {
    this.short.delete(name)
    this.trial.delete(name)
  }
}
