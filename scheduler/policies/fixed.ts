// The fixed keep-alive baseline: every instance stays warm for N minutes after its last invocation and
// nothing is pre-warmed (AWS Lambda keeps about 10 minutes, Azure Functions 20).
import { MINUTE_MS, type FunctionPolicy, type PoolTarget, type ScalingPolicy } from '../types.js'

export interface FixedKeepAliveOptions {
  /** Minutes an instance stays warm after its last invocation. @default 10 */
  keepAliveMinutes?: number
  /** Decision interval (ms). @default 60000 */
  decisionIntervalMs?: number
}

/** Keep alive for a fixed time after each invocation; scale to zero otherwise. */
export class FixedKeepAlivePolicy implements ScalingPolicy {
  readonly name = 'fixed'
  readonly knob
  readonly decisionIntervalMs: number
  private readonly keepAliveMs: number

  constructor(options: FixedKeepAliveOptions = {}) {
    const minutes = options.keepAliveMinutes ?? 10
    if (!(minutes >= 0) || !Number.isFinite(minutes)) throw new RangeError(`keepAliveMinutes must be a finite number >= 0, got ${minutes}`)
    this.keepAliveMs = minutes * MINUTE_MS
    this.knob = { name: 'keepAliveMinutes', value: minutes, unit: 'min' }
    this.decisionIntervalMs = options.decisionIntervalMs ?? MINUTE_MS
  }

  forFunction(): FunctionPolicy {
    const keepAliveMs = this.keepAliveMs
    const target: PoolTarget = {
      warm: 0,
      keepAliveMs,
      explanation: {
        decidedBy: 'fixed',
        summary: `fixed keep-alive: each instance stays warm ${keepAliveMs / MINUTE_MS} min after its last invocation; nothing is pre-warmed`,
        numbers: { keepAliveMs },
      },
    }
    return { recordInvocation() {}, decide: () => target }
  }
}
