// `jaegis forecast`: fits a model to a `timestamp,value` (or `ds,y`) CSV and prints the forecast
// with prediction intervals. Thin: parsing and forecasting live in kernels/forecast.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UsageError, type Command, type CommandContext } from '../command.js'
import { parse } from '../options.js'
import { forecast, MODELS, parseSeriesCsv, type ForecastModel, type ForecastOptions } from '../../kernels/forecast/index.js'
import { continueTimestamps } from '../../kernels/forecast/timestamps.js'

const USAGE = `usage: jaegis forecast <file.csv> --horizon H [--season auto|N[,M]] [--model M] [--level L] [--json]

Reads a two-column CSV (timestamp,value or ds,y; LF, CRLF or CR line endings; NaN/empty values
are missing and interpolated) and forecasts H steps with prediction intervals.

  --horizon H      steps to forecast (required)
  --season S       auto (ACF peaks, up to two nested periods), N, or N,M (default auto)
  --model M        ${MODELS.join(', ')} (default auto)
  --level L        interval coverage in (0, 1) (default 0.95)
  --json           machine-readable output`

function parseSeason(text: string): ForecastOptions['season'] {
  if (text === 'auto') return 'auto'
  const parts = text.split(',').map((p) => Number(p.trim()))
  if (parts.length === 0 || parts.some((m) => !Number.isInteger(m) || m < 1)) throw new UsageError(`--season must be auto, N or N,M with integers >= 1, got "${text}"`)
  return parts.length === 1 ? parts[0] : parts
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6

export const command: Command = {
  name: 'forecast',
  summary: 'forecast a time series CSV with prediction intervals',
  usage: USAGE,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    const { values: flags, positionals } = parse(argv, { horizon: { type: 'string' }, season: { type: 'string' }, model: { type: 'string' }, level: { type: 'string' } })
    if (positionals.length !== 1) throw new UsageError('expected exactly one CSV file')
    if (flags.horizon === undefined) throw new UsageError('--horizon is required')
    const horizon = Number(flags.horizon)
    if (!Number.isInteger(horizon) || horizon < 1) throw new UsageError(`--horizon must be an integer >= 1, got "${flags.horizon}"`)
    const level = flags.level === undefined ? 0.95 : Number(flags.level)
    if (!(level > 0 && level < 1)) throw new UsageError(`--level must be in (0, 1), got "${flags.level}"`)
    const model = (flags.model ?? 'auto') as ForecastModel
    if (!MODELS.includes(model)) throw new UsageError(`--model must be one of ${MODELS.join(', ')}, got "${flags.model}"`)
    const season = parseSeason(flags.season ?? 'auto')

    const path = resolve(ctx.cwd, positionals[0])
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err })
    }
    const series = parseSeriesCsv(text)
    const t0 = performance.now()
    const result = forecast(series.values, { horizon, season, model, level })
    const fitMs = performance.now() - t0
    const stamps = continueTimestamps(series.timestamps, horizon)

    if (flags.json) {
      ctx.line(JSON.stringify({
        file: positionals[0], points: series.values.length, horizon, level, model: result.model, seasons: result.seasons,
        params: result.params, fitMs: round(fitMs),
        forecast: Array.from(result.mean, (mean, i) => ({ step: i + 1, timestamp: stamps?.[i] ?? null, mean: round(mean), lower: round(result.lower[i]), upper: round(result.upper[i]) })),
      }))
      return 0
    }
    ctx.line(`${positionals[0]}: ${series.values.length} points, model ${result.model}, ${Math.round(level * 100)}% intervals, fitted in ${fitMs.toFixed(1)} ms`)
    const label = stamps ? 'timestamp' : 'step'
    const width = Math.max(label.length, ...(stamps ?? [String(horizon)]).map((s) => s.length))
    ctx.line(`${label.padEnd(width)}  ${'mean'.padStart(14)}  ${'lower'.padStart(14)}  ${'upper'.padStart(14)}`)
    const fmt = (v: number) => (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(4) : v.toFixed(3)).padStart(14)
    for (let i = 0; i < horizon; i++) {
      ctx.line(`${(stamps?.[i] ?? String(i + 1)).padEnd(width)}  ${fmt(result.mean[i])}  ${fmt(result.lower[i])}  ${fmt(result.upper[i])}`)
    }
    return 0
  },
}
