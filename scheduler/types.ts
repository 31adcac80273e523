// Shared shapes of the autoscaling side of the scheduler: what a policy is told (invocations) and what it
// answers (a pool target with a human-readable explanation). Placement types live in placement/.

/** Which part of a policy set the current target. */
export type DecidedBy = 'fixed' | 'forecast' | 'histogram' | 'burst' | 'fallback'

/** Why a target is what it is: the deciding component, one sentence, and the numbers behind it. */
export interface Explanation {
  decidedBy: DecidedBy
  /** One sentence a person can read in `jaegis explain`. */
  summary: string
  /** The numbers the decision used, by name with units in the names (e.g. forecastPerMin, idleP99Ms). */
  numbers: Record<string, number | string | boolean>
}

/**
 * A policy's answer for one function at one decision time: how many instances to hold warm and how long
 * instances beyond that stay warm after their last invocation. Valid until the next decision.
 */
export interface PoolTarget {
  /** Instances to hold warm (busy or idle) from `prewarmAtMs` (or now) until the next decision. 0 = scale to zero. */
  warm: number
  /** When to load the `warm` instances, if later than now (epoch or trace ms). */
  prewarmAtMs?: number
  /** How long an instance beyond `warm` stays warm after its last invocation ends. 0 = unload at once. */
  keepAliveMs: number
  /** Keep-alive of the second and later idle instances (the most recently used one gets keepAliveMs). @default keepAliveMs */
  extraKeepAliveMs?: number
  explanation: Explanation
}

/** Per-function state of one policy. Calls arrive in time order; `decide(t)` may use only what came before t. */
export interface FunctionPolicy {
  /** One invocation that started at `startMs` and runs `durationMs` (start-time order, non-decreasing). */
  recordInvocation(startMs: number, durationMs: number): void
  /** The target from `nowMs` until the next decision. Must not depend on invocations at or after `nowMs`. */
  decide(nowMs: number): PoolTarget
}

/** A scaling policy: a factory of per-function state plus the knob a sweep turns. */
export interface ScalingPolicy {
  /** `fixed`, `histogram`, `predictive`, or a custom name. */
  readonly name: string
  /** The main knob (name and value), shown in reports and swept by `jaegis sim --plot`. */
  readonly knob: { name: string; value: number; unit: string }
  /** How often the owner should call `decide`, in ms. */
  readonly decisionIntervalMs: number
  /** Fresh state for one function. */
  forFunction(name: string): FunctionPolicy
}

export const MINUTE_MS = 60_000
