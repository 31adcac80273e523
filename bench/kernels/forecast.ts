// Benchmark of the forecast kernel against seasonal naive, `arima` (CSS fit) and @bsull/augurs
// (MSTL with AutoETS trend), all in the same run: nyc_taxi time and sMAPE, throughput on the Azure
// per-minute shape, and an accuracy table (sMAPE, MASE over the last 48 points) for every series.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '@jaegis/kernels/wasm-path'
import { coverage, fillMissing, forecast, msis, parseSeriesCsv, refitOptions, smape, mase } from '@jaegis/kernels/forecast'
import { collections, scoreCollection } from './forecast-synthetic.js'

const HOLDOUT = 48
/** arima crashes past about 8,200 points, so it sees at most this many of the latest ones. */
const ARIMA_MAX_POINTS = 8000

interface BenchSeries { name: string; values: Float64Array; periods: number[]; mase: number }
/** A point forecast, with a 95 % interval when the method gives one. */
type Forecaster = (train: Float64Array, periods: number[]) => ArrayLike<number> | { mean: ArrayLike<number>; lower: ArrayLike<number>; upper: ArrayLike<number> }
interface Mstl { fit(y: Float64Array): void; predict(h: number, level?: number | null): { point: number[] }; free(): void }

const dataDir = () => join(projectRoot(), '..', 'shared', 'data')

/** The series under ./series with their calendar periods (used by peers and the MASE scale). */
function loadSeries(): BenchSeries[] {
  const files: [string, string, number[]][] = [
    ['nyc_taxi', 'nab_nyc_taxi.csv', [48, 336]],
    ['elb_request_count', 'nab_elb_request_count.csv', [288]],
    ['air_passengers', 'air_passengers.csv', [12]],
    ['retail_sales', 'retail_sales.csv', [12]],
    ['yosemite_temps', 'yosemite_temps_5min.csv', [288]],
  ]
  // yosemite has a run of NaN: every method gets the same linearly interpolated copy
  return files.map(([name, file, periods]) => ({ name, periods, mase: periods[0], values: fillMissing(parseSeriesCsv(readFileSync(join(dataDir(), 'series', file), 'utf8')).values) }))
}

/** Rows of the Azure 2019 per-minute trace: 1,440 counts per function. */
export function loadAzure(): Float64Array[] {
  const lines = readFileSync(join(dataDir(), 'azure-functions', 'azure2019_100fn_per_minute.csv'), 'utf8').split(/\r\n|\r|\n/).filter((l) => l.trim() !== '')
  return lines.slice(1).map((l) => Float64Array.from(l.split(',').slice(3), Number))
}

function busiest(rows: Float64Array[], count: number): Float64Array[] {
  const total = (r: Float64Array) => r.reduce((a, b) => a + b, 0)
  return [...rows].sort((a, b) => total(b) - total(a)).slice(0, count)
}

async function loadAugurs(): Promise<((periods: number[]) => Mstl) | null> {
  try {
    const require = createRequire(import.meta.url)
    const path = require.resolve('@bsull/augurs/mstl')
    const mod = await import(pathToFileURL(path).href)
    mod.initSync({ module: readFileSync(path.replace(/mstl\.js$/, 'mstl_bg.wasm')) })
    return (periods: number[]) => mod.MSTL.ets(periods) as Mstl
  } catch {
    return null
  }
}

type ArimaCtor = new (opts: Record<string, unknown>) => { train(y: number[]): { predict(h: number): [number[], number[]] } }
function loadArima(): ArimaCtor | null {
  try { return createRequire(import.meta.url)('arima') as ArimaCtor } catch { return null }
}

const ours: Forecaster = (train) => forecast(train, { horizon: HOLDOUT })
const seasonalNaive: Forecaster = (train, periods) => forecast(train, { horizon: HOLDOUT, model: 'snaive', season: periods[periods.length - 1] })

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

/** Runs `fn` `reps` times; the median wall time in ms and the last result. */
function timed<T>(reps: number, fn: () => T): { ms: number; result: T } {
  const times: number[] = []
  let result!: T
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    result = fn()
    times.push(performance.now() - t0)
  }
  return { ms: median(times), result }
}

/** Series per second that `fn` sustains over `rows` for about `budgetMs`. */
function throughput(rows: Float64Array[], budgetMs: number, fn: (r: Float64Array) => unknown): number {
  let count = 0
  const t0 = performance.now()
  while (performance.now() - t0 < budgetMs) for (const r of rows) { fn(r); count++ }
  return count / ((performance.now() - t0) / 1000)
}

/** Like `throughput` but per second of this process's CPU time, which time-slicing on a loaded machine does not inflate. */
function throughputCpu(rows: Float64Array[], budgetMs: number, fn: (r: Float64Array) => unknown): number {
  const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system }
  let count = 0
  const t0 = performance.now()
  const c0 = cpuUs()
  while (performance.now() - t0 < budgetMs) for (const r of rows) { fn(r); count++ }
  return count / ((cpuUs() - c0) / 1e6)
}

