// Prometheus metrics (prom-client): invocations, errors by code, durations, starts by kind, pools.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { InvokeEvent, Runtime } from '../runtime/index.js'

/** Per-function metric children are cached so the hot path does no label hashing. */
export class Metrics {
  readonly registry = new Registry()
  private readonly invocations = new Counter({ name: 'jaegis_invocations_total', help: 'Invocations by function and HTTP status', labelNames: ['function', 'status'], registers: [this.registry] })
  private readonly errors = new Counter({ name: 'jaegis_errors_total', help: 'Failed invocations by function and error code', labelNames: ['function', 'code'], registers: [this.registry] })
  private readonly duration = new Histogram({
    name: 'jaegis_invocation_duration_seconds',
    help: 'Time inside the runtime per invocation',
    labelNames: ['function'],
    buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  private readonly starts = new Counter({ name: 'jaegis_starts_total', help: 'Invocation starts by kind: warm, hostwarm (instantiated on the request path), hostcold (loaded on the request path)', labelNames: ['function', 'kind'], registers: [this.registry] })
  private readonly children = new Map<string, { ok: Counter.Internal; duration: Histogram.Internal<string>; warm: Counter.Internal }>()

  constructor(runtime: Runtime, extra?: (registry: Registry) => void) {
    const stats = () => runtime.stats().functions
    new Gauge({
      name: 'jaegis_pool_ready_instances',
      help: 'Instances ready to serve, per function',
      labelNames: ['function'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [name, s] of Object.entries(stats())) this.set({ function: name }, s.pool.ready + s.pool.dirty)
      },
    })
    new Gauge({
      name: 'jaegis_pool_target_instances',
      help: 'Instances the pool keeps warm (minWarm), per function',
      labelNames: ['function'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [name, s] of Object.entries(stats())) this.set({ function: name }, s.pool.minWarm)
      },
    })
    extra?.(this.registry)
  }

  /** Records one invocation (wired to the runtime's onInvoke). */
  observe(e: InvokeEvent): void {
    let c = this.children.get(e.function)
    if (!c) {
      c = { ok: this.invocations.labels(e.function, '200'), duration: this.duration.labels(e.function), warm: this.starts.labels(e.function, 'warm') }
      this.children.set(e.function, c)
    }
    if (e.status === 200) c.ok.inc()
    else this.invocations.labels(e.function, e.status !== undefined ? String(e.status) : 'error').inc()
    if (e.start === 'warm') c.warm.inc()
    else this.starts.labels(e.function, e.start).inc()
    if (e.errorCode) this.errors.labels(e.function, e.errorCode).inc()
    c.duration.observe(e.durationMs / 1000)
  }

  /** Counts an error that never reached the runtime (unknown function, body too large, overload). */
  gatewayError(name: string, code: string): void {
    this.errors.labels(name, code).inc()
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
