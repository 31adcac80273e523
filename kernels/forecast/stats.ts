// Small numeric helpers shared by the forecaster, the CLI and the benchmark: accuracy metrics and
// the normal quantile used for prediction intervals.

/** Symmetric MAPE in percent: mean of |a - f| / ((|a| + |f|) / 2); a term with a = f = 0 counts 0. */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  if (actual.length !== forecast.length || actual.length === 0) throw new RangeError('smape needs two non-empty arrays of equal length')
  let s = 0
  for (let i = 0; i < actual.length; i++) {
    const d = (Math.abs(actual[i]) + Math.abs(forecast[i])) / 2
    if (d > 0) s += Math.abs(actual[i] - forecast[i]) / d
  }
  return (100 * s) / actual.length
}

/**
 * Mean absolute scaled error: MAE of the forecast over the in-sample MAE of the seasonal naive
 * forecast with period m (Hyndman & Koehler 2006). Infinity when the training series is m-periodic.
 */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, train: ArrayLike<number>, m = 1): number {
  if (actual.length !== forecast.length || actual.length === 0) throw new RangeError('mase needs two non-empty arrays of equal length')
  if (train.length <= m) throw new RangeError(`mase needs more than ${m} training points`)
  let scale = 0
  for (let t = m; t < train.length; t++) scale += Math.abs(train[t] - train[t - m])
  scale /= train.length - m
  let mae = 0
  for (let i = 0; i < actual.length; i++) mae += Math.abs(actual[i] - forecast[i])
  mae /= actual.length
  return scale > 0 ? mae / scale : mae > 0 ? Infinity : 0
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`)
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const lo = 0.02425
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
  }
  if (p > 1 - lo) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
}

/** Mean absolute lag-m difference of `train`: the scale of MASE and MSIS (M4). */
function seasonalScale(train: ArrayLike<number>, m: number): number {
  if (train.length <= m) throw new RangeError(`the scale needs more than ${m} training points`)
  let scale = 0
  for (let t = m; t < train.length; t++) scale += Math.abs(train[t] - train[t - m])
  return scale / (train.length - m)
}

/**
 * Mean scaled interval score (M4 competition): mean over the horizon of (U - L) + (2 / a)(L - y)
 * when y < L + (2 / a)(y - U) when y > U, over the in-sample seasonal-naive MAE with period m;
 * a = 1 - coverage of the interval (0.05 for 95 %). Lower is better.
 */
export function msis(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, train: ArrayLike<number>, m = 1, a = 0.05): number {
  if (actual.length !== lower.length || actual.length !== upper.length || actual.length === 0) throw new RangeError('msis needs three non-empty arrays of equal length')
  let s = 0
  for (let i = 0; i < actual.length; i++) {
    s += upper[i] - lower[i]
    if (actual[i] < lower[i]) s += (2 / a) * (lower[i] - actual[i])
    if (actual[i] > upper[i]) s += (2 / a) * (actual[i] - upper[i])
  }
  const scale = seasonalScale(train, m)
  s /= actual.length
  return scale > 0 ? s / scale : s > 0 ? Infinity : 0
}

/** Share (0-1) of `actual` inside [lower, upper]. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  if (actual.length !== lower.length || actual.length !== upper.length || actual.length === 0) throw new RangeError('coverage needs three non-empty arrays of equal length')
  let c = 0
  for (let i = 0; i < actual.length; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) c++
  return c / actual.length
}
