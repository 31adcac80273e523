// The forecast kernel on the shared real series: held-out accuracy against seasonal naive and
// @bsull/augurs MSTL (no peeking: the last 48 points are never shown to a model), and sanity of
// every forecast on the Azure Functions per-minute trace.
import { SHARED_DATA } from '../shared-data.js'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { detectSeasons, fillMissing, forecast, parseSeriesCsv, smape } from '../../kernels/forecast/index.js'
import { projectRoot } from '../../kernels/wasm-path.js'

const DATA = SHARED_DATA
const series = (file: string) => parseSeriesCsv(readFileSync(join(DATA, 'series', file), 'utf8'))
const HOLD = 48

function split(values: Float64Array, hold = HOLD): { train: Float64Array; test: Float64Array } {
  return { train: values.subarray(0, values.length - hold), test: values.subarray(values.length - hold) }
}

const snaive = (train: Float64Array, m: number, h: number) => Float64Array.from({ length: h }, (_, k) => train[train.length - m + (k % m)])

describe('nyc_taxi (10,320 half-hour points)', () => {
  const { train, test } = split(series('nab_nyc_taxi.csv').values)

  it('finds the daily and weekly seasons', () => {
    expect(detectSeasons(train)).toEqual([48, 336])
  })

  it('is more accurate on the held-out day than seasonal naive and augurs MSTL[48,336]', async () => {
    const f = forecast(train, { horizon: HOLD })
    const ours = smape(test, f.mean)
    // model choice by validation may pick seasonal naive itself on this day: never worse than it
    expect(ours).toBeLessThanOrEqual(smape(test, snaive(train, 336, HOLD)))
    const require = createRequire(import.meta.url)
    const path = require.resolve('@bsull/augurs/mstl')
    const mstl = await import(pathToFileURL(path).href)
    mstl.initSync({ module: readFileSync(path.replace(/mstl\.js$/, 'mstl_bg.wasm')) })
    const model = mstl.MSTL.ets([48, 336])
    model.fit(train)
    const theirs = smape(test, model.predict(HOLD).point)
    model.free()
    expect(ours).toBeLessThanOrEqual(theirs)
    // the held-out values mostly fall inside the 95% intervals
    let inside = 0
    for (let i = 0; i < HOLD; i++) if (test[i] >= f.lower[i] && test[i] <= f.upper[i]) inside++
    expect(inside / HOLD).toBeGreaterThan(0.75)
  })
})

describe('monthly series', () => {
  it('air_passengers (bare CR line endings) parses whole and beats seasonal naive', () => {
    const s = series('air_passengers.csv')
    expect(s.values.length).toBe(144)
    expect(s.timestamps[0]).toBe('1949-01-01')
    const { train, test } = split(s.values, 24)
    const f = forecast(train, { horizon: 24 })
    expect(f.seasons).toContain(12)
    expect(smape(test, f.mean)).toBeLessThan(smape(test, snaive(train, 12, 24)))
  })

  it('retail_sales: trend and season, better than seasonal naive', () => {
    const { train, test } = split(series('retail_sales.csv').values)
    const f = forecast(train, { horizon: HOLD })
    expect(f.model).toMatch(/\[12\]/)
    expect(smape(test, f.mean)).toBeLessThan(smape(test, snaive(train, 12, HOLD)))
  })
})

describe('five-minute series', () => {
  it('yosemite_temps: the NaN gap is filled, the daily season found, the next 4 hours close', () => {
    const s = series('yosemite_temps_5min.csv')
    expect(s.values.some(Number.isNaN)).toBe(true)
    const { train, test } = split(s.values)
    expect(detectSeasons(fillMissing(train))).toEqual([288])
    const f = forecast(train, { horizon: HOLD })
    expect(smape(test, f.mean)).toBeLessThan(3)
  })
})

describe('Azure Functions 2019, 100 functions x 1,440 minutes', () => {
  const text = readFileSync(join(DATA, 'azure-functions', 'azure2019_100fn_per_minute.csv'), 'utf8')
  const rows = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '').slice(1).map((l) => Float64Array.from(l.split(',').slice(3), Number))

  it('forecasts every function with ordered, non-negative intervals and a mix of models', () => {
    expect(rows.length).toBe(100)
    const models = new Set<string>()
    for (const r of rows) {
      expect(r.length).toBe(1440)
      const f = forecast(r, { horizon: 60 })
      models.add(f.model.replace(/[[(@].*$/, ''))
      for (let i = 0; i < 60; i++) {
        expect(Number.isFinite(f.mean[i])).toBe(true)
        expect(f.lower[i]).toBeGreaterThanOrEqual(0)
        expect(f.lower[i]).toBeLessThanOrEqual(f.mean[i] + 1e-9)
        expect(f.upper[i]).toBeGreaterThanOrEqual(f.mean[i] - 1e-9)
      }
    }
    // cross-validation keeps seasonal naive for exactly periodic functions and smooths the rest
    expect(models.has('snaive')).toBe(true)
    expect(models.size).toBeGreaterThanOrEqual(3)
  })
})
