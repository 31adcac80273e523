// Forecasters the predictive policy can use: the forecast kernel's ETS/TSB (EtsForecaster) and a plain
// exponentially weighted mean (EwmaForecaster) that needs no wasm. Both answer mean and interval bounds.
import { detectSeasons, forecast as kernelForecast } from '@jaegis/kernels/forecast'
import { normalQuantile } from '@jaegis/kernels/forecast'

/** A forecast of `horizon` steps with a central interval. */
export interface ForecastOutput {
  mean: Float64Array
  lower: Float64Array
  upper: Float64Array
  /** What produced it, e.g. `ets(A,N,A)[60]`, `tsb`, `ewma`. */
  model: string
  /** Akaike information criterion of the fit, when the forecaster has one (lower is better; same series only). */
  aic?: number
}

/** Forecasts an equally spaced series (oldest first). Implementations must not keep state between calls. */
export interface Forecaster {
  readonly name: string
  /** @param level central coverage of [lower, upper], in (0, 1). */
  forecast(values: Float64Array, horizon: number, level?: number): ForecastOutput
  /**
   * The seasonal periods this forecaster would find in `values` (ascending, at most two), when it detects
   * seasons at all. Federated sites ship these so that control can agree on one season per function.
   */
  seasons?(values: Float64Array): number[]
  /**
   * The same forecaster with `season` fixed (no detection) and/or `signed` means (not clipped at 0: a
   * federated site's dip below its seasonal baseline cancels another site's rise in control's sum).
   */
  variant?(o: { season?: readonly number[]; signed?: boolean }): Forecaster
}

/** Distinct periods > 1, ascending, the two longest (what the kernel's ETS uses). */
export function normalizeSeasons(seasons: readonly number[]): number[] {
  const s = [...new Set(seasons.filter((m) => Number.isInteger(m) && m > 1))].sort((a, b) => a - b)
  return s.length > 2 ? s.slice(-2) : s
}

export interface EtsForecasterOptions {
  /** Seasonal period(s) in steps, or 'auto' (ACF detection in the kernel). @default 'auto' */
  season?: 'auto' | number | number[]
  /** Cap on Nelder-Mead evaluations per fit. @default 60 */
  maxEvaluations?: number
  /** Clip the mean and bounds at 0 (counts are never negative). @default true */
  nonNegative?: boolean
}

/** ETS / Holt-Winters, TSB for intermittent series, chosen by the forecast kernel (kernels/forecast). */
export class EtsForecaster implements Forecaster {
  readonly name = 'ets'
  constructor(private readonly options: EtsForecasterOptions = {}) {}

  forecast(values: Float64Array, horizon: number, level = 0.9): ForecastOutput {
    // AIC selection among ETS/TSB: the policy refits every few minutes for every function, and
    // validation's 5-10x cost is not worth it for a 6-minute horizon (docs/scheduler.md)
    const r = kernelForecast(values, { horizon, level, season: this.options.season ?? 'auto', maxEvaluations: this.options.maxEvaluations ?? 60, nonNegative: this.options.nonNegative ?? true, selection: 'aic' })
    const aic = r.params.aic
    return { mean: r.mean, lower: r.lower, upper: r.upper, model: r.model, ...(typeof aic === 'number' && Number.isFinite(aic) ? { aic } : {}) }
  }

  /** The kernel's ACF detection on `values` (none below 8 values or 3 non-zero ones, as the kernel's fit). */
  seasons(values: Float64Array): number[] {
    if (this.options.season !== undefined && this.options.season !== 'auto') return normalizeSeasons(Array.isArray(this.options.season) ? this.options.season : [this.options.season])
    let nonZero = 0
    for (const v of values) if (v !== 0) nonZero++
    if (values.length < 8 || nonZero < 3) return []
    return normalizeSeasons(detectSeasons(values))
  }

  variant(o: { season?: readonly number[]; signed?: boolean }): EtsForecaster {
    return new EtsForecaster({ ...this.options, ...(o.season ? { season: [...o.season] } : {}), ...(o.signed !== undefined ? { nonNegative: !o.signed } : {}) })
  }
}

/** Exponentially weighted mean and variance; a flat forecast. For tests and as a kernel-free fallback. */
export class EwmaForecaster implements Forecaster {
  readonly name = 'ewma'
  /** @param alpha smoothing weight of the newest value, in (0, 1]. @default 0.3 */
  constructor(private readonly alpha = 0.3) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`)
  }

  forecast(values: Float64Array, horizon: number, level = 0.9): ForecastOutput {
    if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`horizon must be an integer >= 1, got ${horizon}`)
    let mean = values.length ? values[0] : 0
    let variance = 0
    for (let i = 1; i < values.length; i++) {
      const d = values[i] - mean
      mean += this.alpha * d
      variance = (1 - this.alpha) * (variance + this.alpha * d * d)
    }
    const z = normalQuantile(0.5 + level / 2)
    const sd = Math.sqrt(variance)
    return {
      mean: new Float64Array(horizon).fill(mean),
      lower: new Float64Array(horizon).fill(Math.max(0, mean - z * sd)),
      upper: new Float64Array(horizon).fill(mean + z * sd),
      model: 'ewma',
    }
  }
}
