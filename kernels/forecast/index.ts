// Forecasting for the scheduler: ETS / Holt-Winters (damped trend, one or two additive or
// multiplicative seasons), Croston/TSB for intermittent series and seasonal naive, with prediction
// intervals. The heavy loops run in the forecast wasm kernel; this file picks models and marshals.
import { sharedKernel, type ForecastKernel } from './wasm.js'
import { normalQuantile } from './stats.js'
import { cvForecast, CV_FIT_TOLERANCE, type CvReport } from './select.js'
import { autocorrelation, detectSeasons } from './detect.js'

export { autocorrelation, detectSeasons } from './detect.js'

export { smape, mase, msis, coverage, normalQuantile } from './stats.js'
export { thetaForecast } from './theta.js'
export type { CvReport } from './select.js'
export { parseSeriesCsv, SeriesFormatError, type Series } from './csv.js'

/** Models `forecast` can fit. `auto` applies the selection rule in docs/kernel-forecast.md. */
export type ForecastModel = 'auto' | 'ets' | 'ets-additive' | 'ets-multiplicative' | 'tsb' | 'croston' | 'snaive'

/** Every model name `forecast` accepts. */
export const MODELS: readonly ForecastModel[] = ['auto', 'ets', 'ets-additive', 'ets-multiplicative', 'tsb', 'croston', 'snaive']

/** How to treat a trend in ETS. */
export type TrendKind = 'none' | 'damped' | 'linear'

export interface ForecastOptions {
  /** Steps ahead to forecast (>= 1). Input values may be NaN (missing): they are interpolated. */
  horizon: number
  /** Seasonal period(s): detected from the autocorrelation, given, or none (1 or []). @default 'auto' */
  season?: 'auto' | number | number[]
  /** @default 'auto' */
  model?: ForecastModel
  /** ETS trend; `auto` picks none, damped or linear by AIC. @default 'auto' */
  trend?: TrendKind | 'auto'
  /** Central coverage of the prediction intervals, in (0, 1). @default 0.95 */
  level?: number
  /** Clamp forecasts and bounds at 0. @default true when every input value is >= 0 */
  nonNegative?: boolean
  /** Cap on SSE evaluations per ETS fit (Nelder-Mead). @default 120 */
  maxEvaluations?: number
  /** ETS fits use at most this many latest points. @default max(6 x longest season, 2000) */
  maxFitPoints?: number
  /** Unit-cube ETS parameters from a previous fit (`params.warmStart`), to start the search there. */
  warmStart?: readonly number[]
  /** Share of zero values at or above which `auto` uses TSB (`aic`) or adds TSB to the candidates (`cv`). @default 0.3 */
  intermittentShare?: number
  /**
   * How `auto` chooses: `cv` by rolling-origin validation on the series' own last horizons among
   * seasonal naive, ETS, Theta (and TSB), each over several fit windows, with intervals calibrated
   * on the validation errors; `aic` by in-sample AIC among ETS variants only (about 10x cheaper;
   * what the scheduler's every-few-minutes refit uses). Falls back to `aic` when the series is too
   * short for one validation origin. @default 'cv'
   */
  selection?: 'cv' | 'aic'
  /** Rolling origins validated by `selection: 'cv'`. @default 3 */
  cvOrigins?: number
  /**
   * With `selection: 'cv'`, candidates scoring worse than this many times the best one on the first
   * origin are not validated further (0: never). @default 2 (`CV_PRUNE_RATIO`)
   */
  cvPruneRatio?: number
  /** With `selection: 'cv'`, also validate the mean of the best two and three candidates. @default true */
  combine?: boolean
  /**
   * ETS fits stop when the optimiser's SSEs agree to this relative spread (Nelder-Mead simplex,
   * Levenberg-Marquardt step). @default 0.03 (`CV_FIT_TOLERANCE`) for the fits of `selection: 'cv'`,
   * 1e-3 otherwise
   */
  fitTolerance?: number
}

export interface ForecastResult {
  mean: Float64Array
  lower: Float64Array
  upper: Float64Array
  /** The model that was fitted, e.g. `ets(A,Ad,A)[48,336]`, `tsb`, `snaive[48]`. */
  model: string
  /** Seasonal periods used (empty when none). */
  seasons: number[]
  /** Fitted parameters: smoothing weights, sigma, and for ETS `warmStart` coordinates. */
  params: Record<string, number | number[]>
  /** With `selection: 'cv'`: origins validated, each candidate's score (OWA vs seasonal naive), interval scale. */
  cv?: CvReport
}

