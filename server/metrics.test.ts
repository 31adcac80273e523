// Metrics: invocations are tallied as plain numbers and come out of /metrics as Prometheus samples
// with the right values (counters by status and start kind, a cumulative duration histogram).
import { describe, expect, it } from 'vitest'
import { createRuntime, type Runtime } from '@jaegis/runtime'
import { Metrics } from './metrics.js'

const sample = (text: string, line: string) => {
  const found = text.split('\n').find((l) => l.startsWith(line + ' '))
  return found === undefined ? undefined : Number(found.slice(line.length + 1))
}

describe('Metrics', () => {
  it('counts invocations by status and start kind, and buckets durations cumulatively', async () => {
    const m = new Metrics(createRuntime())
    const base = { function: 'hello', digest: 'd', startMs: Date.now() }
    for (let i = 0; i < 3; i++) m.observe({ ...base, start: 'warm', durationMs: 0.02, status: 200 })
    m.observe({ ...base, start: 'hostwarm', durationMs: 3, status: 404 })
    m.observe({ ...base, start: 'hostcold', durationMs: 12_000, errorCode: 'TIMEOUT' })
    m.observe({ function: 'other', digest: 'e', startMs: Date.now(), start: 'warm', durationMs: 1, status: 200 })
    const text = await m.text()
    expect(sample(text, 'jaegis_invocations_total{function="hello",status="200"}')).toBe(3)
    expect(sample(text, 'jaegis_invocations_total{function="hello",status="404"}')).toBe(1)
    expect(sample(text, 'jaegis_invocations_total{function="hello",status="error"}')).toBe(1)
    expect(sample(text, 'jaegis_invocations_total{function="other",status="200"}')).toBe(1)
    expect(sample(text, 'jaegis_starts_total{function="hello",kind="warm"}')).toBe(3)
    expect(sample(text, 'jaegis_starts_total{function="hello",kind="hostcold"}')).toBe(1)
    expect(sample(text, 'jaegis_errors_total{function="hello",code="TIMEOUT"}')).toBe(1)
    const bucket = (le: string, fn = 'hello') => sample(text, `jaegis_invocation_duration_seconds_bucket{le="${le}",function="${fn}"}`)
    expect(bucket('0.00001')).toBe(0)
    expect(bucket('0.000025')).toBe(3) // 20 µs
    expect(bucket('0.0025')).toBe(3)
    expect(bucket('0.005')).toBe(4) // 3 ms
    expect(bucket('10')).toBe(4)
    expect(bucket('+Inf')).toBe(5) // 12 s is over every bound
    expect(bucket('0.001', 'other')).toBe(1) // exactly on a bound counts as inside it
    expect(sample(text, 'jaegis_invocation_duration_seconds_count{function="hello"}')).toBe(5)
    expect(sample(text, 'jaegis_invocation_duration_seconds_sum{function="hello"}')).toBeCloseTo(12.00306, 6)
  })

  it('renders 2,000 functions without holding the event loop: other work runs while a scrape is under way', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `fn-${i}`)
    const runtime = { stats: () => ({ functions: Object.fromEntries(names.map((n) => [n, { pool: { ready: 1, dirty: 0, minWarm: 1, maxWarm: 4 } }])) }) }
    const m = new Metrics(runtime as unknown as Runtime)
    for (const name of names) m.observe({ function: name, digest: 'd', startMs: Date.now(), start: 'warm', durationMs: 0.1, status: 200 })
    const order: string[] = []
    const scrape = m.text().then((text) => {
      order.push('scrape done')
      return text
    })
    // A request arriving meanwhile is an I/O callback: it must get its turn before the scrape ends.
    setImmediate(() => order.push('other work'))
    const text = await scrape
    expect(order).toEqual(['other work', 'scrape done'])
    // Every function is there: 1 status + 1 start kind + 22 histogram lines + 2 pool gauges.
    expect(text.split('\n').filter((l) => l.includes('function="fn-1999"'))).toHaveLength(26)
    expect(sample(text, 'jaegis_pool_target_instances{function="fn-7"}')).toBe(1)
    // A second scrape reuses the text of functions nobody invoked since, and sees the new invocation.
    m.observe({ function: 'fn-7', digest: 'd', startMs: Date.now(), start: 'warm', durationMs: 0.1, status: 500 })
    const again = await m.text()
    expect(sample(again, 'jaegis_invocations_total{function="fn-7",status="500"}')).toBe(1)
    expect(sample(again, 'jaegis_invocations_total{function="fn-8",status="200"}')).toBe(1)
  })

  it('counts log lines the store refused', async () => {
    let dropped = 0
    const m = new Metrics(createRuntime(), { droppedLogLines: () => dropped })
    expect(sample(await m.text(), 'jaegis_log_lines_dropped_total')).toBe(0)
    dropped = 7
    expect(sample(await m.text(), 'jaegis_log_lines_dropped_total')).toBe(7)
  })
})
