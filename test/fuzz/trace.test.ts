// Property tests of the trace CSV parser (scheduler/trace.ts): both Azure formats round-trip, and
// mutated real traces or random text give a Trace or SchedulerError('BAD_TRACE'), nothing else.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTrace, SchedulerError } from '../../scheduler/index.js'
import { FUZZ_RUNS } from '../fuzz-runs.js'
import { SHARED_DATA } from '../shared-data.js'

const hash = fc.stringMatching(/^[0-9a-f]{1,10}$/)

describe('trace CSV', () => {
  it('round-trips the 2019 per-minute format, counts up to the largest count a minute can hold', () => {
    const row = fc.record({ owner: hash, app: hash, fn: hash, trigger: fc.constantFrom('http', 'timer', 'queue'), counts: fc.array(fc.oneof(fc.nat(1000), fc.integer({ min: 0, max: 2 ** 32 - 1 }))) })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.uniqueArray(row, { selector: (r) => r.fn, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (minutes, rows, eol) => {
        const header = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: minutes }, (_, i) => String(i + 1))].join(',')
        const counts = rows.map((r) => Array.from({ length: minutes }, (_, m) => r.counts[m] ?? 0))
        const text = [header, ...rows.map((r, i) => [r.owner, r.app, r.fn, r.trigger, ...counts[i]!].join(','))].join(eol) + eol
        const t = parseTrace(text)
        expect(t.format).toBe('azure2019')
        expect(t.minutes).toBe(minutes)
        expect(t.functions.map((f) => [f.id, f.app, f.owner, f.trigger, Array.from(f.minuteCounts!)])).toEqual(rows.map((r, i) => [r.fn, r.app, r.owner, r.trigger, counts[i]]))
      }),
      { numRuns: FUZZ_RUNS(300) },
    )
  })

  it('refuses a count that does not fit a minute counter instead of wrapping it', () => {
    const text = 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,4294967296,1\n'
    expect(() => parseTrace(text)).toThrow(/line 2, minute 1: "4294967296" is not a count/)
  })

  it('round-trips the 2021 per-invocation format: starts sorted, seconds to ms', () => {
    const row = fc.record({ app: fc.constantFrom('a1', 'a2'), func: fc.constantFrom('f1', 'f2', 'f3'), end: fc.integer({ min: 0, max: 100_000 }), dur: fc.integer({ min: 0, max: 100_000 }) })
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const ok = rows.map((r) => ({ ...r, dur: Math.min(r.dur, r.end) }))
        const text = ['app,func,end_timestamp,duration', ...ok.map((r) => `${r.app},${r.func},${r.end / 1000},${r.dur / 1000}`)].join('\n')
        const t = parseTrace(text)
        expect(t.format).toBe('azure2021')
        const total = t.functions.reduce((a, f) => a + f.startsMs!.length, 0)
        expect(total).toBe(ok.length)
        for (const f of t.functions) {
          const key = f.id.includes('/') ? f.id : `${f.app}/${f.id}`
          const mine = ok.filter((r) => `${r.app}/${r.func}` === key).map((r) => [(r.end - r.dur), r.dur]).sort((x, y) => x[0]! - y[0]!)
          expect(Array.from(f.startsMs!)).toEqual(mine.map((m) => expect.closeTo(m[0]!, 6)))
          expect(Array.from(f.durationsMs!).sort((a, b) => a - b)).toEqual(mine.map((m) => m[1]!).sort((a, b) => a - b).map((d) => expect.closeTo(d, 6)))
          for (let i = 1; i < f.startsMs!.length; i++) expect(f.startsMs![i]).toBeGreaterThanOrEqual(f.startsMs![i - 1]!)
        }
      }),
      { numRuns: FUZZ_RUNS(300) },
    )
  })

  it('parses or refuses with BAD_TRACE: mutated real traces and random text', () => {
    const seeds = ['azure2019_example_per_minute.csv', 'azure2021_30_per_invocation.csv'].map((f) => readFileSync(join(SHARED_DATA, 'azure-functions', f), 'utf8').slice(0, 3000))
    const edit = fc.tuple(fc.nat(), fc.nat(10), fc.oneof(fc.constantFrom(',', '\n', '\r', '-1', '1.5', 'x', '1e999', '', ' ', '4294967296'), fc.string({ maxLength: 5 })))
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([s, edits]) => {
      for (const [at, cut, ins] of edits) { const i = at % (s.length + 1); s = s.slice(0, i) + ins + s.slice(i + cut) }
      return s
    })
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 60 })), (text) => {
        try {
          const t = parseTrace(text)
          for (const f of t.functions) {
            if (f.minuteCounts) expect(f.minuteCounts.length).toBe(t.minutes)
            else for (let i = 0; i < f.startsMs!.length; i++) expect(f.startsMs![i]).toBeGreaterThanOrEqual(0)
          }
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(SchedulerError)
          expect((err as SchedulerError).code).toBe('BAD_TRACE')
        }
      }),
      { numRuns: FUZZ_RUNS(400) },
    )
  })
})
