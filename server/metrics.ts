// Prometheus metrics: invocations, errors by code, durations, starts by kind, pools, dropped log lines.
// The per-function families are rendered here, a slice of functions at a time with the event loop
// free in between, from text cached per function; the rest (errors, the scheduler's gauge) by prom-client.
import { Counter, Registry } from 'prom-client'
import type { InvokeEvent, Runtime } from '@jaegis/runtime'

/** Upper bounds (s) of the duration histogram's buckets; the dashboard reads quantiles from them. */
export const DURATION_BUCKETS_S = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Functions rendered between two yields to the event loop while /metrics is scraped. */
const FUNCTIONS_PER_SLICE = 100

/** What one function's invocations added up to: plain numbers, turned into samples when scraped. */
interface FunctionTally {
  byStatus: Map<string, number>
  byStart: Map<string, number>
  /** Failed invocations by error code (also in the prom-client counter; kept here as plain numbers for `counters()`). */
  byError: Map<string, number>
  /** Observations per duration bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array
  sumS: number
  count: number
  /** This function's sample lines per family, as of the last scrape; dropped by observe(). */
  text?: { invocations: string; starts: string; duration: string }
}

type TallyFamily = keyof NonNullable<FunctionTally['text']>

const FAMILIES: Array<{ key: TallyFamily; name: string; type: string; help: string }> = [
  { key: 'invocations', name: 'jaegis_invocations_total', type: 'counter', help: 'Invocations by function and HTTP status' },
  { key: 'starts', name: 'jaegis_starts_total', type: 'counter', help: 'Invocation starts by kind: warm, hostwarm (instantiated on the request path), hostcold (loaded on the request path)' },
  { key: 'duration', name: 'jaegis_invocation_duration_seconds', type: 'histogram', help: 'Time inside the runtime per invocation' },
]

const POOL_GAUGES: Array<{ name: string; help: string; value: (s: { pool: { ready: number; dirty: number; minWarm: number } }) => number }> = [
  { name: 'jaegis_pool_ready_instances', help: 'Instances ready to serve, per function', value: (s) => s.pool.ready + s.pool.dirty },
  { name: 'jaegis_pool_target_instances', help: 'Instances the pool keeps warm (minWarm), per function', value: (s) => s.pool.minWarm },
]

/** One function's counters since start (see `Metrics.counters`). */
export interface FunctionCounters {
  invocations: number
  byStatus: Record<string, number>
  /** warm, hostwarm, hostcold */
  byStart: Record<string, number>
  byError: Record<string, number>
  /** Observations per DURATION_BUCKETS_S bucket (not cumulative); the last slot is +Inf. */
  buckets: number[]
}

export interface MetricsOptions {
  /** Registers more metrics (the scheduler's) in the prom-client registry. */
  extra?: (registry: Registry) => void
  /** Log lines the store refused so far (jaegis_log_lines_dropped_total). */
  droppedLogLines?: () => number
}

