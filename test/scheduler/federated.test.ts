// Federated forecasting (issue 17): the combiner (merged histograms, summed means, interval widths), that
// what a site ships holds no per-minute or per-invocation history, and a small `jaegis sim --sites` run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { normalQuantile } from '../../kernels/forecast/index.js'
import {
  clusterActiveMinutes, clusterPeakDistribution, combineSummaries, DEFAULT_COLD_START_COST_GB_S, holdThreshold, distributionQuantile, EtsForecaster, EwmaForecaster, FederatedFitSource, IdleTimeHistogram, mergeHistograms, PEAK_SKETCH_BINS,
  fitSeries, peakSketch, PredictivePolicy, federatedPredictivePolicy, simulate, siteOf, summaryBytes, validateSummary, parseTrace, trimTrace, type SiteSummary, type Trace,
} from '../../scheduler/index.js'
import { command as sim } from '../../cli/commands/sim.js'
import { captureContext } from '../cli-capture.js'
import { SHARED_DATA } from '../shared-data.js'

const AZ = join(SHARED_DATA, 'azure-functions')

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
    return s / 2 ** 32
  }
}

function summary(site: number, rateMean: number[], rateVar: number[], peakMean = rateMean, peakVar = rateVar, peakCap = 3): SiteSummary {
  return { site, activeMinutes: 50, windowInvocations: 100, rateMean, rateVar, peakMean, peakVar, peakCap, peakSketch: peakSketch([0, 1, 2, 3]), meanDurationMs: 1000, model: 'test' }
}

describe('combiner', () => {
  it('merged histogram equals the histogram of the merged idle times', () => {
    const r = rng(7)
    const all = new IdleTimeHistogram(240)
    const sites = [new IdleTimeHistogram(240), new IdleTimeHistogram(240), new IdleTimeHistogram(240)]
    for (let i = 0; i < 3000; i++) {
      const idle = Math.floor(-Math.log(1 - r()) * 60) // some beyond the 240-minute range
      sites[i % 3 === 0 ? 0 : r() < 0.7 ? 1 : 2].add(idle)
      all.add(idle)
    }
    const merged = mergeHistograms(sites)
    expect(Array.from(merged.bins)).toEqual(Array.from(all.bins))
    expect(merged.outOfBounds).toBe(all.outOfBounds)
    expect(merged.outOfBounds).toBeGreaterThan(0)
    expect(merged.inBounds).toBe(all.inBounds)
    for (const b of [0, 5, 60, 239]) expect(merged.hazard(b)).toBe(all.hazard(b))
    expect(merged.percentileMinutes(99, 'upper')).toBe(all.percentileMinutes(99, 'upper'))
    expect(() => mergeHistograms([new IdleTimeHistogram(240), new IdleTimeHistogram(60)])).toThrow(/cannot merge/)
  })

  it('combined mean is the sum of the sites\' means; independent variances add', () => {
    const a = summary(0, [10, 12, 14], [4, 5, 6])
    const b = summary(1, [1, 2, 3], [1, 1, 1])
    const c = summary(2, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])
    const f = combineSummaries([a, b, c], 3, 0.99, { variance: 'independent', rates: 'sum' })
    expect(f.rateMean).toEqual([11.5, 14.5, 17.5])
    const z = normalQuantile(0.995)
    for (let h = 0; h < 3; h++) {
      const width = f.rateUpper[h] - f.rateMean[h]
      expect(width).toBeCloseTo(z * Math.sqrt(a.rateVar[h] + b.rateVar[h] + c.rateVar[h]), 9)
      // narrower than the sites' widths added, wider than any one site's
      const siteWidths = [a, b, c].map((s) => z * Math.sqrt(s.rateVar[h]))
      expect(width).toBeLessThan(siteWidths.reduce((x, y) => x + y, 0))
      expect(width).toBeGreaterThan(Math.max(...siteWidths))
    }
    expect(combineSummaries([], 3, 0.99).rateMean).toEqual([])
  })

  it('thinned sites: the split\'s noise cancels, a shared signal\'s variance is recovered', () => {
    // A constant 10/min split binomially over shares 0.5, 0.3, 0.2: each site's variance is only the split's.
    const w = [0.5, 0.3, 0.2]
    const split = w.map((x, i) => summary(i, [10 * x], [10 * x * (1 - x)]))
    const f = combineSummaries(split, 1, 0.99, { variance: 'thinned', peaks: 'sum', rates: 'sum' })
    expect(f.rateMean[0]).toBeCloseTo(10, 9)
    expect(f.rateUpper[0]).toBeCloseTo(10, 9) // no spread: the cluster's series is constant
    expect(combineSummaries(split, 1, 0.99, { variance: 'independent', rates: 'sum' }).rateUpper[0]).toBeGreaterThan(15)
    // A demand with variance 25 split the same way: site variance w^2 x 25 + split noise.
    const noisy = w.map((x, i) => summary(i, [10 * x], [x * x * 25 + 10 * x * (1 - x)]))
    const g = combineSummaries(noisy, 1, 0.99, { variance: 'thinned', rates: 'sum' })
    expect(g.rateUpper[0] - g.rateMean[0]).toBeCloseTo(normalQuantile(0.995) * 5, 9)
  })

  it('sites draw a function\'s invocations from a per-function mix: every site some, the home site most', () => {
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 20000; i++) counts[siteOf('fn-a', i * 1000 + 0.5, 4)]++
    const sorted = counts.slice().sort((x, y) => y - x)
    expect(sorted[3]).toBeGreaterThan(0)
    expect(sorted[0] / 20000).toBeGreaterThan(0.48)
    expect(sorted[0] / 20000).toBeLessThan(0.59)
    expect(siteOf('fn-a', 1234, 1)).toBe(0)
  })
})

