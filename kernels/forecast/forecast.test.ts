// Unit tests of the forecast kernel on synthetic series whose right answer is known: season
// detection, ETS fits, intermittent models, intervals, CSV parsing and input errors.
import { describe, expect, it } from 'vitest'
import { detectSeasons, fillMissing, forecast, ForecastInputError, mase, normalQuantile, parseSeriesCsv, refitOptions, SeriesFormatError, sharedKernel, smape } from './index.js'
import { continueTimestamps } from './timestamps.js'
import { robustCopy, select } from './detect.js'
import { seededRng } from './synthetic.js'

/** Deterministic pseudo-random numbers (mulberry32) and standard normals (Box-Muller). */
const rng = seededRng

function seasonal(n: number, periods: number[], amps: number[], noise: number, seed = 1, level = 100, slope = 0): Float64Array {
  const r = rng(seed)
  return Float64Array.from({ length: n }, (_, t) => level + slope * t + periods.reduce((s, p, i) => s + amps[i] * Math.sin((2 * Math.PI * t) / p), 0) + noise * r.normal())
}

describe('metrics', () => {
  it('sMAPE and MASE match hand-computed values', () => {
    expect(smape([100, 200], [110, 180])).toBeCloseTo((100 * (10 / 105 + 20 / 190)) / 2, 10)
    expect(smape([0, 0], [0, 0])).toBe(0)
    expect(mase([3, 5], [4, 4], [1, 2, 3, 4], 1)).toBeCloseTo(1, 12)
    expect(() => smape([1], [1, 2])).toThrow(RangeError)
  })

  it('normalQuantile matches known quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5)
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9)
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5)
  })
})

describe('autocorrelation and season detection', () => {
  it('the FFT autocorrelation equals the direct sum (bias-adjusted by n / (n - lag))', () => {
    const k = sharedKernel()
    for (const n of [97, 1440]) {
      const x = seasonal(n, [7], [3], 1, n)
      k.load(x, 1)
      const maxLag = Math.floor(n / 3)
      k.exports.acf(n, maxLag, 0)
      const got = k.heapF64().slice((k.exports.acfPtr.value as number) / 8, (k.exports.acfPtr.value as number) / 8 + maxLag + 1)
      const mean = x.reduce((a, b) => a + b, 0) / n
      let c0 = 0
      for (const v of x) c0 += (v - mean) ** 2
      for (const lag of [0, 1, 7, 13, maxLag]) {
        let s = 0
        for (let t = lag; t < n; t++) s += (x[t] - mean) * (x[t - lag] - mean)
        expect(got[lag]).toBeCloseTo((s / c0) * (n / (n - lag)), 10)
      }
    }
  })

  it('finds one period, two nested periods, and none in white noise', () => {
    expect(detectSeasons(seasonal(600, [24], [10], 2))).toEqual([24])
    expect(detectSeasons(seasonal(24 * 7 * 6, [24, 168], [10, 6], 1))).toEqual([24, 168])
    expect(detectSeasons(seasonal(1000, [], [], 1, 7))).toEqual([])
  })

  it('does not depend on the scale of the values', () => {
    const base = seasonal(400, [24], [1], 0.05, 2, 2)
    expect(detectSeasons(base.map((v) => v * 1e-9))).toEqual([24])
    expect(detectSeasons(base.map((v) => v * 1e12))).toEqual([24])
    const tiny = forecast(base.map((v) => v * 1e-9), { horizon: 24 })
    expect(smape(tiny.mean, forecast(base, { horizon: 24 }).mean.map((v) => v * 1e-9))).toBeLessThan(1)
  })

  it('select finds the k-th smallest value as a sort would (ties, sorted, reversed input)', () => {
    const r = rng(7)
    const cases: Float64Array[] = [
      Float64Array.from({ length: 101 }, () => r.normal()),
      Float64Array.from({ length: 200 }, () => Math.floor(4 * r.uniform())), // many ties
      Float64Array.from({ length: 50 }, (_, i) => i),
      Float64Array.from({ length: 51 }, (_, i) => -i),
      Float64Array.of(3),
    ]
    for (const a of cases) {
      const sorted = a.slice().sort()
      for (const k of [0, a.length >> 1, a.length - 1]) expect(select(a.slice(), k)).toBe(sorted[k])
    }
    // the robust copy clips one spike to median + 5 robust sd and leaves the rest
    const y = Float64Array.from({ length: 99 }, (_, i) => 10 + (i % 3))
    y[50] = 1e6
    const c = robustCopy(y)
    expect(c[0]).toBeCloseTo(Math.log1p(10), 12)
    expect(c[50]).toBeLessThan(Math.log1p(1e6))
    expect(c[50]).toBeGreaterThan(Math.log1p(12))
  })

  it('sees through a strong trend (detects on differences)', () => {
    expect(detectSeasons(seasonal(240, [12], [5], 0.5, 3, 100, 2))).toEqual([12])
  })
})