/**
 * The hot path only adds to per-function tallies (prom-client hashes and validates labels on every
 * inc/observe, which cost more than a whole invocation of a small function); a scrape turns the
 * tallies of functions invoked since the previous scrape into text and reuses the others' text.
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly tallies = new Map<string, FunctionTally>()
  /** Requests the gateway refused, by function and code (counted in `errors` too). */
  private readonly refused = new Map<string, Map<string, number>>()
  private readonly errors = new Counter({ name: 'jaegis_errors_total', help: 'Failed invocations by function and error code', labelNames: ['function', 'code'], registers: [this.registry] })

  constructor(private readonly runtime: Runtime, options: MetricsOptions | ((registry: Registry) => void) = {}) {
    const o = typeof options === 'function' ? { extra: options } : options
    const dropped = o.droppedLogLines
    if (dropped) {
      new Counter({
        name: 'jaegis_log_lines_dropped_total',
        help: 'Function log lines lost because the store refused them (a full data directory)',
        registers: [this.registry],
        collect() {
          this.reset()
          this.inc(dropped())
        },
      })
    }
    o.extra?.(this.registry)
  }

  /** Records one invocation (wired to the runtime's onInvoke). */
  observe(e: InvokeEvent): void {
    const t = this.tally(e.function)
    t.text = undefined
    const status = e.status === 200 ? '200' : e.status !== undefined ? String(e.status) : 'error'
    t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1)
    t.byStart.set(e.start, (t.byStart.get(e.start) ?? 0) + 1)
    if (e.errorCode) {
      this.errors.labels(e.function, e.errorCode).inc()
      t.byError.set(e.errorCode, (t.byError.get(e.errorCode) ?? 0) + 1)
    }
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
    // Not a tally: a function that was only refused has no invocation or duration series.
    let m = this.refused.get(name)
    if (!m) this.refused.set(name, (m = new Map()))
    m.set(code, (m.get(code) ?? 0) + 1)
  }

  private tally(fn: string): FunctionTally {
    let t = this.tallies.get(fn)
    if (!t) {
      t = { byStatus: new Map(), byStart: new Map(), byError: new Map(), buckets: new Float64Array(DURATION_BUCKETS_S.length + 1), sumS: 0, count: 0 }
      this.tallies.set(fn, t)
    }
    return t
  }

  /**
   * Every function's counters since start, as plain numbers (copies): what /metrics renders, for the
   * dashboard's recorder. A function only refused by the gateway has errors and no invocations.
   */
  counters(): Map<string, FunctionCounters> {
    const out = new Map<string, FunctionCounters>()
    for (const [fn, t] of this.tallies) {
      out.set(fn, { invocations: t.count, byStatus: Object.fromEntries(t.byStatus), byStart: Object.fromEntries(t.byStart), byError: Object.fromEntries(t.byError), buckets: Array.from(t.buckets) })
    }
    for (const [fn, codes] of this.refused) {
      let c = out.get(fn)
      if (!c) out.set(fn, (c = { invocations: 0, byStatus: {}, byStart: {}, byError: {}, buckets: new Array<number>(DURATION_BUCKETS_S.length + 1).fill(0) }))
      for (const [code, n] of codes) c.byError[code] = (c.byError[code] ?? 0) + n
    }
    return out
  }

  /** The Prometheus text. Renders FUNCTIONS_PER_SLICE functions at a time, yielding to the event loop between slices. */
  async text(): Promise<string> {
    const out: string[] = []
    const tallies = [...this.tallies]
    for (const f of FAMILIES) {
      out.push(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`)
      for (let i = 0; i < tallies.length; i++) {
        if (i > 0 && i % FUNCTIONS_PER_SLICE === 0) await yieldToEventLoop()
        const [fn, t] = tallies[i]!
        t.text ??= renderTally(fn, t)
        out.push(t.text[f.key])
      }
    }
    const stats = Object.entries(this.runtime.stats().functions)
    for (const g of POOL_GAUGES) {
      out.push(`# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n`)
      for (let i = 0; i < stats.length; i++) {
        if (i > 0 && i % FUNCTIONS_PER_SLICE === 0) await yieldToEventLoop()
        const [fn, s] = stats[i]!
        out.push(`${g.name}{function="${escapeLabel(fn)}"} ${g.value(s)}\n`)
      }
    }
    await yieldToEventLoop()
    out.push(await this.registry.metrics())
    return out.join('')
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** One function's samples of the tally families (label order as prom-client wrote them). */
function renderTally(fn: string, t: FunctionTally): NonNullable<FunctionTally['text']> {
  const f = escapeLabel(fn)
  let invocations = ''
  for (const [status, n] of t.byStatus) invocations += `jaegis_invocations_total{function="${f}",status="${escapeLabel(status)}"} ${n}\n`
  let starts = ''
  for (const [kind, n] of t.byStart) starts += `jaegis_starts_total{function="${f}",kind="${escapeLabel(kind)}"} ${n}\n`
  const name = 'jaegis_invocation_duration_seconds'
  let duration = ''
  let cumulative = 0
  for (let i = 0; i < DURATION_BUCKETS_S.length; i++) {
    cumulative += t.buckets[i]!
    duration += `${name}_bucket{le="${DURATION_BUCKETS_S[i]}",function="${f}"} ${cumulative}\n`
  }
  duration += `${name}_bucket{le="+Inf",function="${f}"} ${t.count}\n${name}_sum{function="${f}"} ${t.sumS}\n${name}_count{function="${f}"} ${t.count}\n`
  return { invocations, starts, duration }
}