describe('peak of the sum from the sites\' sketches', () => {
  /** Splits per-minute cluster peaks over sites with shares w (binomial thinning) and sketches each site. */
  function thinned(clusterPeaks: number[], w: number[], r: () => number): number[][] {
    const site = w.map(() => [] as number[])
    for (const m of clusterPeaks) {
      const k = w.map(() => 0)
      for (let i = 0; i < m; i++) {
        let u = r(), s = 0
        while (s < w.length - 1 && u >= w[s]) u -= w[s++]
        k[s]++
      }
      k.forEach((x, s) => site[s].push(x))
    }
    return site.map((p) => peakSketch(p))
  }
  const q99 = (a: number[]) => a.slice().sort((x, y) => x - y)[Math.floor(0.99 * a.length)]

  it('a timer (the cluster\'s peak always 1) gets cap 1, where adding the sites\' caps says 2 or 3', () => {
    const w = [4 / 7, 2 / 7, 1 / 7]
    const sketches = thinned(new Array(360).fill(1), w, rng(1))
    const d = clusterPeakDistribution(sketches.map((sketch, i) => ({ sketch, share: w[i] })))!
    expect(distributionQuantile(d, 0.99)).toBe(1)
    expect(d.siteMeanSum).toBeCloseTo(1, 9) // each minute exactly one site has it
    const sites = sketches.map((sketch, i) => ({ ...summary(i, [w[i]], [w[i] * (1 - w[i])], [w[i]], [w[i] * (1 - w[i])], 1), peakSketch: sketch, windowInvocations: Math.round(360 * w[i]) }))
    expect(combineSummaries(sites, 1, 0.99).peakCap).toBe(1)
    expect(combineSummaries(sites, 1, 0.99, { cap: 'quadrature' }).peakCap).toBe(2)
    // one site is the cluster: its exact 99th percentile, not a point of the sketch's log-spaced bin
    const peaks = Array.from({ length: 360 }, (_, m) => 17 + (m % 21))
    const one = { ...summary(0, [30], [4], [27], [9], q99(peaks)), peakSketch: peakSketch(peaks), windowInvocations: 9000 }
    expect(q99(peaks)).toBe(37)
    expect(combineSummaries([one], 1, 0.99).peakCap).toBe(37)
    expect(combineSummaries(sites, 1, 0.99, { cap: 'peaks' }).peakCap).toBe(3)
  })

  it('recovers the 99th percentile of a varying cluster peak within 10 %, between the largest site\'s and the sum', () => {
    const r = rng(9)
    for (const [w, scale] of [[[0.5, 0.5], 4], [[4 / 7, 2 / 7, 1 / 7], 30], [[16 / 31, 8 / 31, 4 / 31, 2 / 31, 1 / 31], 200]] as [number[], number][]) {
      // a diurnal-ish level with noise: peaks from 0 to 3 x `scale` (exact bins, log-spaced bins, the normal approximation)
      const cluster = Array.from({ length: 360 }, (_, m) => Math.round(scale * (1 + Math.sin(m / 40)) * (0.5 + r())))
      const sketches = thinned(cluster, w, r)
      const est = distributionQuantile(clusterPeakDistribution(sketches.map((sketch, i) => ({ sketch, share: w[i] })))!, 0.99)
      const truth = q99(cluster)
      expect(Math.abs(est - truth) / truth).toBeLessThan(0.1)
      // the honest range: at least the largest site's own quantile, at most the sum of the sites' quantiles
      const siteQ = sketches.map((sk) => distributionQuantile(clusterPeakDistribution([{ sketch: sk, share: 1 }])!, 0.99))
      expect(est).toBeGreaterThanOrEqual(Math.max(...siteQ))
      expect(est).toBeLessThanOrEqual(siteQ.reduce((a, b) => a + b, 0))
    }
    expect(clusterPeakDistribution([{ sketch: peakSketch([]), share: 1 }, { sketch: peakSketch([3, 4]), share: 0 }])).toBeUndefined()
    expect(distributionQuantile(clusterPeakDistribution([{ sketch: peakSketch([0, 0]), share: 1 }])!, 0.99)).toBe(0)
  })
})

