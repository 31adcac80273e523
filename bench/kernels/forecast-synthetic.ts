// Validation of the forecaster on seeded synthetic collections (hourly, 5-minute, intermittent
// per-minute; kernels/forecast/synthetic.ts), against seasonal naive and augurs-free: mean sMAPE,
// MSIS, 95 % coverage and series per second. Seeds < 1000 are the tuning part, seeds >= 1000 the
// reported part: `node dist/bench/kernels/forecast-synthetic.js tune|test`.
import { pathToFileURL } from 'node:url'
import { coverage, forecast, msis, smape, type ForecastOptions } from '@jaegis/kernels/forecast'
import { syntheticSeries, type SyntheticSeries } from '@jaegis/kernels/forecast/synthetic'

/** Horizon per kind: two days hourly (M4 hourly: 48), four hours at 5 minutes, an hour per-minute. */
export const HORIZON: Record<SyntheticSeries['kind'], number> = { hourly: 48, 'five-minute': 48, intermittent: 60 }

export interface CollectionScore { series: number; forecast_smape: number; snaive_smape: number; forecast_msis: number; snaive_msis: number; forecast_coverage_95: number; series_per_s: number; series_per_cpu_s: number; beats_snaive_share: number }

/** Scores `forecast` with `opts` against seasonal naive (longest calendar period) on `series`. */
export function scoreCollection(series: SyntheticSeries[], opts: Partial<ForecastOptions> = {}): CollectionScore {
  let fs = 0, ns = 0, fm = 0, nm = 0, cov = 0, wins = 0, ms = 0, cpuUs = 0
  for (const s of series) {
    const h = HORIZON[s.kind]
    const train = s.values.subarray(0, s.values.length - h)
    const test = s.values.subarray(s.values.length - h)
    const m = s.periods[0]
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const f = forecast(train, { horizon: h, ...opts })
    const c1 = process.cpuUsage(c0)
    ms += performance.now() - t0
    cpuUs += c1.user + c1.system
    const sn = forecast(train, { horizon: h, model: 'snaive', season: s.periods[s.periods.length - 1] <= train.length ? s.periods[s.periods.length - 1] : m })
    const a = smape(test, f.mean), b = smape(test, sn.mean)
    fs += a; ns += b
    if (a < b) wins++
    fm += msis(test, f.lower, f.upper, train, m)
    nm += msis(test, sn.lower, sn.upper, train, m)
    cov += coverage(test, f.lower, f.upper)
  }
  const k = series.length
  const r = (x: number) => Math.round(x * 1000) / 1000
  return { series: k, forecast_smape: r(fs / k), snaive_smape: r(ns / k), forecast_msis: r(fm / k), snaive_msis: r(nm / k), forecast_coverage_95: r(cov / k), series_per_s: r(k / (ms / 1000)), series_per_cpu_s: r(k / (cpuUs / 1e6)), beats_snaive_share: r(wins / k) }
}

/** The collections of one part: seeds 0-2 (tune) or 1000-1002 (test), 40 series of each kind per seed. */
export function collections(part: 'tune' | 'test', perSeed = 40): Record<SyntheticSeries['kind'], SyntheticSeries[]> {
  const seeds = part === 'tune' ? [0, 1, 2] : [1000, 1001, 1002]
  const of = (kind: SyntheticSeries['kind']) => seeds.flatMap((s) => syntheticSeries(kind, perSeed, s))
  return { hourly: of('hourly'), 'five-minute': of('five-minute'), intermittent: of('intermittent') }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const part = process.argv[2] === 'tune' ? 'tune' : 'test'
  const sel = process.argv[3] === 'aic' ? { selection: 'aic' as const } : {}
  const out: Record<string, CollectionScore> = {}
  for (const [kind, series] of Object.entries(collections(part))) out[kind] = scoreCollection(series, sel)
  process.stdout.write(JSON.stringify(out) + '\n')
}
