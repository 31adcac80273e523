// The scheduler in `jaegis serve`: live invocations feed the autoscaler; every interval its targets
// become the runtime's pool sizes, clamped to the manifest's [min_warm, max_warm].
import { Gauge, type Registry } from 'prom-client'
import type { InvokeEvent, Runtime } from '@jaegis/runtime'
import { Autoscaler, type Decision } from '@jaegis/scheduler'

export class PoolDriver {
  private timer: NodeJS.Timeout | undefined
  private readonly prewarmTimers = new Map<string, NodeJS.Timeout>()
  /** What was applied last, per function: the clamped pool target. */
  private readonly applied = new Map<string, number>()

  constructor(private readonly runtime: Runtime, readonly autoscaler: Autoscaler = new Autoscaler()) {}

  /** The scaling policy's name (`predictive`, `histogram`, `fixed`, ...), for `jaegis explain`. */
  get policy(): string {
    return this.autoscaler.policy.name
  }

  /** Feeds one finished invocation (wired to the runtime's onInvoke). */
  observe(e: InvokeEvent): void {
    this.autoscaler.recordInvocation(e.function, e.startMs, e.durationMs)
  }

  track(name: string): void {
    this.autoscaler.track(name)
  }

  forget(name: string): void {
    this.autoscaler.forget(name)
    this.applied.delete(name)
    clearTimeout(this.prewarmTimers.get(name))
    this.prewarmTimers.delete(name)
  }

  /** Decides every tracked function now and applies the targets. */
  tick(nowMs = Date.now()): void {
    for (const [name, target] of this.autoscaler.decideAll(nowMs)) {
      const config = this.runtime.config(name)
      if (!config) continue
      const warm = Math.min(config.pool.maxWarm, Math.max(config.pool.minWarm, target.warm))
      clearTimeout(this.prewarmTimers.get(name))
      const apply = () => {
        if (!this.runtime.has(name)) return
        this.runtime.setPool(name, { minWarm: warm, maxWarm: config.pool.maxWarm })
        this.applied.set(name, warm)
      }
      const delayMs = (target.prewarmAtMs ?? nowMs) - nowMs
      // Growing waits for the pre-warm time; shrinking and keeping happen now.
      if (delayMs > 0 && warm > (this.applied.get(name) ?? 0)) {
        const t = setTimeout(apply, delayMs)
        t.unref()
        this.prewarmTimers.set(name, t)
      } else apply()
    }
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.autoscaler.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    for (const t of this.prewarmTimers.values()) clearTimeout(t)
  }

  /** The latest decision with the target actually applied, for `jaegis explain`. */
  explain(name: string): (Decision & { appliedWarm?: number }) | undefined {
    const d = this.autoscaler.explain(name)
    return d && { ...d, ...(this.applied.has(name) ? { appliedWarm: this.applied.get(name)! } : {}) }
  }

  /** Facts for `jaegis list` and `show`. */
  describe(name: string): Record<string, unknown> | undefined {
    const d = this.autoscaler.explain(name)
    if (!d) return undefined
    return { scheduler: { target: d.target.warm, applied: this.applied.get(name), decidedBy: d.target.explanation.decidedBy, reason: d.target.explanation.summary } }
  }

  /** jaegis_scheduler_target_instances{function, decided_by}. */
  register(registry: Registry): void {
    const self = this
    new Gauge({
      name: 'jaegis_scheduler_target_instances',
      help: 'Warm instances the autoscaler asks for, by function and by what decided it (forecast, histogram, burst, fallback)',
      labelNames: ['function', 'decided_by'],
      registers: [registry],
      collect() {
        this.reset()
        for (const name of self.autoscaler.functions()) {
          const d = self.autoscaler.explain(name)
          if (d) this.set({ function: name, decided_by: d.target.explanation.decidedBy }, d.target.warm)
        }
      },
    })
  }
}