describe('sites missing steps or offline', () => {
  const steps = (x: number[]) => x
  it('a missing step continues from the site\'s last step with its variance grown; output stays finite', () => {
    const a = { ...summary(0, steps([10, 10, 10]), steps([4, 5, 6])), windowInvocations: 600 }
    const b = { ...summary(1, steps([5, NaN, NaN]), steps([1, NaN, NaN])), windowInvocations: 300 } // steps 1 and 2 missing
    const c = { ...summary(2, steps([2]), steps([1])), windowInvocations: 120 } // a short summary: one step
    const f = combineSummaries([a, b, c], 3, 0.99, { variance: 'independent', peaks: 'sum', cap: 'peaks', rates: 'sum' })
    expect(f.rateMean).toEqual([17, 17, 17])
    const z = normalQuantile(0.995)
    expect(f.rateUpper[0] - f.rateMean[0]).toBeCloseTo(z * Math.sqrt(4 + 1 + 1), 9)
    expect(f.rateUpper[2] - f.rateMean[2]).toBeCloseTo(z * Math.sqrt(6 + (1 + 2 * 1) + (1 + 2 * 1)), 9)
    for (const x of [...f.rateUpper, ...f.peakUpper, ...f.peakMean, f.peakCap]) expect(Number.isFinite(x)).toBe(true)
    // a site with no usable step at all is left out, not counted as zero demand nor NaN
    const none = { ...summary(3, [NaN, NaN, NaN], [NaN, NaN, NaN]), windowInvocations: 5 }
    expect(combineSummaries([a, none], 3, 0.99, { peaks: 'sum', cap: 'peaks', rates: 'sum' }).rateMean).toEqual([10, 10, 10])
  })

  it('a stale summary is aligned by its fromMinute and dropped past maxStaleMinutes', () => {
    const fresh = { ...summary(0, [10, 11, 12], [1, 1, 1]), fromMinute: 100 }
    const stale = { ...summary(1, [1, 2, 3], [0.5, 0.5, 0.5]), fromMinute: 98 } // shipped 2 minutes earlier
    const f = combineSummaries([fresh, stale], 3, 0.99, { peaks: 'sum', cap: 'peaks', variance: 'independent', rates: 'sum' }, 100)
    expect(f.rateMean).toEqual([13, 14, 15]) // its steps 2 (= minute 100), then its last step carried on
    const old = { ...stale, fromMinute: 100 - 61 }
    expect(combineSummaries([fresh, old], 3, 0.99, { rates: 'sum' }, 100).rateMean).toEqual([10, 11, 12])
    expect(combineSummaries([fresh, old], 3, 0.99, { maxStaleMinutes: 120, rates: 'sum' }, 100).rateMean[0]).toBe(13)
  })

  it('a site cut off from control: its last summary stands in until it is too old, and nothing is shipped meanwhile', () => {
    const cut = { from: 200, to: 300 }
    const shipped: SiteSummary[] = []
    const src = new FederatedFitSource('fn', 3, new EwmaForecaster(), (_fn, s) => shipped.push(s), { rates: 'sum' }, (site, minute) => site === 1 && minute >= cut.from && minute < cut.to)
    const r = rng(4)
    let m = 0
    const fits: { minute: number; rate: number }[] = []
    for (; m < 360; m++) {
      for (let i = 0; i < 30; i++) src.record(m * 60_000 + i * 1_900 + r() * 100, 400)
      if (m % 5 === 4) {
        const before = shipped.length
        const f = src.fit(m + 1, 6, 0.99, 360, 5)
        fits.push({ minute: m + 1, rate: f.rateMean[0] })
        const fromSite1 = shipped.slice(before).filter((s) => s.site === 1).length
        expect(fromSite1).toBe(m + 1 >= cut.from && m + 1 < cut.to ? 0 : 1)
        for (const x of [...f.rateMean, ...f.rateUpper, ...f.peakUpper, f.peakCap]) expect(Number.isFinite(x)).toBe(true)
      }
    }
    const at = (minute: number) => fits.find((x) => x.minute === minute)!.rate
    expect(at(240)).toBeGreaterThan(25) // the offline site's stale share still counts
    expect(at(270)).toBeLessThan(25) // past maxStaleMinutes (60) it is left out: the other sites' share alone
    expect(at(270)).toBeGreaterThan(15)
    expect(at(320)).toBeGreaterThan(25) // back online
  })
})

