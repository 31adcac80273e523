// `jaegis forecast`: fits a model to a `timestamp,value` (or `ds,y`, or values-only) CSV and prints the forecast
// with prediction intervals. Thin: parsing and forecasting live in kernels/forecast.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UsageError, type Command, type CommandContext } from '../command.js'
import { parse } from '../options.js'
import { forecast, MODELS, parseSeriesCsv, type ForecastModel, type ForecastOptions } from '@jaegis/kernels/forecast'
import { continueTimestamps } from '@jaegis/kernels/forecast/timestamps'

const USAGE = `usage: jaegis forecast <file.csv> --horizon H [--season auto|N[,M]] [--model M] [--level L] [--json]

Reads a two-column CSV (timestamp,value or ds,y; LF, CRLF or CR line endings; NaN/empty values
are missing and interpolated), or a CSV of values only (one per line, steps 1, 2, ... as timestamps),
and forecasts H steps with prediction intervals. Dates, date-times and integer timestamps are
continued into the horizon; other timestamps are replaced by step numbers.

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

/**
 * A CSV of values only (no comma on any line) gets a step column 1, 2, ... so the kernel's parser reads
 * it with its own rules (header, missing values, line numbers unchanged). Anything else is returned as is.
 */
export function withStepColumn(text: string): string {
  const lines = text.split(/\r\n|\r|\n/)
  if (lines.some((l) => l.includes(','))) return text
  const isHeader = (l: string) => !/^\s*"?[-+]?(\d|\.\d)/.test(l) && !/^\s*"?(nan|na|null)"?\s*$/i.test(l)
  let step = 0, seenData = false
  return lines.map((l) => {
    if (l.trim() === '') return l
    if (!seenData && isHeader(l)) { seenData = true; return `step,${l}` }
    seenData = true
    return `${++step},${l}`
  }).join('\n')
}

/** Continues integer timestamps (steps, epoch seconds...) by their last spacing; null unless the last two are integers, increasing. */
export function continueIntegerTimestamps(timestamps: readonly string[], horizon: number): string[] | null {
  if (timestamps.length < 2) return null
  const [a, b] = timestamps.slice(-2).map((t) => t.trim())
  if (!/^[-+]?\d{1,15}$/.test(a) || !/^[-+]?\d{1,15}$/.test(b)) return null
  const last = Number(b), step = last - Number(a)
  if (step <= 0) return null
  return Array.from({ length: horizon }, (_, i) => String(last + (i + 1) * step))
}

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
    const series = parseSeriesCsv(withStepColumn(text))
    const t0 = performance.now()
    const result = forecast(series.values, { horizon, season, model, level })
    const fitMs = performance.now() - t0
    const stamps = continueTimestamps(series.timestamps, horizon) ?? continueIntegerTimestamps(series.timestamps, horizon)

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