/** Invalid input to `forecast` (empty series, non-finite values, bad horizon or options). */
export class ForecastInputError extends Error {
  readonly code = 'BAD_FORECAST_INPUT'
  constructor(message: string) {
    super(message)
    this.name = 'ForecastInputError'
  }
}

/** Copy of `values` with NaN runs filled by linear interpolation (ends: the nearest value). */
export function fillMissing(values: ArrayLike<number>): Float64Array {
  const out = values instanceof Float64Array ? values.slice() : Float64Array.from(values as ArrayLike<number>)
  let prev = -1
  for (let i = 0; i <= out.length; i++) {
    if (i < out.length && out[i] !== out[i]) continue
    // out[prev+1 .. i-1] are missing
    for (let j = prev + 1; j < i; j++) {
      out[j] = prev < 0 ? out[i] : i >= out.length ? out[prev] : out[prev] + ((out[i] - out[prev]) * (j - prev)) / (i - prev)
    }
    prev = i
  }
  return out
}

/** Nelder-Mead stops when the simplex's SSEs agree to this relative spread. */
const REL_TOL = 1e-3

/** Nelder-Mead stop for screening candidates before the winner is refined with REL_TOL. */
const SCREEN_TOL = 1e-3

/** The linear-trend candidate is fitted only when the damped fit's phi is above this. */
const LINEAR_IF_PHI_ABOVE = 0.9

const TREND_CODE: Record<TrendKind, number> = { none: 0, damped: 1, linear: 2 }

/** Checks the options (values are checked in wasm by `scan`). */
function validateOptions(opts: ForecastOptions): void {
  if (opts.model !== undefined && !MODELS.includes(opts.model)) throw new ForecastInputError(`model must be one of ${MODELS.join(', ')}, got ${opts.model}`)
  if (!Number.isInteger(opts.horizon) || opts.horizon < 1) throw new ForecastInputError(`horizon must be an integer >= 1, got ${opts.horizon}`)
  const level = opts.level ?? 0.95
  if (!(level > 0 && level < 1)) throw new ForecastInputError(`level must be in (0, 1), got ${level}`)
  if (opts.fitTolerance !== undefined && !(opts.fitTolerance > 0 && opts.fitTolerance < 1)) throw new ForecastInputError(`fitTolerance must be in (0, 1), got ${opts.fitTolerance}`)
  const s = opts.season
  if (s !== undefined && s !== 'auto') {
    for (const m of Array.isArray(s) ? s : [s]) {
      if (!Number.isInteger(m) || m < 1) throw new ForecastInputError(`season must be 'auto' or integers >= 1, got ${m}`)
    }
  }
}

/** z for a central interval of coverage `level`, cached for the common levels. */
const zCache = new Map<number, number>()
function zFor(level: number): number {
  let z = zCache.get(level)
  if (z === undefined) {
    z = normalQuantile(0.5 + level / 2)
    if (zCache.size < 64) zCache.set(level, z)
  }
  return z
}

/**
 * Fits a model to `values` (oldest first, equally spaced) and forecasts `horizon` steps with
 * prediction intervals. Reuses one wasm instance; safe to call thousands of times a second.
 */