describe('bad summaries', () => {
  it('control refuses a malformed summary with a clear error', () => {
    const good = summary(0, [1], [1])
    expect(() => validateSummary(good)).not.toThrow()
    expect(() => combineSummaries([{ ...good, peakSketch: [1, 2, 3] }], 1, 0.99)).toThrow('site 0 sent a bad summary: peakSketch must have 49 bins')
    expect(() => combineSummaries([{ ...good, rateVar: [-1] }], 1, 0.99)).toThrow('site 0 sent a bad summary: rateVar has -1')
    expect(() => combineSummaries([{ ...good, peakMean: [-1] }], 1, 0.99)).toThrow('site 0 sent a bad summary: peakMean has -1')
    // a rate mean is signed (a site's level below its seasonal baseline), but finite
    expect(() => validateSummary({ ...good, rateMean: [-0.02] })).not.toThrow()
    expect(() => combineSummaries([{ ...good, rateMean: [-Infinity] }], 1, 0.99)).toThrow('site 0 sent a bad summary: rateMean has null')
    expect(() => combineSummaries([{ ...good, windowInvocations: Number.NaN }], 1, 0.99)).toThrow('windowInvocations must be a finite number >= 0, got null')
    expect(() => combineSummaries([{ ...good, peakSketch: good.peakSketch.map((x, i) => (i === 3 ? 0.5 : x)) }], 1, 0.99)).toThrow('peakSketch has 0.5')
    expect(() => combineSummaries([null as unknown as SiteSummary], 1, 0.99)).toThrow('not an object')
  })
})

