// The predictive policy on hand-made traces that held-out data showed it failing: a perfectly periodic
// function, bursts of concurrent long invocations, and never worse than fixed on both axes at once.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../shared-data.js'
import { FixedKeepAlivePolicy, loadTrace, PredictivePolicy, simulate, type Trace, type TraceFunction } from '../../scheduler/index.js'
import { DEFAULT_COLD_START_COST_GB_S, fallbackKeepAliveMinutes, holdThreshold, keepAliveChoices } from '../../scheduler/policies/predictive.js'

function fn(id: string, startsS: number[], durationS: number): TraceFunction {
  return { id, app: 'a', startsMs: Float64Array.from(startsS, (s) => s * 1000), durationsMs: new Float64Array(startsS.length).fill(durationS * 1000) }
}
const trace = (functions: TraceFunction[], minutes: number): Trace => ({ format: 'azure2021', minutes, functions, source: 'test' })

/** 18 bursts, 10 minutes apart, of 16 invocations started within 0.75 s, each running `durationS`. */
function bursts(durationS: number): TraceFunction {
  const starts: number[] = []
  for (let b = 0; b < 18; b++) for (let j = 0; j < 16; j++) starts.push(60 + 600 * b + j * 0.05)
  return fn('bursty', starts, durationS)
}

