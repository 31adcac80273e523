// Trace parsing on the shared Azure Functions samples (all three layouts) and the errors for bad files.
import { SHARED_DATA } from '../shared-data.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../../kernels/wasm-path.js'
import { detectTraceFormat, expandInvocations, loadTrace, parseTrace, SchedulerError, traceInvocations } from '../../scheduler/index.js'

const AZ = join(SHARED_DATA, 'azure-functions')

describe('trace formats', () => {
  it('reads the 2019 variant (HashFunction first): 100 functions x 1440 minutes', async () => {
    const t = await loadTrace(join(AZ, 'azure2019_100fn_per_minute.csv'))
    expect(t.format).toBe('azure2019-variant')
    expect(t.minutes).toBe(1440)
    expect(t.functions.length).toBe(100)
    expect(traceInvocations(t)).toBe(65438)
    expect(new Set(t.functions.map((f) => f.id)).size).toBe(100)
  })

  it('reads the original 2019 schema with its trigger column', async () => {
    const t = await loadTrace(join(AZ, 'azure2019_example_per_minute.csv'))
    expect(t.format).toBe('azure2019')
    expect(t.functions.length).toBe(4)
    expect(t.functions.map((f) => f.trigger)).toEqual(['queue', 'queue', 'queue', 'timer'])
    expect(t.functions[0].minuteCounts![0]).toBe(5)
    expect(t.functions[1].minuteCounts![0]).toBe(0)
  })

  it('reads the 2021 per-invocation schema: start = end_timestamp - duration, sorted', async () => {
    const t = await loadTrace(join(AZ, 'azure2021_30_per_invocation.csv'))
    expect(t.format).toBe('azure2021')
    const all = t.functions.flatMap((f) => Array.from(f.startsMs!))
    expect(all.length).toBe(29)
    expect(Math.min(...all)).toBeCloseTo(1000, 6) // end 10 s, duration 9 s
    for (const f of t.functions) expect(Array.from(f.startsMs!)).toEqual(Array.from(f.startsMs!).sort((a, b) => a - b))
    expect(t.minutes).toBe(3) // the last invocation ends at 132.5 s
  })

  it('detects formats from the header only', () => {
    expect(detectTraceFormat('HashOwner,HashApp,HashFunction,Trigger,1,2,3')).toBe('azure2019')
    expect(detectTraceFormat('HashFunction,HashOwner,HashApp,1_minute,2_minute')).toBe('azure2019-variant')
    expect(detectTraceFormat('app,func,end_timestamp,duration')).toBe('azure2021')
    expect(detectTraceFormat('a,b,c')).toBeUndefined()
  })

  it('rejects anything else with a message naming the accepted headers', () => {
    expect(() => parseTrace('timestamp,value\n1,2\n', 'x.csv')).toThrow(SchedulerError)
    expect(() => parseTrace('timestamp,value\n1,2\n', 'x.csv')).toThrow(/x\.csv: unrecognised header "timestamp,value"; expected one of .*Azure 2019.*Azure 2021/)
    expect(() => parseTrace('', 'e.csv')).toThrow(/e\.csv: empty file/)
  })

  it('names the line and minute of a bad count, and a row with the wrong width', () => {
    expect(() => parseTrace('HashFunction,HashOwner,HashApp,1_minute,2_minute\nf,o,a,1,x\n', 'b.csv')).toThrow(/b\.csv: line 2, minute 2: "x" is not a count/)
    expect(() => parseTrace('HashFunction,HashOwner,HashApp,1_minute,2_minute\nf,o,a,1\n', 'b.csv')).toThrow(/line 2: 4 columns, header has 5/)
    expect(() => parseTrace('app,func,end_timestamp,duration\na,f,5,9\n', 'c.csv')).toThrow(/line 2: duration "9"/)
  })
})

describe('expanding per-minute counts', () => {
  const t = parseTrace('HashFunction,HashOwner,HashApp,1_minute,2_minute,3_minute\nf,o,a,3,0,2\n')
  it('puts each minute\'s invocations inside that minute, sorted, with the default duration', () => {
    const e = expandInvocations(t.functions[0], { defaultDurationMs: 250 })
    expect(e.startsMs.length).toBe(5)
    for (let i = 0; i < 3; i++) expect(e.startsMs[i]).toBeGreaterThanOrEqual(0), expect(e.startsMs[i]).toBeLessThan(60_000)
    for (let i = 3; i < 5; i++) expect(e.startsMs[i]).toBeGreaterThanOrEqual(120_000), expect(e.startsMs[i]).toBeLessThan(180_000)
    expect(Array.from(e.startsMs)).toEqual(Array.from(e.startsMs).sort((a, b) => a - b))
    expect(Array.from(e.durationsMs)).toEqual([250, 250, 250, 250, 250])
  })
  it('gives a minute the same instants whether or not later minutes exist (no dependence on the future)', () => {
    const short = parseTrace('HashFunction,HashOwner,HashApp,1_minute\nf,o,a,3\n')
    expect(Array.from(expandInvocations(short.functions[0]).startsMs)).toEqual(Array.from(expandInvocations(t.functions[0]).startsMs.slice(0, 3)))
  })
  it('spreads evenly on request', () => {
    expect(Array.from(expandInvocations(t.functions[0], { spread: 'even' }).startsMs.slice(0, 3))).toEqual([10_000, 30_000, 50_000])
  })
})