export function forecast(input: ArrayLike<number>, opts: ForecastOptions, kernel: ForecastKernel = sharedKernel()): ForecastResult {
  validateOptions(opts)
  if (!input || input.length === 0) throw new ForecastInputError('forecast needs at least one value')
  const h = opts.horizon
  const k = kernel.exports
  const z = zFor(opts.level ?? 0.95)
  const n = input.length
  kernel.load(input, h)
  k.scan(n)
  if ((k.infCount.value as number) > 0) throw new ForecastInputError('values must be finite numbers or NaN (missing); got an infinite value')
  const nans = k.nanCount.value as number
  if (nans === n) throw new ForecastInputError('every value is missing (NaN)')
  if (nans > 0) {
    // rare path: interpolate in JS, reload, rescan
    kernel.load(fillMissing(input), h)
    k.scan(n)
  }
  const zeros = k.zeroCount.value as number
  const minV = k.minValue.value as number
  const nonNegative = opts.nonNegative ?? minV >= 0

  const model = opts.model ?? 'auto'
  const intermittent = model === 'auto' && minV >= 0 && zeros / n >= (opts.intermittentShare ?? 0.3)
  if (model === 'auto' && (opts.selection ?? 'cv') === 'cv') {
    const y = nans > 0 ? fillMissing(input) : input instanceof Float64Array ? input.slice() : Float64Array.from(input as ArrayLike<number>)
    const given = opts.season === undefined || opts.season === 'auto' ? null : normalizeSeasons(Array.isArray(opts.season) ? opts.season : [opts.season])
    // a season shows in the ACF only with three occurrences (lags up to n/3): fewer events, no season
    const detect = (v: Float64Array) => (v.length < 8 || (intermittent && countNonZero(v) < 3) ? [] : normalizeSeasons(detectSeasons(v, kernel)))
    const fit = (v: Float64Array, o: ForecastOptions) => forecast(v, { ...o, selection: 'aic', maxEvaluations: o.maxEvaluations ?? opts.maxEvaluations, fitTolerance: o.fitTolerance ?? opts.fitTolerance ?? CV_FIT_TOLERANCE }, kernel)
    // Theta's seasonality test from the kernel's FFT autocorrelation (the fits reload their own input)
    const autocorr = (v: Float64Array, maxLag: number) => autocorrelation(v, maxLag, kernel)
    const r = cvForecast(y, opts, given, intermittent, fit, refitOptions, detect, autocorr)
    if (r) {
      if (nonNegative) for (const a of [r.mean, r.lower, r.upper]) for (let i = 0; i < h; i++) if (a[i] < 0) a[i] = 0
      return r
    }
    kernel.load(y, h)
    k.scan(n)
  }

  let seasons: number[]
  // a season shows in the ACF only with three occurrences (lags up to n/3): fewer events, no season
  const tooSparse = intermittent && n - zeros < 3
  if (opts.season === undefined || opts.season === 'auto') seasons = model === 'tsb' || model === 'croston' || n < 8 || tooSparse ? [] : detectAndReload(kernel, input, h, nans > 0)
  else seasons = (Array.isArray(opts.season) ? opts.season : [opts.season]).filter((m) => m > 1)
  seasons = normalizeSeasons(seasons)

  let result: ForecastResult
  if (model === 'tsb' || model === 'croston' || intermittent) {
    if (minV < 0) throw new ForecastInputError(`${model} needs non-negative values`)
    const sse = model === 'croston' ? k.fitCroston(n) : k.fitTsb(n)
    k.forecastFlat(h, z)
    // AIC on the same scale as the ETS fits' (additive errors, 4 parameters)
    const aicTsb = n * Math.log(Math.max(sse, 1e-300) / n) + 2 * 4
    result = { ...kernel.outputs(h), model: model === 'croston' ? 'croston' : 'tsb', seasons: [], params: { alpha: k.alphaI.value, beta: k.betaI.value, size: k.sizeEst.value, probability: k.probEst.value, sigma: k.sigmaI.value, aic: aicTsb } }
    if (intermittent && seasons.some((m) => 2 * m <= n)) {
      // Intermittent but periodic (timer-triggered functions): a seasonal ETS competes on AIC.
      // AIC gaps here are mostly in the hundreds, so a looser stop (1e-3) decides as well
      const ets = fitEtsModel(kernel, n, h, z, seasons, 'ets-additive', false, { ...opts, trend: 'none' }, 1e-3)
      if ((ets.params.aic as number) < aicTsb) result = ets
    }
  } else if (model === 'snaive') {
    const m = seasons.length ? seasons[seasons.length - 1] : 1
    if (m > n) throw new ForecastInputError(`seasonal naive with period ${m} needs at least ${m} values, got ${n}`)
    const sigma = k.seasonalNaive(n, m, h, z)
    result = { ...kernel.outputs(h), model: `snaive[${m}]`, seasons: [m], params: { sigma } }
  } else {
    result = fitEtsModel(kernel, n, h, z, seasons, model, minV > 0, opts, opts.fitTolerance ?? REL_TOL)
  }
  if (nonNegative) for (const a of [result.mean, result.lower, result.upper]) for (let i = 0; i < h; i++) if (a[i] < 0) a[i] = 0
  return result
}