describe('forecast with ETS', () => {
  it('recovers a seasonal pattern and its continuation', () => {
    const y = seasonal(24 * 30 + 48, [24], [10], 0.5, 11)
    const train = y.subarray(0, y.length - 48)
    const f = forecast(train, { horizon: 48, selection: 'aic' })
    expect(f.seasons).toEqual([24])
    expect(f.model).toMatch(/^ets\(A,(N|Ad|A),(A|M)\)\[24\]$/)
    const truth = y.subarray(y.length - 48)
    expect(smape(truth, f.mean)).toBeLessThan(2)
    for (let i = 0; i < 48; i++) {
      expect(f.lower[i]).toBeLessThanOrEqual(f.mean[i])
      expect(f.upper[i]).toBeGreaterThanOrEqual(f.mean[i])
    }
  })

  it('Levenberg-Marquardt (additive, no trend) reaches the SSE Nelder-Mead does, in fewer passes', () => {
    const k = sharedKernel()
    for (const [periods, m1, m2] of [[[24], 24, 1], [[12, 48], 12, 48], [[], 1, 1]] as const) {
      const y = seasonal(1200, [...periods], periods.map(() => 5), 1, 77)
      k.load(y, 1)
      const fit = (lm: number) => {
        k.exports.setUseLm(lm)
        const sse = k.exports.fitEts(y.length, m1, m2, 0, 0, 200, 1e-6, -1, -1, -1, -1, -1)
        return { sse, passes: k.exports.evaluations.value as number }
      }
      const nm = fit(0)
      const lm = fit(1)
      expect(lm.sse).toBeLessThanOrEqual(nm.sse * 1.001)
      expect(lm.passes).toBeLessThan(nm.passes)
    }
    k.exports.setUseLm(1)
  })

  it('the multiplicative recursion (no division on the level chain) gives the SSE and states of the textbook form', () => {
    const k = sharedKernel()
    const ex = k.exports
    for (const [m1, m2, tc] of [[24, 1, 0], [24, 1, 1], [24, 1, 2], [12, 48, 0], [12, 48, 1], [1, 1, 1]] as const) {
      const periods = m2 > 1 ? [m1, m2] : m1 > 1 ? [m1] : []
      const y = seasonal(600, periods, periods.map(() => 20), 3, 5, 100, 0.05)
      k.load(y, 1)
      const sse = ex.fitEts(y.length, m1, m2, tc, 1, 0, 1e-3, 0.3, 0.2, 0.15, 0.1, 0.6)
      // the same recursion written as in Hyndman et al. (q = e / yhat), from the kernel's initial states
      const heap = k.heapF64()
      const s1 = heap.slice((ex.s1InitPtr.value as number) >>> 3, ((ex.s1InitPtr.value as number) >>> 3) + m1)
      const s2 = heap.slice((ex.s2InitPtr.value as number) >>> 3, ((ex.s2InitPtr.value as number) >>> 3) + m2)
      const [a, be, g1, g2, ph] = [ex.alpha, ex.beta, ex.gamma1, ex.gamma2, ex.phi].map((g) => g.value as number)
      let l = ex.L0.value as number, b = tc > 0 ? (ex.B0.value as number) : 0, ref = 0
      const floor = 1e-3 * Math.abs(l) + 1e-300
      for (let t = 0; t < y.length; t++) {
        const i1 = t % m1, i2 = t % m2
        const S = (m1 > 1 ? s1[i1] : 1) * (m2 > 1 ? s2[i2] : 1)
        const base = Math.max(l + ph * b, floor)
        const e = y[t] - base * S
        const q = e / (base * S)
        l = base + a * q * base
        b = ph * b + be * q * base
        if (m1 > 1) s1[i1] = Math.max(s1[i1] + g1 * q * s1[i1], 0.01)
        if (m2 > 1) s2[i2] = Math.max(s2[i2] + g2 * q * s2[i2], 0.01)
        ref += e * e
      }
      expect(Math.abs(sse - ref) / ref).toBeLessThan(1e-9)
      expect(ex.level.value as number).toBeCloseTo(l, 6)
      if (tc > 0) expect(ex.slope.value as number).toBeCloseTo(b, 6)
    }
  })

  it('fitTolerance loosens the ETS stop: fewer SSE passes, nearly the same fit; bad values are rejected', () => {
    const y = seasonal(800, [24], [10], 2, 9, 100, 0.01)
    const tight = forecast(y, { horizon: 24, model: 'ets', season: 24 })
    const loose = forecast(y, { horizon: 24, model: 'ets', season: 24, fitTolerance: 0.03 })
    expect(loose.params.evaluations as number).toBeLessThan(tight.params.evaluations as number)
    expect(loose.params.sigma as number).toBeLessThan((tight.params.sigma as number) * 1.05)
    for (const bad of [0, -1, 1, Number.NaN]) expect(() => forecast(y, { horizon: 24, fitTolerance: bad })).toThrow(ForecastInputError)
  })

  it('extrapolates a linear trend', () => {
    const y = Float64Array.from({ length: 200 }, (_, t) => 10 + 3 * t + Math.sin(t))
    const f = forecast(y, { horizon: 10, season: [], selection: 'aic' })
    expect(f.params.beta as number).toBeGreaterThan(0)
    expect(f.mean[9]).toBeGreaterThan(y[199] + 15)
  })

  it('uses two seasons when given them', () => {
    const y = seasonal(24 * 7 * 8, [24, 168], [10, 6], 1, 5)
    const f = forecast(y, { horizon: 24, season: [168, 24], selection: 'aic' })
    expect(f.seasons).toEqual([24, 168])
    expect((f.params.gamma as number[]).length).toBe(2)
  })

  it('prediction intervals of a local-level model cover about 95% one step ahead', () => {
    let inside = 0
    const runs = 150
    for (let s = 0; s < runs; s++) {
      const r = rng(100 + s)
      let level = 50
      const y = new Float64Array(301)
      for (let t = 0; t < y.length; t++) { level += 0.5 * r.normal(); y[t] = level + r.normal() }
      const f = forecast(y.subarray(0, 300), { horizon: 1, season: [], trend: 'none' })
      if (y[300] >= f.lower[0] && y[300] <= f.upper[0]) inside++
    }
    expect(inside / runs).toBeGreaterThan(0.88)
    expect(inside / runs).toBeLessThan(0.995)
  })

  it('interval widths grow with the horizon and with the level', () => {
    const y = seasonal(500, [20], [5], 1, 9)
    const f95 = forecast(y, { horizon: 40 })
    const f80 = forecast(y, { horizon: 40, level: 0.8 })
    const w = (f: typeof f95, i: number) => f.upper[i] - f.lower[i]
    expect(w(f95, 39)).toBeGreaterThan(w(f95, 0))
    expect(w(f80, 10)).toBeLessThan(w(f95, 10))
  })

  it('a warm start from a previous fit gives the same model', () => {
    const y = seasonal(24 * 20, [24], [10], 1, 21)
    const a = forecast(y, { horizon: 12 })
    const b = forecast(y, { horizon: 12, warmStart: a.params.warmStart as number[] })
    expect(b.model).toBe(a.model)
    expect(smape(a.mean, b.mean)).toBeLessThan(1)
  })

  it('refitOptions refits the same model a minute later with fewer evaluations', () => {
    const y = seasonal(24 * 30, [24], [10], 1, 31)
    const first = forecast(y.subarray(0, y.length - 1), { horizon: 12, selection: 'aic' })
    const full = forecast(y.subarray(1), { horizon: 12, selection: 'aic' })
    const opts = refitOptions(first)
    expect(opts.season).toEqual(first.seasons)
    const refit = forecast(y.subarray(1), { horizon: 12, ...opts })
    expect(refit.model).toBe(first.model)
    expect(refit.params.evaluations as number).toBeLessThan(full.params.evaluations as number)
    expect(smape(full.mean, refit.mean)).toBeLessThan(2)
    const sparse = Float64Array.from({ length: 500 }, (_, t) => (t % 7 === 3 && t % 3 === 0 ? 2 : 0))
    expect(refitOptions(forecast(sparse, { horizon: 3, model: 'tsb' }))).toEqual({ model: 'tsb', season: [] })
  })

  it('clamps at zero for non-negative data and fills missing values', () => {
    const y = Float64Array.from({ length: 100 }, (_, t) => Math.max(0, 5 - t * 0.05))
    const f = forecast(y, { horizon: 50, season: [], trend: 'linear', selection: 'aic' })
    expect(Math.min(...f.mean, ...f.lower)).toBeGreaterThanOrEqual(0)
    const gappy = seasonal(300, [10], [4], 0.2, 4)
    gappy[100] = NaN; gappy[101] = NaN
    expect(Array.from(fillMissing([NaN, 1, NaN, 3, NaN]))).toEqual([1, 1, 2, 3, 3])
    expect(forecast(gappy, { horizon: 5 }).mean.every(Number.isFinite)).toBe(true)
  })

  it('seasonal naive repeats the last cycle', () => {
    const y = seasonal(100, [10], [4], 0.3, 8)
    const f = forecast(y, { horizon: 15, model: 'snaive', season: 10, nonNegative: false })
    for (let k = 0; k < 15; k++) expect(f.mean[k]).toBe(y[90 + (k % 10)])
    expect(f.upper[14] - f.lower[14]).toBeGreaterThan(f.upper[0] - f.lower[0])
  })
})