export async function run(): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {}
  const mstl = await loadAugurs()
  const Arima = loadArima()
  const augursF: Forecaster | null = mstl && ((train, periods) => {
    const m = mstl(periods)
    try { m.fit(train); return m.predict(HOLDOUT).point } finally { m.free() }
  })
  const arimaF: Forecaster | null = Arima && ((train, periods) => {
    const m = periods[0]
    const seasonal = m <= 48 ? { P: 1, D: 1, Q: 1, s: m } : {}
    const tail = Array.from(train.subarray(Math.max(0, train.length - ARIMA_MAX_POINTS)))
    return new Arima({ p: 2, d: 1, q: 2, method: 1, verbose: false, ...seasonal }).train(tail).predict(HOLDOUT)[0]
  })
  const methods: [string, Forecaster | null][] = [['forecast', ours], ['snaive', seasonalNaive], ['arima', arimaF], ['augurs', augursF]]

  // nyc_taxi: fit + 48-step forecast, median of 5 (arima once: it takes seconds)
  const all = loadSeries()
  const taxi = all[0]
  const azure = loadAzure()
  const top = busiest(azure, 10).map((values, i): BenchSeries => ({ name: `azure_top${i + 1}`, values, periods: [60], mase: 1 }))
  for (const s of [...all, ...top]) {
    const train = s.values.subarray(0, s.values.length - HOLDOUT)
    const test = s.values.subarray(s.values.length - HOLDOUT)
    for (const [name, f] of methods) {
      const key = `${s.name}_${name}`
      if (!f) { out[`${key}_smape`] = null; out[`${key}_mase`] = null; continue }
      try {
        const reps = s === taxi && name !== 'arima' ? 5 : 1
        const { ms, result } = timed(reps, () => f(train, s.periods))
        const mean = 'mean' in result ? result.mean : result
        out[`${key}_smape`] = smape(test, mean)
        out[`${key}_mase`] = mase(test, mean, train, s.mase)
        if ('lower' in result) {
          out[`${key}_msis`] = msis(test, result.lower, result.upper, train, s.mase)
          out[`${key}_coverage_95`] = coverage(test, result.lower, result.upper)
        }
        if (s === taxi) out[`${name}_nyc_taxi_ms`] = ms
      } catch {
        out[`${key}_smape`] = null
        out[`${key}_mase`] = null
      }
    }
  }
  for (const [name] of methods) {
    const v = out[`nyc_taxi_${name}_smape`]
    out[`${name}_nyc_taxi_smape`] = v ?? null
    out[`${name}_nyc_taxi_ms`] ??= null
    const smapes = [...all, ...top].map((s) => out[`${s.name}_${name}_smape`]).filter((x): x is number => typeof x === 'number')
    out[`${name}_mean_smape`] = smapes.length === all.length + top.length ? smapes.reduce((a, b) => a + b, 0) / smapes.length : null
  }
  // interval scores (M4's MSIS at 95 %, and coverage) for the two methods that give intervals;
  // MSIS is Infinity on a series whose training part is exactly periodic (scale 0): mean over the finite ones
  for (const name of ['forecast', 'snaive']) {
    const ms = [...all, ...top].map((s) => out[`${s.name}_${name}_msis`]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
    out[`${name}_mean_msis`] = ms.reduce((a, b) => a + b, 0) / ms.length
    out[`${name}_msis_series`] = ms.length
    const cov = [...all, ...top].map((s) => out[`${s.name}_${name}_coverage_95`] as number)
    out[`${name}_coverage_95`] = cov.reduce((a, b) => a + b, 0) / cov.length
  }
  if (process.env.BENCH_FORECAST_ACCURACY_ONLY) return out

  // held-out synthetic collections (seeds >= 1000; parameters were chosen on seeds < 1000): hourly
  // (300-800 points, horizon 48), five-minute, intermittent per-minute
  for (const [kind, series] of Object.entries(collections('test'))) {
    const k = kind.replace('-', '')
    const r = scoreCollection(series)
    out[`synthetic_${k}_forecast_smape`] = r.forecast_smape
    out[`synthetic_${k}_snaive_smape`] = r.snaive_smape
    out[`synthetic_${k}_forecast_msis`] = r.forecast_msis
    out[`synthetic_${k}_snaive_msis`] = r.snaive_msis
    out[`synthetic_${k}_forecast_coverage_95`] = r.forecast_coverage_95
    out[`synthetic_${k}_series_per_s`] = r.series_per_s
    out[`synthetic_${k}_series_per_cpu_s`] = r.series_per_cpu_s
  }
  out.forecast_hourly_series_per_s = out.synthetic_hourly_series_per_s
  out.forecast_hourly_series_per_cpu_s = out.synthetic_hourly_series_per_cpu_s

  // throughput on the Azure shape: all 100 functions (1,440 points each, as the scheduler sees them)
  // with full model selection, the 10 dense busiest ones, augurs on those for comparison, and the
  // warm refit a minute later
  const rates: number[] = []
  const dense: number[] = []
  for (let i = 0; i < 3; i++) {
    rates.push(throughput(azure, 700, (r) => forecast(r, { horizon: HOLDOUT })))
    dense.push(throughput(top.map((s) => s.values), 700, (r) => forecast(r, { horizon: HOLDOUT })))
  }
  out.forecast_series_per_s = median(rates)
  out.forecast_series_per_cpu_s = throughputCpu(azure, 1000, (r) => forecast(r, { horizon: HOLDOUT }))
  // the scheduler's every-minute refit: model, seasons and warm start from the previous minute
  const shifted = azure.map((r) => r.subarray(1))
  const refit = azure.map((r) => ({ horizon: HOLDOUT, ...refitOptions(forecast(r.subarray(0, r.length - 1), { horizon: HOLDOUT })) }))
  const refitRates: number[] = []
  for (let i = 0; i < 3; i++) {
    let j = 0
    refitRates.push(throughput(shifted, 500, (r) => forecast(r, refit[j++ % refit.length])))
  }
  out.forecast_refit_series_per_s = median(refitRates)
  out.forecast_dense_series_per_s = median(dense)
  out.augurs_dense_series_per_s = augursF ? throughput(top.map((s) => s.values), 1500, (r) => augursF(r, [60])) : null
  return out
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run()
  process.stdout.write(JSON.stringify(result) + '\n')
}