describe('predictive policy', () => {
  it('prices holding an instance against a cold start', () => {
    // 128 MiB for a minute is 7.5 GB-s: worth it when a cold start costs 250 GB-s and the chance of use is >= 3 %
    expect(holdThreshold(250, 128)).toBeCloseTo(0.03, 12)
    expect(holdThreshold(150, 128)).toBeCloseTo(0.05, 12) // the default
    expect(holdThreshold(1, 1024)).toBe(1)
    expect(() => new PredictivePolicy({ coldStartCostGbS: 0 })).toThrow(RangeError)
  })

  it('chooses per function, on its own past idle times, between the hazard and a keep-alive', () => {
    // idle times spread evenly over 0-19 minutes: no single minute's hazard reaches the hold threshold early
    // in an idle period, so the hazard lets most of them start cold, while a 30-minute keep-alive catches all
    let s = 7
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
    const spread: number[] = []
    for (let t = 30, i = 0; i < 150; i++, t += 60 * Math.floor(rnd() * 20) + 60 + 10 * rnd()) spread.push(t)
    const run = (starts: number[], choices?: number[]) => {
      const p = new PredictivePolicy(choices ? { keepAliveChoices: choices } : {}).forFunction()
      for (const t of starts) { p.decide(t * 1000 - 1); p.recordInvocation(t * 1000, 1000) }
      return p.decide(starts[starts.length - 1] * 1000 + 90_000).explanation
    }
    expect(run(spread).numbers.idleRule).toMatch(/^keep-alive (10|30|60) min$/)
    expect(run(spread, []).numbers.idleRule).toBe('hazard')
    // a periodic function: the hazard holds exactly the minute it needs and stays the rule
    const periodic = Array.from({ length: 100 }, (_, i) => 20 + 300 * i)
    expect(run(periodic).numbers.idleRule).toBe('hazard')
    const t = trace([fn('every5', periodic, 1)], 510)
    const withChoice = simulate(t, new PredictivePolicy())
    const hazardOnly = simulate(t, new PredictivePolicy({ keepAliveChoices: [] }))
    expect([withChoice.coldStarts, withChoice.wasted_gb_s]).toEqual([hazardOnly.coldStarts, hazardOnly.wasted_gb_s])
    // on the spread one, the choice costs less in total (cold starts at 150 GB-s each plus idle GB-s)
    const ts = trace([fn('spread', spread, 1)], Math.ceil(spread[spread.length - 1] / 60) + 70)
    const cost = (r: { coldStarts: number; wasted_gb_s: number }) => 150 * r.coldStarts + r.wasted_gb_s
    expect(cost(simulate(ts, new PredictivePolicy()))).toBeLessThan(cost(simulate(ts, new PredictivePolicy({ keepAliveChoices: [] }))))
    expect(() => new PredictivePolicy({ keepAliveChoices: [0] })).toThrow(RangeError)
  })

  it('a perfectly periodic 3-minute function starts cold once, wherever in the minute it runs', () => {
    for (const offsetS of [0, 30, 59.5]) {
      const t = trace([fn('every3', Array.from({ length: 100 }, (_, i) => offsetS + 180 * i), 1)], 310)
      expect(simulate(t, new PredictivePolicy()).coldStarts).toBe(1)
      expect(simulate(t, new FixedKeepAlivePolicy()).coldStarts).toBe(1)
    }
  })

  it('remembers bursts of 16 concurrent long invocations: no more cold starts than fixed, less memory', () => {
    for (const durationS of [60, 240]) {
      const t = trace([bursts(durationS)], 190)
      const fixed = simulate(t, new FixedKeepAlivePolicy())
      const pred = simulate(t, new PredictivePolicy())
      expect(fixed.coldStarts).toBe(16)
      expect(pred.coldStarts).toBeLessThanOrEqual(fixed.coldStarts)
      expect(pred.wasted_gb_s).toBeLessThan(fixed.wasted_gb_s)
    }
  })

  it('sizes the pool for the ramp past episodes reached once activity restarts', () => {
    // every 30 minutes: one invocation, then 16 concurrent 20 s ones in the next minute (as the shared trace's bursty functions ramp)
    const starts: number[] = []
    for (let e = 0; e < 24; e++) {
      starts.push(1800 * e + 10)
      for (let j = 0; j < 16; j++) starts.push(1800 * e + 70 + j * 0.05)
    }
    const t = trace([fn('ramps', starts, 20)], 24 * 30 + 5)
    // the ramp rule alone: the extra instances' keep-alive (sixth pass) would also hold the 16 through the 29-minute gaps
    const withRamp = simulate(t, new PredictivePolicy({ extraKeepAliveChoices: [] }))
    const without = simulate(t, new PredictivePolicy({ episodeMinutes: 0, extraKeepAliveChoices: [] }))
    // without it the pool held before a ramp is sized by the first minute's peak (1): 62 cold starts here, 47 with it
    expect(withRamp.coldStarts).toBeLessThan(0.8 * without.coldStarts)
    expect(withRamp.coldStarts).toBeLessThanOrEqual(simulate(t, new FixedKeepAlivePolicy()).coldStarts)
    // with both (the default), no more cold starts than the ramp rule alone (32 here)
    expect(simulate(t, new PredictivePolicy()).coldStarts).toBeLessThanOrEqual(withRamp.coldStarts)
  })

  it('unloads an instance once its minute is served, and pre-warms it just before the next minute', () => {
    // one invocation in every minute at a different second, as a per-minute trace's timer functions: the
    // instance used to be held all day; once the counts show one per minute, it is unloaded after each
    // invocation and loaded again 1 s before the next minute (about half the idle memory, no cold start added)
    let s = 11
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
    const starts = Array.from({ length: 300 }, (_, m) => 60 * m + 58 * rnd())
    const t = trace([fn('perMinute', starts, 1)], 300)
    const served = simulate(t, new PredictivePolicy())
    const held = simulate(t, new PredictivePolicy({ releaseServedMinutes: false }))
    const fixed = simulate(t, new FixedKeepAlivePolicy())
    expect(served.coldStarts).toBeLessThanOrEqual(fixed.coldStarts)
    expect(served.wasted_gb_s).toBeLessThan(0.7 * fixed.wasted_gb_s)
    expect(served.wasted_gb_s).toBeLessThan(0.7 * held.wasted_gb_s)
    // the rhythm changes to two per minute: within a few minutes the second one finds the instance warm again
    const twice = starts.concat(Array.from({ length: 100 }, (_, m) => [60 * (300 + m) + 20 * rnd(), 60 * (300 + m) + 40 + 19 * rnd()]).flat())
    const r = simulate(trace([fn('rhythm', twice, 1)], 400), new PredictivePolicy())
    expect(r.coldStarts).toBeLessThanOrEqual(5)
    expect(() => new PredictivePolicy({ minuteCountMemory: 0 })).toThrow(RangeError)
    expect(() => new PredictivePolicy({ minuteCountMemory: 2.5 })).toThrow(RangeError)
  })

  it("holds a period's arrival minute only, not the minute before it (raw idle-time hazard)", () => {
    // every 5 minutes exactly: smoothing the histogram over neighbouring minutes held the minute before each arrival too
    const t = trace([fn('every5', Array.from({ length: 200 }, (_, i) => 30 + 300 * i), 1)], 1000)
    const raw = simulate(t, new PredictivePolicy())
    const smoothed = simulate(t, new PredictivePolicy({ hazardSmoothing: true }))
    expect(raw.coldStarts).toBeLessThanOrEqual(smoothed.coldStarts)
    expect(raw.coldStarts).toBe(1)
    expect(raw.wasted_gb_s).toBeLessThan(0.75 * smoothed.wasted_gb_s)
  })

  it('pre-warms an hourly timer from its third invocation, before the histogram has enough idle times', () => {
    // 24 invocations an hour apart: with 5 idle times needed before the hazard rule takes over, the
    // 20-minute fallback keep-alive let the first six start cold; the idle times seen so far already say
    // when the next comes. The first idle time is unknowable: the second invocation still starts cold.
    for (const offsetS of [0, 30, 59.5]) {
      const t = trace([fn('hourly', Array.from({ length: 24 }, (_, i) => offsetS + 3600 * i), 1)], 24 * 60)
      const learned = simulate(t, new PredictivePolicy())
      const waited = simulate(t, new PredictivePolicy({ learningPrewarm: 'off' }))
      expect(learned.coldStarts).toBe(2)
      expect(waited.coldStarts).toBeGreaterThanOrEqual(5)
      expect(learned.wasted_gb_s).toBeLessThan(waited.wasted_gb_s + 4 * 7.5) // at most about a held minute per cold start saved
      expect(learned.wasted_gb_s).toBeLessThan(simulate(t, new FixedKeepAlivePolicy()).wasted_gb_s)
    }
    // a new invocation pattern: what the pre-warm loaded and nothing used goes a minute later, not 20
    const t = trace([fn('stops', [30, 3630, 7230, 7290 + 600], 1)], 300)
    const r = simulate(t, new PredictivePolicy())
    const off = simulate(t, new PredictivePolicy({ learningPrewarm: 'off' }))
    expect(r.coldStarts).toBeLessThan(off.coldStarts)
    // one pre-warmed minute that nothing used (minute 191) costs about two minutes of one instance, not 20
    expect(r.wasted_gb_s).toBeLessThan(off.wasted_gb_s + 3 * 7.5)
    // the explanation says why an instance is held while the histogram still learns
    const p = new PredictivePolicy().forFunction()
    for (const m of [0, 60, 120]) { p.decide(m * 60_000 + 29_000); p.recordInvocation(m * 60_000 + 30_000, 1000) }
    const e = p.decide((120 + 60) * 60_000 - 500).explanation // 1 s before the minute after 59 idle ones
    expect([e.decidedBy, e.numbers.learnedPrewarm]).toEqual(['fallback', true])
    expect(e.summary).toMatch(/1 warm for a minute in which one of them ended/)
    // a caller who asks for no fallback keep-alive gets none (not the minute a learned pre-warm keeps)
    const once = simulate(trace([fn('once', [30], 1)], 60), new PredictivePolicy({ fallbackKeepAliveMinutes: 0 }))
    expect(once.wasted_gb_s).toBeLessThan(1)
    expect(() => new PredictivePolicy({ learningPrewarm: 'sometimes' as 'raw' })).toThrow(RangeError)
  })

  it('waits on a function it knows nothing of for as long as its price of a cold start says', () => {
    // two invocations 50 minutes apart: no idle time is known when the first one ends
    const t = trace([fn('twice', [30, 30 + 50 * 60], 1)], 120)
    expect(fallbackKeepAliveMinutes(DEFAULT_COLD_START_COST_GB_S)).toBe(20)
    expect(fallbackKeepAliveMinutes(150)).toBeCloseTo(6, 12)
    expect(fallbackKeepAliveMinutes(1e6)).toBe(240)
    expect(keepAliveChoices(DEFAULT_COLD_START_COST_GB_S)).toEqual([10, 30, 60]) // the per-function candidates follow it too
    expect(keepAliveChoices(3000)).toEqual([60, 180, 240])
    expect(simulate(t, new PredictivePolicy()).coldStarts).toBe(2)
    const dear = simulate(t, new PredictivePolicy({ coldStartCostGbS: 3000 }))
    expect(dear.coldStarts).toBe(1) // 120 minutes at 3000 GB-s a cold start
    expect(simulate(t, new PredictivePolicy({ coldStartCostGbS: 3000, fallbackKeepAliveMinutes: 20 })).coldStarts).toBe(2)
    expect(simulate(t, new PredictivePolicy({ coldStartCostGbS: 150 })).wasted_gb_s).toBeLessThan(simulate(t, new PredictivePolicy()).wasted_gb_s)
  })

  it('is never worse than fixed on both axes at once (hand-made traces and 20 shared functions)', async () => {
    const shared = await loadTrace(join(SHARED_DATA, 'azure-functions', 'azure2019_100fn_per_minute.csv'))
    const cases: Trace[] = [
      trace([bursts(60)], 190),
      trace([fn('every3', Array.from({ length: 100 }, (_, i) => 180 * i), 1)], 310),
      trace([fn('every15', Array.from({ length: 40 }, (_, i) => 5 + 900 * i), 2)], 610),
      { ...shared, functions: shared.functions.slice(0, 20) },
    ]
    for (const t of cases) {
      const fixed = simulate(t, new FixedKeepAlivePolicy())
      const pred = simulate(t, new PredictivePolicy())
      expect(pred.coldStarts > fixed.coldStarts && pred.wasted_gb_s > fixed.wasted_gb_s).toBe(false)
    }
  })
})

