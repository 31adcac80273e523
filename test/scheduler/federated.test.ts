// Federated forecasting (issue 17): the combiner (merged histograms, summed means, interval widths), that
// what a site ships holds no per-minute or per-invocation history, and a small `jaegis sim --sites` run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { normalQuantile } from '../../kernels/forecast/index.js'
import {
  combineSummaries, EwmaForecaster, FederatedFitSource, IdleTimeHistogram, mergeHistograms, PredictivePolicy, federatedPredictivePolicy,
  simulate, siteOf, summaryBytes, type SiteSummary, type Trace,
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
  return { site, activeMinutes: 50, rateMean, rateVar, peakMean, peakVar, peakCap, meanDurationMs: 1000, model: 'test' }
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
    const f = combineSummaries([a, b, c], 3, 0.99, { variance: 'independent' })
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
    const f = combineSummaries(split, 1, 0.99, { variance: 'thinned' })
    expect(f.rateMean[0]).toBeCloseTo(10, 9)
    expect(f.rateUpper[0]).toBeCloseTo(10, 9) // no spread: the cluster's series is constant
    expect(combineSummaries(split, 1, 0.99, { variance: 'independent' }).rateUpper[0]).toBeGreaterThan(15)
    // A demand with variance 25 split the same way: site variance w^2 x 25 + split noise.
    const noisy = w.map((x, i) => summary(i, [10 * x], [x * x * 25 + 10 * x * (1 - x)]))
    const g = combineSummaries(noisy, 1, 0.99, { variance: 'thinned' })
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

describe('what leaves a site', () => {
  it('a summary has fixed fields and size, whatever the site\'s traffic: no per-minute or per-invocation history', () => {
    const shipped: SiteSummary[] = []
    const src = new FederatedFitSource('fn', 3, new EwmaForecaster(), (_fn, s) => shipped.push(s))
    const r = rng(3)
    // 6 hours of a busy function, then a fit at minute 360 with a 6-step horizon over a 360-minute window
    for (let m = 0; m < 360; m++) for (let i = 0; i < 20; i++) src.record(m * 60_000 + i * 2_900 + r() * 100, 500)
    src.fit(360, 6, 0.99, 360, 5)
    expect(shipped.length).toBe(3)
    const keys = ['activeMinutes', 'meanDurationMs', 'model', 'peakCap', 'peakMean', 'peakVar', 'rateMean', 'rateVar', 'site']
    const sizes = new Set<number>()
    for (const s of shipped) {
      expect(Object.keys(s).sort()).toEqual(keys)
      for (const k of ['rateMean', 'rateVar', 'peakMean', 'peakVar'] as const) expect(s[k].length).toBe(6) // the horizon, not the window
      for (const k of ['activeMinutes', 'meanDurationMs', 'peakCap', 'site'] as const) expect(typeof s[k]).toBe('number')
      expect(s.model.length).toBeLessThan(80)
      sizes.add(summaryBytes(s) - s.model.length)
    }
    expect(sizes.size).toBe(1)
    expect([...sizes][0]).toBe(8 * (3 + 4 * 6) + 1 + 4)
    // no array anywhere in what is shipped is longer than the horizon
    const longest = (x: unknown): number => (Array.isArray(x) ? Math.max(x.length, ...x.map(longest)) : x && typeof x === 'object' ? Math.max(0, ...Object.values(x).map(longest)) : 0)
    expect(longest(JSON.parse(JSON.stringify(shipped)))).toBe(6)
    // the site-local series stays at the site: the combined fit sums what was shipped
    const f = src.fit(360, 6, 0.99, 360, 5)
    expect(f.rateMean[0]).toBeCloseTo(shipped.slice(3).reduce((x, s) => x + s.rateMean[0], 0), 9)
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
