// Prometheus metrics (prom-client): invocations, errors by code, durations, starts by kind, pools.
import { Counter, Gauge, Registry } from 'prom-client'
import type { InvokeEvent, Runtime } from '../runtime/index.js'

const DURATION_BUCKETS_S = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** What one function's invocations added up to: plain numbers, turned into samples when scraped. */
interface FunctionTally {
  byStatus: Map<string, number>
  byStart: Map<string, number>
  /** Observations per duration bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array
  sumS: number
  count: number
}

/**
 * The hot path only adds to per-function tallies (prom-client hashes and validates labels on every
 * inc/observe, which cost more than a whole invocation of a small function); the Prometheus
 * metrics read the tallies when /metrics is scraped.
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly tallies = new Map<string, FunctionTally>()
  private readonly errors = new Counter({ name: 'jaegis_errors_total', help: 'Failed invocations by function and error code', labelNames: ['function', 'code'], registers: [this.registry] })

  constructor(runtime: Runtime, extra?: (registry: Registry) => void) {
    const stats = () => runtime.stats().functions
    const tallies = this.tallies
    tallyCounter(this.registry, tallies, 'jaegis_invocations_total', 'Invocations by function and HTTP status', 'status', (t) => t.byStatus)
    tallyCounter(this.registry, tallies, 'jaegis_starts_total', 'Invocation starts by kind: warm, hostwarm (instantiated on the request path), hostcold (loaded on the request path)', 'kind', (t) => t.byStart)
    this.registry.registerMetric(durationHistogram(tallies) as never)
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
    let t = this.tallies.get(e.function)
    if (!t) {
      t = { byStatus: new Map(), byStart: new Map(), buckets: new Float64Array(DURATION_BUCKETS_S.length + 1), sumS: 0, count: 0 }
      this.tallies.set(e.function, t)
    }
    const status = e.status === 200 ? '200' : e.status !== undefined ? String(e.status) : 'error'
    t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1)
    t.byStart.set(e.start, (t.byStart.get(e.start) ?? 0) + 1)
    if (e.errorCode) this.errors.labels(e.function, e.errorCode).inc()
    const s = e.durationMs / 1000
    let b = 0
    while (b < DURATION_BUCKETS_S.length && s > DURATION_BUCKETS_S[b]!) b++
    t.buckets[b]!++
    t.sumS += s
    t.count++
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

/** A counter labelled by function and `label`, filled from one of the tallies' maps at scrape time. */
function tallyCounter(registry: Registry, tallies: Map<string, FunctionTally>, name: string, help: string, label: string, counts: (t: FunctionTally) => Map<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: ['function', label],
    registers: [registry],
    collect() {
      this.reset()
      for (const [fn, t] of tallies) for (const [value, n] of counts(t)) this.inc({ function: fn, [label]: value }, n)
    },
  })
}

/**
 * jaegis_invocation_duration_seconds as a metric object the registry can serialize (prom-client has
 * no way to add many observations at once), read from the tallies at scrape time.
 */
function durationHistogram(tallies: Map<string, FunctionTally>) {
  const name = 'jaegis_invocation_duration_seconds'
  const get = () => {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = []
    for (const [fn, t] of tallies) {
      let cumulative = 0
      for (let i = 0; i < DURATION_BUCKETS_S.length; i++) {
        cumulative += t.buckets[i]!
        values.push({ labels: { le: DURATION_BUCKETS_S[i]!, function: fn }, value: cumulative, metricName: `${name}_bucket` })
      }
      values.push({ labels: { le: '+Inf', function: fn }, value: t.count, metricName: `${name}_bucket` })
      values.push({ labels: { function: fn }, value: t.sumS, metricName: `${name}_sum` })
      values.push({ labels: { function: fn }, value: t.count, metricName: `${name}_count` })
    }
    return { name, help: 'Time inside the runtime per invocation', type: 'histogram', values, aggregator: 'sum' }
  }
  return { name, help: 'Time inside the runtime per invocation', type: 'histogram', aggregator: 'sum', get: async () => get(), reset: () => {} }
}
