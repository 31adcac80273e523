// Validation of the forecaster on public collections that are NOT in the repository (their
// licences and sizes keep them out): M4's hourly series (414, horizon 48, the competition's own
// train/test files) and the regular 5-minute series of the Numenta Anomaly Benchmark (NAB).
// Each collection is split by series into a validation part (every choice of the forecaster's is
// made looking at it only) and a disjoint test part (reported, never used for a choice):
//   M4 hourly: validation = H1, H3, H5, … (odd numbers, 207 series); test = H2, H4, … (207)
//   NAB 5-minute: the files sorted by name, even positions validation, odd positions test; each
//   file gives 4 tasks (cuts at n, n - 288, n - 576, n - 864; forecast the 48 points after the
//   cut from at most the 4,032 points before it). elb_request_count and nyc_taxi are left out
//   (they are shared series); series with more than 20 irregular steps are left out.
// Usage: node dist/bench/kernels/forecast-public.js DIR validation|test [m4|nab] [season]
//   (series/s after an untimed warm-up pass over the first 30 tasks of each collection)
//   DIR holds Hourly-train.csv and Hourly-test.csv (M4's Dataset/Train and Dataset/Test) and nab/
//   (NAB's data/<category>/*.csv, flattened).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { coverage, forecast, msis, smape, type ForecastOptions } from '@jaegis/kernels/forecast'

export interface PublicTask { name: string; train: Float64Array; test: Float64Array; period: number }
export type Part = 'validation' | 'test'

function csvRows(text: string): string[][] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')))
}

/** M4 hourly: training values (trailing empty cells dropped) and the 48 test values, per series. */
export function loadM4Hourly(dir: string, part: Part): PublicTask[] {
  const train = csvRows(readFileSync(join(dir, 'Hourly-train.csv'), 'utf8')).slice(1)
  const test = new Map(csvRows(readFileSync(join(dir, 'Hourly-test.csv'), 'utf8')).slice(1).map((r) => [r[0], r.slice(1).map(Number)]))
  const out: PublicTask[] = []
  for (const r of train) {
    const id = r[0]
    const num = Number(id.slice(1))
    if ((num % 2 === 1) !== (part === 'validation')) continue
    const vals = r.slice(1).filter((c) => c !== '' && c !== 'NA').map(Number)
    out.push({ name: id, train: Float64Array.from(vals), test: Float64Array.from(test.get(id)!), period: 24 })
  }
  return out
}

const NAB_HORIZON = 48
const NAB_MAX_TRAIN = 4032
const NAB_EXCLUDED = new Set(['elb_request_count_8c0756.csv', 'nyc_taxi.csv'])

/** NAB series with a 5-minute step (median, at most 20 other steps): 4 cut points each. */
export function loadNab5min(dir: string, part: Part): PublicTask[] {
  const nab = join(dir, 'nab')
  const files = readdirSync(nab).filter((f) => f.endsWith('.csv') && !NAB_EXCLUDED.has(f)).sort()
  const regular: { f: string; v: number[] }[] = []
  for (const f of files) {
    const rows = csvRows(readFileSync(join(nab, f), 'utf8')).slice(1)
    const ts = rows.map((r) => Date.parse(r[0].replace(' ', 'T') + 'Z') / 1000)
    const d = ts.slice(1).map((t, i) => t - ts[i])
    const sorted = [...d].sort((a, b) => a - b)
    const med = sorted[sorted.length >> 1]
    if (med !== 300 || d.filter((x) => x !== 300).length > 20) continue
    regular.push({ f, v: rows.map((r) => Number(r[1])) })
  }
  const out: PublicTask[] = []
  regular.forEach(({ f, v }, i) => {
    if ((i % 2 === 0) !== (part === 'validation')) return
    for (let j = 0; j < 4; j++) {
      const cut = v.length - NAB_HORIZON - j * 288
      const start = Math.max(0, cut - NAB_MAX_TRAIN)
      out.push({ name: `${f.replace(/\.csv$/, '')}@${cut}`, train: Float64Array.from(v.slice(start, cut)), test: Float64Array.from(v.slice(cut, cut + NAB_HORIZON)), period: 288 })
    }
  })
  return out
}

export interface PublicScore {
  series: number; forecast_smape: number; snaive_smape: number; improvement_pct: number; forecast_msis: number; snaive_msis: number
  forecast_coverage_95: number; snaive_coverage_95: number; series_per_s: number; series_per_cpu_s: number; beats_snaive_share: number
}

/** Scores `forecast(train, opts)` against seasonal naive with the collection's period. */
export function scorePublic(tasks: PublicTask[], opts: Partial<ForecastOptions> = {}, perSeries?: (t: PublicTask, f: number, s: number, model: string) => void): PublicScore {
  let fs = 0, ns = 0, fm = 0, nm = 0, cov = 0, ncov = 0, wins = 0, ms = 0, cpuUs = 0
  for (const t of tasks) {
    const h = t.test.length
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const f = forecast(t.train, { horizon: h, ...opts })
    const c1 = process.cpuUsage(c0)
    ms += performance.now() - t0
    cpuUs += c1.user + c1.system
    const sn = forecast(t.train, { horizon: h, model: 'snaive', season: t.period })
    const a = smape(t.test, f.mean), b = smape(t.test, sn.mean)
    fs += a; ns += b
    if (a < b) wins++
    fm += msis(t.test, f.lower, f.upper, t.train, t.period)
    nm += msis(t.test, sn.lower, sn.upper, t.train, t.period)
    cov += coverage(t.test, f.lower, f.upper)
    ncov += coverage(t.test, sn.lower, sn.upper)
    perSeries?.(t, a, b, f.model)
  }
  const k = tasks.length
  const r = (x: number) => Math.round(x * 1000) / 1000
  return {
    series: k, forecast_smape: r(fs / k), snaive_smape: r(ns / k), improvement_pct: r(100 * (1 - fs / ns)), forecast_msis: r(fm / k), snaive_msis: r(nm / k),
    forecast_coverage_95: r(cov / k), snaive_coverage_95: r(ncov / k), series_per_s: r(k / (ms / 1000)), series_per_cpu_s: r(k / (cpuUs / 1e6)), beats_snaive_share: r(wins / k),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, partArg, which] = process.argv.slice(2)
  if (!dir || !existsSync(dir) || (partArg !== 'validation' && partArg !== 'test')) {
    process.stderr.write('usage: forecast-public.js DIR validation|test [m4|nab] [season]\n')
    process.exit(2)
  }
  const part = partArg as Part
  const seasonArg = process.argv[5]
  const out: Record<string, PublicScore> = {}
  const opts: Partial<ForecastOptions> = seasonArg ? { season: Number(seasonArg) } : {}
  // the rates are those of a warm process (a long-running scheduler's): an untimed pass over the
  // first 30 tasks lets the JIT compile the hot paths first (forecasts are deterministic, so the
  // scores are the same without it)
  const warm = (tasks: PublicTask[]) => { for (const t of tasks.slice(0, 30)) forecast(t.train, { horizon: t.test.length, ...opts }); return tasks }
  if (which !== 'nab') out.m4_hourly = scorePublic(warm(loadM4Hourly(dir, part)), opts)
  if (which !== 'm4') out.nab_five_minute = scorePublic(warm(loadNab5min(dir, part)), opts)
  process.stdout.write(JSON.stringify({ part, ...out }) + '\n')
}