describe('predictive policy: extra instances priced like the first', () => {
  // A function active every minute (one 1 s invocation) whose concurrency spikes to 3 every 17-27 minutes:
  // the two extra instances a spike needs sat idle 60 s (10 min while learning) after it at every cost, so
  // pricing a cold start higher never bought fewer cold starts (the trade-off curve went flat).
  const starts: number[] = []
  for (let m = 0, next = 15, i = 0; m < 600; m++) {
    starts.push(m * 60 + 10)
    if (m === next) {
      starts.push(m * 60 + 30, m * 60 + 30.1, m * 60 + 30.2)
      next += 17 + ((i++ * 7) % 11)
    }
  }
  const spiky: TraceFunction = { id: 'spiky', app: 'a', startsMs: Float64Array.from(starts, (s) => s * 1000), durationsMs: Float64Array.from(starts, (s) => (s % 60 === 10 ? 1000 : 5000)) }
  const t = trace([spiky], 600)
  const at = (coldStartCostGbS: number, extra?: number[]) => simulate(t, new PredictivePolicy({ coldStartCostGbS, ...(extra ? { extraKeepAliveChoices: extra } : {}) }))

  it('turns a higher cold-start cost into fewer cold starts of concurrency spikes', () => {
    const spikes = (starts.length - 600) / 3
    expect(spikes).toBeGreaterThan(20)
    // without extra keep-alive choices the curve is flat: every spike's extras start cold at any price
    const flat = [500, 3000, 6000].map((c) => at(c, []))
    for (const r of flat) expect([r.coldStarts, r.wasted_gb_s]).toEqual([flat[0].coldStarts, flat[0].wasted_gb_s])
    expect(flat[0].coldStarts).toBeGreaterThanOrEqual(spikes)
    const curve = [150, 500, 3000, 6000].map((c) => at(c))
    for (let i = 1; i < curve.length; i++) expect(curve[i].coldStarts).toBeLessThanOrEqual(curve[i - 1].coldStarts)
    // held through the gaps once 5 of them are scored: a few learning spikes start cold, not all of them
    expect(curve[2].coldStarts).toBeLessThanOrEqual(flat[0].coldStarts / 3)
    // and it spends no more than holding both extras all the time would
    expect(curve[2].wasted_gb_s).toBeLessThan(flat[1].wasted_gb_s + 2 * 600 * 7.5)
  })

  it('names the rule it chose and holds the extras between spikes', () => {
    const p = new PredictivePolicy({ coldStartCostGbS: 3000 }).forFunction('spiky')
    let last: ReturnType<typeof p.decide> | undefined
    for (let i = 0; i < starts.length; i++) {
      p.decide(starts[i] * 1000 - 1)
      p.recordInvocation(starts[i] * 1000, spiky.durationsMs![i])
    }
    last = p.decide(starts[starts.length - 1] * 1000 + 5 * 60_000)
    expect(last.explanation.numbers.extraRule).toMatch(/^keep-alive \d+ min$/)
    expect(last.warm).toBe(3)
    expect(() => new PredictivePolicy({ extraKeepAliveChoices: [0] })).toThrow(RangeError)
    expect(() => new PredictivePolicy({ extraKeepAliveChoices: [Number.NaN] })).toThrow(RangeError)
  })
})