describe('what leaves a site', () => {
  it('a summary has fixed fields and size, whatever the site\'s traffic: no per-minute or per-invocation history', () => {
    const shipped: SiteSummary[] = []
    const src = new FederatedFitSource('fn', 3, new EwmaForecaster(), (_fn, s) => shipped.push(s))
    const r = rng(3)
    // 6 hours of a busy function, then a fit at minute 360 with a 6-step horizon over a 360-minute window
    for (let m = 0; m < 360; m++) for (let i = 0; i < 20; i++) src.record(m * 60_000 + i * 2_900 + r() * 100, 500)
    src.fit(360, 6, 0.99, 360, 5)
    expect(shipped.length).toBe(3)
    const keys = ['activeMinutes', 'fromMinute', 'meanDurationMs', 'model', 'peakCap', 'peakMean', 'peakSketch', 'peakVar', 'rateMean', 'rateVar', 'site', 'windowInvocations']
    const sizes = new Set<number>()
    for (const s of shipped) {
      expect(Object.keys(s).sort()).toEqual(keys)
      for (const k of ['rateMean', 'rateVar', 'peakMean', 'peakVar'] as const) expect(s[k].length).toBe(6) // the horizon, not the window
      expect(s.peakSketch.length).toBe(PEAK_SKETCH_BINS) // a fixed histogram: minutes per peak value, no order, no times
      expect(s.peakSketch.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(360)
      for (const k of ['activeMinutes', 'fromMinute', 'meanDurationMs', 'peakCap', 'site', 'windowInvocations'] as const) expect(typeof s[k]).toBe('number')
      expect(s.model.length).toBeLessThan(80)
      sizes.add(summaryBytes(s) - s.model.length)
    }
    expect(sizes.size).toBe(1)
    expect([...sizes][0]).toBe(8 * (5 + 4 * 6) + 2 * PEAK_SKETCH_BINS + 1 + 4)
    // no array anywhere in what is shipped is as long as the window (a series would be): the horizon's or the sketch's fixed size
    const longest = (x: unknown): number => (Array.isArray(x) ? Math.max(x.length, ...x.map(longest)) : x && typeof x === 'object' ? Math.max(0, ...Object.values(x).map(longest)) : 0)
    expect(longest(JSON.parse(JSON.stringify(shipped)))).toBe(PEAK_SKETCH_BINS)
    expect(PEAK_SKETCH_BINS).toBeLessThan(60)
    // the same shape and size for a thin site on a short window: nothing grows with traffic or window
    const thin: SiteSummary[] = []
    const src2 = new FederatedFitSource('fn2', 1, new EwmaForecaster(), (_fn, s) => thin.push(s))
    for (let m = 0; m < 90; m += 3) src2.record(m * 60_000 + 5_000, 200)
    src2.fit(90, 6, 0.99, 60, 5)
    expect(thin.length).toBe(1)
    expect(Object.keys(thin[0]).sort()).toEqual(keys)
    expect(summaryBytes(thin[0]) - thin[0].model.length).toBe([...sizes][0])
    // the site-local series stays at the site: the combined rate is the busiest site's shipped rate scaled
    // to the cluster by the shipped invocation counts (rates: 'home'), or the shipped rates added ('sum')
    const f = src.fit(360, 6, 0.99, 360, 5)
    const again = shipped.slice(3)
    const home = again.reduce((x, s) => (s.windowInvocations > x.windowInvocations ? s : x))
    const invocations = again.reduce((x, s) => x + s.windowInvocations, 0)
    expect(f.rateMean[0]).toBeCloseTo((home.rateMean[0] * invocations) / home.windowInvocations, 9)
    expect(combineSummaries(again, 6, 0.99, { rates: 'sum' }, 360).rateMean[0]).toBeCloseTo(again.reduce((x, s) => x + s.rateMean[0], 0), 9)
    expect(f.rateMean[0]).toBeGreaterThan(15)
    expect(f.rateMean[0]).toBeLessThan(25)
  })

  it('one site reproduces central fitting exactly', () => {
    const trace: Trace = { format: 'azure2021', minutes: 240, source: 't', functions: [] }
    const r = rng(11)
    for (let k = 0; k < 3; k++) {
      const starts: number[] = []
      for (let m = 0; m < 240; m++) {
        const n = m % 10 < 4 ? Math.floor(r() * (k + 2) * 3) : 0
        for (let i = 0; i < n; i++) starts.push(m * 60_000 + r() * 60_000)
      }
      starts.sort((x, y) => x - y)
      trace.functions.push({ id: `f${k}`, app: 'a', startsMs: Float64Array.from(starts), durationsMs: new Float64Array(starts.length).fill(800) })
    }
    const forecaster = new EwmaForecaster()
    const c = simulate(trace, new PredictivePolicy({ forecaster }))
    const f1 = simulate(trace, federatedPredictivePolicy(1, { forecaster }))
    expect(f1.coldStarts).toBe(c.coldStarts)
    expect(f1.wasted_gb_s).toBeCloseTo(c.wasted_gb_s, 6)
  })
})

/**
 * Timer functions (one short invocation a minute, at a jittered second) and sparse ones (a few a minute in
 * some hours): the cluster's peak is 1 almost every minute, while every site's own peak is 0 or 1, so adding
 * the sites' caps (even in quadrature) says 2 where central fitting says 1.
 */
function timerTrace(): Trace {
  const trace: Trace = { format: 'azure2021', minutes: 480, source: 'timers', functions: [] }
  const r = rng(5)
  for (let k = 0; k < 4; k++) {
    const starts: number[] = []
    for (let m = 0; m < 480; m++) {
      if (k < 3) starts.push(m * 60_000 + (10 + k) * 1000 + r() * 2000) // timer
      else if (Math.floor(m / 60) % 2 === 0) for (let i = 0; i < 3; i++) starts.push(m * 60_000 + r() * 60_000)
    }
    starts.sort((x, y) => x - y)
    trace.functions.push({ id: `timer-${k}`, app: 'a', startsMs: Float64Array.from(starts), durationsMs: new Float64Array(starts.length).fill(300) })
  }
  return trace
}

describe('the arrival rate the policy reads (regression: summed site rates held timers warm between ticks)', () => {
  // A timer every 5 minutes split over 3 sites (shares 4/7, 2/7, 1/7), as fitted at minute 703 of a tune-half
  // function of the shared trace: the busiest site's seasonal fit puts 0 between ticks, a thin site's flat
  // (tsb) fit a small rate in every minute. The policy holds an instance through a minute whose chance of an
  // arrival, 1 - exp(-rate), reaches the hold threshold (1.5 % at 128 MiB and 500 GB-s a cold start).
  const sites: SiteSummary[] = [
    { ...summary(0, [0, 0, 0.466, 0, 0, 0], [0.048, 0.048, 0.051, 0.048, 0.048, 0.048]), windowInvocations: 43, model: 'ets(A,N,A)[4,20]' },
    { ...summary(1, [0.016, 0.016, 0.516, 0.016, 0.016, 0.016], new Array(6).fill(0.031)), windowInvocations: 22, model: 'ets(A,N,A)[5,75]' },
    { ...summary(2, new Array(6).fill(0.014), new Array(6).fill(0.019)), windowInvocations: 7, model: 'tsb' },
  ]
  const threshold = holdThreshold(DEFAULT_COLD_START_COST_GB_S, 128)
  it('between ticks the combined chance of an arrival stays below the hold threshold; at the tick it is about 1 invocation', () => {
    // these sites detected their own seasons and shipped clipped means (before the season agreement): the
    // busiest site's rate, scaled, is the rule for them
    const f = combineSummaries(sites, 6, 0.99, { rates: 'home' })
    for (const h of [0, 1, 3, 4, 5]) expect(1 - Math.exp(-f.rateMean[h])).toBeLessThan(threshold)
    expect(f.rateMean[2]).toBeGreaterThan(0.7)
    expect(f.rateMean[2]).toBeLessThan(1.3)
    // the busiest site's rate scaled by the cluster's invocations over its own (72 / 43)
    expect(f.rateMean[2]).toBeCloseTo((0.466 * 72) / 43, 9)
    // the sites' rates added (the old rule) put every minute between ticks above the threshold
    const summed = combineSummaries(sites, 6, 0.99, { rates: 'sum' })
    for (const h of [0, 1, 3, 4, 5]) expect(1 - Math.exp(-summed.rateMean[h])).toBeGreaterThanOrEqual(threshold)
  })

  it('5- and 7-minute timers split over 3 sites: far less idle memory than with the sites\' rates added, at no more cold starts', () => {
    const trace: Trace = { format: 'azure2021', minutes: 720, source: 'ticks', functions: [] }
    const r = rng(21)
    for (const [k, period] of [[0, 5], [1, 5], [2, 7]]) {
      const starts: number[] = []
      for (let m = 0; m < 720; m++) if (m % period === k % period) starts.push(m * 60_000 + 20_000 + r() * 3000)
      trace.functions.push({ id: `tick-${k}`, app: 'a', startsMs: Float64Array.from(starts), durationsMs: new Float64Array(starts.length).fill(500) })
    }
    const central = simulate(trace, new PredictivePolicy())
    const fed = simulate(trace, federatedPredictivePolicy(3))
    const summed = simulate(trace, federatedPredictivePolicy(3, {}, undefined, { rates: 'sum' }))
    expect(fed.coldStarts).toBeLessThanOrEqual(central.coldStarts)
    expect(fed.wasted_gb_s).toBeLessThan(0.6 * summed.wasted_gb_s)
  }, 60_000)
})

describe('the season the sites agree on (regression: the timers\' leak between ticks)', () => {
  // A 5-minute timer of the tune half split over 2 sites (shares 2/3, 1/3), fitted at minute 646 with the
  // agreed season [5]: each site's level moved with its last tick (a hit raised the busiest site's, the same
  // tick's miss lowered the other's), so the busiest site's forecast puts 0.021/min between ticks, 0.031/min
  // scaled to the cluster: above the hold threshold in every minute between ticks, where central fitting puts 0.
  const sites: SiteSummary[] = [
    { ...summary(0, [0.021, 0.021, 0.021, 0.021, 0.771, 0.021], new Array(6).fill(0.03)), windowInvocations: 51, model: 'ets(A,N,A)[5] / ets(A,N,A)[5]' },
    { ...summary(1, [-0.023, -0.023, -0.023, -0.023, 0.227, -0.023], new Array(6).fill(0.03), [0, 0, 0, 0, 0.227, 0], new Array(6).fill(0.03)), windowInvocations: 22, model: 'ets(A,N,A)[5] / ets(A,N,A)[5]' },
  ]
  const threshold = holdThreshold(DEFAULT_COLD_START_COST_GB_S, 128)
  it('the sites\' signed means add: the split\'s noise cancels between ticks; the tick keeps about 1 invocation', () => {
    const f = combineSummaries(sites, 6, 0.99)
    for (const h of [0, 1, 2, 3, 5]) expect(1 - Math.exp(-f.rateMean[h])).toBeLessThan(threshold)
    expect(f.rateMean[4]).toBeGreaterThan(0.9)
    expect(f.rateMean[4]).toBeLessThan(1.1)
    // the busiest site's rate scaled up (the rule before) holds an instance in every minute between ticks
    const home = combineSummaries(sites, 6, 0.99, { rates: 'home' })
    for (const h of [0, 1, 2, 3, 5]) expect(1 - Math.exp(-home.rateMean[h])).toBeGreaterThanOrEqual(threshold)
  })

  it('sites fit one season: the one whose AICs, added over the sites, are lowest', () => {
    // a 5-minute timer with a little jitter, thinned over 2 sites
    const fn = 'tick-agree'
    const r = rng(9)
    const agreed: SiteSummary[] = []
    const src = new FederatedFitSource(fn, 2, new EtsForecaster(), (_fn, s) => agreed.push(s))
    for (let m = 0; m < 360; m++) if (m % 5 === 2) src.record(m * 60_000 + 20_000 + r() * 3000, 500)
    const season = src.agreeSeason(360, 360, 3, 6, 0.99)
    expect(season).toBeDefined()
    expect(season!.length).toBeGreaterThan(0)
    expect(season!.every((m) => m % 5 === 0)).toBe(true)
    src.fit(360, 6, 0.99, 360, 5)
    expect(agreed.length).toBe(2)
    const bracket = (s: SiteSummary) => /\[[\d,]+\]/.exec(s.model)?.[0]
    expect(bracket(agreed[0])).toBe(`[${season!.join(',')}]`)
    expect(bracket(agreed[1])).toBe(bracket(agreed[0]))
    // the agreement's messages count in what leaves a site
    const stats = { summaries: 0, bytes: 0 }
    const policy = federatedPredictivePolicy(2, {}, stats)
    const trace: Trace = { format: 'azure2021', minutes: 60, source: 'x', functions: [{ id: fn, app: 'a', startsMs: Float64Array.from({ length: 12 }, (_, i) => i * 300_000 + 20_000), durationsMs: new Float64Array(12).fill(500) }] }
    simulate(trace, policy)
    expect(stats.bytes).toBeGreaterThan(0)
  })

  it('one site has nothing to agree on: with the kernel\'s forecaster it reproduces central fitting exactly', () => {
    const lines = readFileSync(join(AZ, 'azure2019_100fn_per_minute.csv'), 'utf8').split('\n')
    const trace = parseTrace(lines.slice(0, 13).join('\n') + '\n') // header + 12 functions
    trimTrace(trace, 600)
    const central = simulate(trace, new PredictivePolicy())
    const one = simulate(trace, federatedPredictivePolicy(1))
    expect(central.invocations).toBeGreaterThan(500)
    expect(one.coldStarts).toBe(central.coldStarts)
    expect(one.wasted_gb_s).toBe(central.wasted_gb_s)
  }, 60_000)

  it('4-, 5- and 7-minute timers split over 2 sites: at most 1.5x the idle memory of central fitting (2.24x with each site\'s own season and the busiest site\'s rate), at no more cold starts', () => {
    const trace: Trace = { format: 'azure2021', minutes: 720, source: 'ticks', functions: [] }
    const r = rng(21)
    for (const [k, period] of [[0, 5], [1, 5], [2, 7], [3, 4]]) {
      const starts: number[] = []
      for (let m = 0; m < 720; m++) if (m % period === k % period) starts.push(m * 60_000 + 20_000 + r() * 3000)
      trace.functions.push({ id: `tick-${k}`, app: 'a', startsMs: Float64Array.from(starts), durationsMs: new Float64Array(starts.length).fill(500) })
    }
    const central = simulate(trace, new PredictivePolicy())
    const fed = simulate(trace, federatedPredictivePolicy(2))
    expect(fed.coldStarts).toBeLessThanOrEqual(central.coldStarts)
    expect(fed.wasted_gb_s).toBeLessThanOrEqual(1.5 * central.wasted_gb_s)
  }, 60_000)
})

describe('the cluster\'s active minutes (regression: a sparse function spread over sites had no forecast at all)', () => {
  // Held-out half of the shared trace, 3 sites: 18 more cold starts than central fitting, almost all in sparse
  // irregular functions (13-240 invocations a day) whose forecast said "no site active": the cluster had the
  // 5 active minutes central fitting needs, no single site had, and every site needed 5 before it fitted.
  it('8 irregular single invocations, at most 3 per site: the combined fit covers the function, as central fitting does', () => {
    const minutes = [12, 47, 103, 151, 198, 240, 287, 331]
    const fn = 'sparse-12'
    const perSite = [0, 0, 0]
    for (const m of minutes) perSite[siteOf(fn, m * 60_000 + 17_000, 3)]++
    expect(Math.max(...perSite)).toBeLessThan(5) // no site alone has the active minutes central fitting needs
    const shipped: SiteSummary[] = []
    const src = new FederatedFitSource(fn, 3, new EtsForecaster(), (_fn, s) => shipped.push(s))
    for (const m of minutes) src.record(m * 60_000 + 17_000, 400)
    const counts = new Array<number>(360).fill(0)
    for (const m of minutes) counts[m] = 1
    const central = fitSeries(counts, counts, new EtsForecaster(), 6, 0.99, 5)
    expect(central.rateMean.length).toBe(6)
    const f = src.fit(360, 6, 0.99, 360, 5)
    expect(f.activeMinutes).toBeGreaterThanOrEqual(5)
    expect(f.rateMean.length).toBe(6)
    expect(f.model).toMatch(/^federated/)
    // the rate is the cluster's order of magnitude (8 invocations in 360 minutes), not a site's share of it
    expect(central.rateMean[0]).toBeGreaterThan(0.005)
    expect(f.rateMean[0]).toBeGreaterThan(0.5 * central.rateMean[0])
    expect(f.rateMean[0]).toBeLessThan(2 * central.rateMean[0])
    // what leaves a site is still only the fixed-size summaries, from the sites with 3 or more active minutes
    expect(shipped.length).toBe(perSite.filter((c) => c >= 3).length)
    for (const s of shipped) expect(s.activeMinutes).toBeGreaterThanOrEqual(3)
  })

  it('one site is its own count; minutes active at one site each add; a minute that reached several sites counts once', () => {
    expect(clusterActiveMinutes([{ activeMinutes: 7, windowInvocations: 20 }], 360)).toBe(7)
    // every invocation alone in its minute: the sites' counts add
    expect(clusterActiveMinutes([{ activeMinutes: 4, windowInvocations: 4 }, { activeMinutes: 2, windowInvocations: 2 }, { activeMinutes: 1, windowInvocations: 1 }], 360)).toBe(7)
    // 40 active minutes of 4 invocations each, thinned over 3 sites (4/7, 2/7, 1/7): the sites' counts add to
    // about twice the cluster's
    const r = rng(17)
    const shares = [4 / 7, 2 / 7, 1 / 7]
    const sites = shares.map(() => ({ activeMinutes: 0, windowInvocations: 0 }))
    for (let m = 0; m < 40; m++) {
      const hit = new Set<number>()
      for (let i = 0; i < 4; i++) {
        const u = r()
        const s = u < shares[0] ? 0 : u < shares[0] + shares[1] ? 1 : 2
        sites[s].windowInvocations++
        hit.add(s)
      }
      for (const s of hit) sites[s].activeMinutes++
    }
    const summed = sites.reduce((a, s) => a + s.activeMinutes, 0)
    expect(summed).toBeGreaterThan(70)
    const est = clusterActiveMinutes(sites, 360)
    expect(est).toBeGreaterThanOrEqual(34)
    expect(est).toBeLessThanOrEqual(46)
    // never below the busiest site's count, never above the invocations or the window
    expect(clusterActiveMinutes([{ activeMinutes: 5, windowInvocations: 50 }, { activeMinutes: 1, windowInvocations: 1 }], 360)).toBeGreaterThanOrEqual(5)
    expect(clusterActiveMinutes([{ activeMinutes: 30, windowInvocations: 30 }, { activeMinutes: 30, windowInvocations: 30 }], 40)).toBe(40)
    expect(clusterActiveMinutes([], 360)).toBe(0)
    expect(() => clusterActiveMinutes([{ activeMinutes: 5, windowInvocations: 5 }], NaN)).toThrow(/windowMinutes/)
  })

  it('refuses a site threshold that is not a whole number of minutes >= 1', () => {
    expect(() => federatedPredictivePolicy(3, {}, undefined, { siteMinActiveMinutes: 0 }).forFunction('f')).toThrow(/siteMinActiveMinutes/)
    expect(() => new FederatedFitSource('f', 3, new EwmaForecaster(), undefined, { siteMinActiveMinutes: 2.5 })).toThrow(/siteMinActiveMinutes/)
  })
})

describe('federated vs central on the policy (regression: summed caps held timers at 2 instances)', () => {
  // The 5 % is measured on the shared trace (jaegis sim --sites, bench:edge). On this small synthetic
  // day summed caps held 1.33x central's idle memory; with the fourth-pass predictive policy it measures
  // 1.054x (the sparse function's idle hours: docs/scheduler.md), so the guard here is 10 %.
  it('timer and sparse functions split over 3 sites hold about the idle memory of central fitting (within 10 %) at no more cold starts', () => {
    const trace = timerTrace()
    const central = simulate(trace, new PredictivePolicy())
    const fed = simulate(trace, federatedPredictivePolicy(3))
    expect(central.invocations).toBeGreaterThan(1400)
    expect(fed.coldStarts).toBeLessThanOrEqual(Math.ceil(central.coldStarts * 1.05))
    expect(fed.wasted_gb_s).toBeLessThanOrEqual(central.wasted_gb_s * 1.1)
  }, 60_000)
})

describe('jaegis sim --sites', () => {
  it('reports central and federated fitting and their ratios; without --sites the output is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-fed-'))
    const lines = readFileSync(join(AZ, 'azure2019_100fn_per_minute.csv'), 'utf8').split('\n')
    writeFileSync(join(dir, 'small.csv'), lines.slice(0, 9).join('\n') + '\n') // header + 8 functions
    const ctx = captureContext(dir)
    expect(await sim.run(['--trace', 'small.csv', '--policy', 'fixed', '--minutes', '180', '--sites', '3', '--json'], ctx)).toBe(0)
    const out = JSON.parse(ctx.lines[0])
    const f = out.federated
    expect(f.sites).toBe(3)
    expect(f.central.invocations).toBe(f.federated.invocations)
    expect(f.central.invocations).toBeGreaterThan(100)
    expect(f.federated_cold_start_ratio).toBeCloseTo(f.federated.cold_starts / f.central.cold_starts, 3)
    expect(f.federated_memory_ratio).toBeCloseTo(f.federated.wasted_gb_s / f.central.wasted_gb_s, 3)
    expect(f.shipped_summaries).toBeGreaterThan(0)
    expect(f.shipped_bytes).toBeGreaterThan(f.shipped_summaries * 200)
    expect(Object.keys(out.policies)).toEqual(['fixed'])
    const plain = captureContext(dir)
    expect(await sim.run(['--trace', 'small.csv', '--policy', 'fixed', '--minutes', '180', '--json'], plain)).toBe(0)
    expect(Object.keys(JSON.parse(plain.lines[0]))).toEqual(['trace', 'policies'])
    const text = captureContext(dir)
    expect(await sim.run(['--trace', 'small.csv', '--policy', 'fixed', '--minutes', '180', '--sites', '2'], text)).toBe(0)
    expect(text.lines.at(-1)).toMatch(/^federated over 2 sites \(predictive\): central \d+ cold starts/)
  }, 60_000)
})