describe('intermittent series', () => {
  const r = rng(42)
  const sparse = Float64Array.from({ length: 1440 }, () => (r.uniform() < 0.1 ? 1 + Math.floor(r.uniform() * 5) : 0))

  it('auto picks TSB and forecasts about the mean demand rate', () => {
    const f = forecast(sparse, { horizon: 10, selection: 'aic' })
    expect(f.model).toBe('tsb')
    const rate = sparse.reduce((a, b) => a + b, 0) / sparse.length
    expect(f.mean[0]).toBeGreaterThan(rate * 0.4)
    expect(f.mean[0]).toBeLessThan(rate * 2.5)
    expect(f.lower[0]).toBeGreaterThanOrEqual(0)
  })

  it('TSB decays towards zero after a long idle stretch; Croston does not', () => {
    const idle = Float64Array.from(sparse)
    idle.fill(0, 1100)
    const tsb = forecast(idle, { horizon: 1, model: 'tsb' })
    const croston = forecast(idle, { horizon: 1, model: 'croston' })
    expect(tsb.mean[0]).toBeLessThan(croston.mean[0])
  })

  it('a periodic timer-like series gets a seasonal model', () => {
    const timer = Float64Array.from({ length: 1440 }, (_, t) => (t % 15 === 0 ? 4 : 0))
    const f = forecast(timer, { horizon: 30, selection: 'aic' })
    expect(f.seasons).toContain(15)
    // the next minute (1440) and every 15th after it fire
    expect(f.mean[0]).toBeGreaterThan(3)
    expect(f.mean[15]).toBeGreaterThan(3)
    expect(f.mean[7]).toBeLessThan(1)
  })
})