/** Distinct periods > 1, ascending, at most the two longest. */
function normalizeSeasons(seasons: number[]): number[] {
  const s = [...new Set(seasons.filter((m) => m > 1))].sort((a, b) => a - b)
  return s.length > 2 ? s.slice(-2) : s
}

/** Detects on a robust copy (which overwrites the kernel's input), then reloads the input. */
function detectAndReload(kernel: ForecastKernel, input: ArrayLike<number>, h: number, fill: boolean): number[] {
  const seasons = detectSeasons(fill ? fillMissing(input) : input, kernel)
  kernel.load(fill ? fillMissing(input) : input, h)
  return seasons
}

function countNonZero(v: Float64Array): number {
  let c = 0
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) c++
  return c
}

function fitEtsModel(kernel: ForecastKernel, nAll: number, h: number, z: number, seasonsIn: number[], model: ForecastModel, positive: boolean, opts: ForecastOptions, relTol = REL_TOL): ForecastResult {
  const k = kernel.exports
  // Fit on the most recent window only (see docs: rolling-origin validation on the training part
  // of nyc_taxi favoured 6 cycles of the longest season over the whole history, and it is faster).
  const longest = seasonsIn.filter((m) => 2 * m <= nAll).reduce((a, b) => Math.max(a, b), 1)
  const window = opts.maxFitPoints ?? Math.max(6 * longest, 2000)
  const n = Math.min(nAll, Math.max(window, 2 * longest, 4))
  if (n < nAll) {
    const heap = kernel.heapF64()
    const p = (k.yPtr.value as number) >>> 3
    heap.copyWithin(p, p + nAll - n, p + nAll)
  }
  // a seasonal component needs two full cycles to initialise
  const seasons = seasonsIn.filter((m) => 2 * m <= n)
  const m1 = seasons[0] ?? 1
  const m2 = seasons[1] ?? 1
  if (opts.trend !== undefined && opts.trend !== 'auto' && !(opts.trend in TREND_CODE)) throw new ForecastInputError(`trend must be auto, none, damped or linear, got ${opts.trend}`)
  const trend = opts.trend ?? 'auto'
  const maxEval = opts.maxEvaluations ?? 120
  const w = opts.warmStart ?? []
  const start = (i: number) => (w[i] !== undefined && w[i] >= 0 && w[i] <= 1 ? w[i] : -1)
  const warm = w.length > 0
  const fit = (tc: number, mul: boolean, evals = maxEval, u = [0, 1, 2, 3, 4].map(start), tol = relTol, step = 0.15) => {
    // a caller's warm start (last minute's fit) is near the optimum: search a smaller simplex
    k.setSimplexStep(warm && u[0] === start(0) ? 0.05 : step)
    return k.fitEts(n, m1, m2, tc, mul ? 1 : 0, evals, tol, u[0], u[1], u[2], u[3], u[4])
  }
  const seasonal = m1 > 1
  if (model === 'ets-multiplicative' && !positive) throw new ForecastInputError('multiplicative seasonality needs strictly positive values')
  const tryMul = seasonal && (model === 'ets-multiplicative' || (positive && model !== 'ets-additive'))
  const tryAdd = model !== 'ets-multiplicative'
  const trends = n < 4 ? [0] : trend === 'auto' ? [0, 1, 2] : [TREND_CODE[trend]]
  // Candidates all have additive errors, so AIC = n ln(SSE/n) + 2 (parameters + initial states)
  // ranks them on one scale. Seasonality type is chosen first (same parameter count), then trend.
  // With several candidates each is screened with a loose stop, and only the winner is refined.
  const candidates = (tryAdd ? 1 : 0) + (tryMul ? 1 : 0) + trends.length - 1
  const screenTol = candidates > 1 ? Math.max(relTol, SCREEN_TOL) : relTol
  const aicOf = (sse: number, tc: number) => {
    const kParams = 1 + (tc === 0 ? 0 : tc === 1 ? 3 : 2) + (seasonal ? 1 + m1 : 0) + (m2 > 1 ? 1 + m2 : 0) + 1
    return Number.isFinite(sse) ? n * Math.log(Math.max(sse, 1e-300) / n) + 2 * kParams : Infinity
  }
  type Best = { aic: number; sse: number; tc: number; mul: boolean; u: number[] }
  let best: Best | undefined
  let evaluations = 0
  const consider = (tc: number, mul: boolean, u?: number[]): void => {
    const sse = fit(tc, mul, maxEval, u, screenTol)
    evaluations += k.evaluations.value as number
    const aic = aicOf(sse, tc)
    if (!best || aic < best.aic) best = { aic, sse, tc, mul, u: [0, 1, 2, 3, 4].map((i) => k.unitParam(i)) }
  }
  if (tryAdd) consider(trends[0], false)
  if (tryMul) consider(trends[0], true, best?.u) // warm start from the additive fit
  // Trends in order none -> damped -> linear, each warm-started from the previous fit (smoothing
  // weights carry over; beta* and phi start at their defaults after the no-trend fit).
  const mulChosen = best!.mul
  let prev = best!.u
  for (const tc of trends.slice(1)) {
    const u = prev.slice()
    if (tc === 1 && trends[0] === 0) { u[1] = start(1) >= 0 ? start(1) : 0.05; u[4] = start(4) >= 0 ? start(4) : 0.85 }
    // a linear trend is only worth a fit when the damped one wanted little damping
    if (tc === 2 && trends.includes(1) && (k.phi.value as number) < LINEAR_IF_PHI_ABOVE) break
    consider(tc, mulChosen, u)
    prev = [0, 1, 2, 3, 4].map((i) => k.unitParam(i))
  }
  const chosen = best!
  // refine the winner (or just rerun it), leaving the kernel holding the chosen fit
  const refine = screenTol > relTol
  let sse = fit(chosen.tc, chosen.mul, refine ? maxEval : 0, chosen.u, relTol, 0.05)
  if (refine) evaluations += k.evaluations.value as number
  if (!(sse <= chosen.sse)) sse = fit(chosen.tc, chosen.mul, 0, chosen.u)
  const trendCode = chosen.tc
  const mul = chosen.mul
  if (!Number.isFinite(sse)) throw new Error(`ETS fit diverged on a series of ${n} values`)
  const sigma = Math.sqrt(sse / n)
  k.forecastEts(h, z, sigma)
  const trendTag = trendCode === 0 ? 'N' : trendCode === 1 ? 'Ad' : 'A'
  const seasonTag = seasonal ? (mul ? 'M' : 'A') : 'N'
  return {
    ...kernel.outputs(h),
    model: `ets(A,${trendTag},${seasonTag})${seasonal ? `[${seasons.join(',')}]` : ''}`,
    seasons,
    params: {
      alpha: k.alpha.value, beta: k.beta.value, gamma: seasons.length > 1 ? [k.gamma1.value, k.gamma2.value] : [k.gamma1.value],
      phi: k.phi.value, sigma, aic: aicOf(sse, trendCode), level: k.level.value, slope: k.slope.value, evaluations,
      warmStart: [0, 1, 2, 3, 4].map((i) => k.unitParam(i)),
    },
  }
}

/**
 * Options that refit the model of a previous result on new data (the scheduler's every-minute
 * refit): same family, seasons and trend, parameters warm-started. Model selection and season
 * detection are skipped; run a full `forecast` now and then (e.g. hourly) to reselect.
 */
export function refitOptions(prev: ForecastResult): Omit<ForecastOptions, 'horizon'> {
  const m = /^ets\(A,(N|Ad|A),(N|A|M)\)/.exec(prev.model)
  if (m) {
    return {
      model: m[2] === 'M' ? 'ets-multiplicative' : 'ets-additive',
      trend: m[1] === 'N' ? 'none' : m[1] === 'Ad' ? 'damped' : 'linear',
      season: prev.seasons,
      warmStart: prev.params.warmStart as number[],
    }
  }
  if (prev.model === 'tsb' || prev.model === 'croston') return { model: prev.model, season: [] }
  if (prev.model.startsWith('snaive')) return { model: 'snaive', season: prev.seasons }
  // Theta or a combination chosen by validation: validate again with the same seasons (no detection)
  return { season: prev.seasons }
}

export { ForecastKernel, sharedKernel } from './wasm.js'