describe('bad input', () => {
  it('rejects empty, infinite, all-missing values and bad options with ForecastInputError', () => {
    expect(() => forecast([], { horizon: 1 })).toThrow(ForecastInputError)
    expect(() => forecast([1, Infinity, 2], { horizon: 1 })).toThrow(/infinite/)
    expect(() => forecast([NaN, NaN], { horizon: 1 })).toThrow(/missing/)
    expect(() => forecast([1, 2, 3], { horizon: 0 })).toThrow(/horizon/)
    expect(() => forecast([1, 2, 3], { horizon: 1, level: 1 })).toThrow(/level/)
    expect(() => forecast([1, 2, 3], { horizon: 1, season: 0 })).toThrow(/season/)
    expect(() => forecast([1, 2, 3], { horizon: 1, model: 'prophet' as 'auto' })).toThrow(/model must be/)
    expect(() => forecast([1, 2, 3], { horizon: 1, trend: 'cubic' as 'none' })).toThrow(/trend must be/)
    expect(() => forecast([1, -2, 3], { horizon: 1, model: 'tsb' })).toThrow(/non-negative/)
    expect(() => forecast([1, 0, 3, 4], { horizon: 1, model: 'ets-multiplicative', season: 2 })).toThrow(/positive/)
  })

  it('a single value still forecasts (flat)', () => {
    const f = forecast([7], { horizon: 3 })
    expect(Array.from(f.mean)).toEqual([7, 7, 7])
  })
})

describe('CSV and timestamps', () => {
  it('parses LF, CRLF and bare-CR files with or without a header', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const s = parseSeriesCsv(['ds,y', '2020-01-01,1', '2020-01-02,2.5', ''].join(eol))
      expect(Array.from(s.values)).toEqual([1, 2.5])
      expect(s.timestamps).toEqual(['2020-01-01', '2020-01-02'])
    }
    expect(Array.from(parseSeriesCsv('a,1\nb,2\n').values)).toEqual([1, 2])
    expect(parseSeriesCsv('t,v\n1,NaN\n2,\n3,4').values[0]).toBeNaN()
  })

  it('names the line of a bad value', () => {
    expect(() => parseSeriesCsv('t,v\n1,2\n2,abc\n')).toThrow(SeriesFormatError)
    expect(() => parseSeriesCsv('t,v\n1,2\n2,abc\n')).toThrow(/line 3/)
    expect(() => parseSeriesCsv('t,v\n')).toThrow(/no data rows/)
  })

  it('continues fixed-step and monthly timestamps', () => {
    expect(continueTimestamps(['2015-01-31 23:00:00', '2015-01-31 23:30:00'], 2)).toEqual(['2015-02-01 00:00:00', '2015-02-01 00:30:00'])
    expect(continueTimestamps(['1960-11-01', '1960-12-01'], 3)).toEqual(['1961-01-01', '1961-02-01', '1961-03-01'])
    expect(continueTimestamps(['a', 'b'], 2)).toBeNull()
  })
})
