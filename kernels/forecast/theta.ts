// The Theta method (Assimakopoulos & Nikolopoulos 2000, in Hyndman & Billah's 2003 form, as R's
// forecast::thetaf): classical seasonal decomposition when the lag-m autocorrelation is significant,
// simple exponential smoothing plus half the linear-regression drift, reseasonalised. Cheap (a few
// passes over the series) and strong on hourly data (M4); one of the candidates of `auto`.

/** Mean, bounds and fitted parameters of a Theta forecast. */
export interface ThetaFit { mean: Float64Array; lower: Float64Array; upper: Float64Array; alpha: number; drift: number; sigma: number; seasonal: boolean }

/** Is the lag-m autocorrelation significant at 90 % (thetaf's test: |r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n))? */
export function seasonalityTest(y: Float64Array, m: number): boolean {
  const n = y.length
  if (m < 2 || n < 3 * m) return false
  let mean = 0
  for (let t = 0; t < n; t++) mean += y[t]
  mean /= n
  const d = centred.length >= n ? centred : (centred = new Float64Array(Math.max(n, 2 * centred.length)))
  let c0 = 0
  for (let t = 0; t < n; t++) { d[t] = y[t] - mean; c0 += d[t] ** 2 }
  if (!(c0 > 0)) return false
  let sumSq = 0
  let rm = 0
  // four lags per sweep: independent sums (each added in the order of t, as one lag at a time
  // would) so the adds do not wait on each other; the O(n m) sums were a tenth of `auto` on M4 hourly
  let k = 1
  for (; k + 3 <= m; k += 4) {
    let c1 = 0, c2 = 0, c3 = 0, c4 = 0
    for (let t = k; t < k + 3; t++) {
      c1 += d[t] * d[t - k]
      if (t >= k + 1) c2 += d[t] * d[t - k - 1]
      if (t >= k + 2) c3 += d[t] * d[t - k - 2]
    }
    for (let t = k + 3; t < n; t++) {
      const v = d[t]
      c1 += v * d[t - k]; c2 += v * d[t - k - 1]; c3 += v * d[t - k - 2]; c4 += v * d[t - k - 3]
    }
    const r1 = c1 / c0, r2 = c2 / c0, r3 = c3 / c0, r4 = c4 / c0
    sumSq += r1 * r1; sumSq += r2 * r2; sumSq += r3 * r3
    if (k + 3 < m) sumSq += r4 * r4
    else rm = r4
  }
  for (; k <= m; k++) {
    let c = 0
    for (let t = k; t < n; t++) c += d[t] * d[t - k]
    const r = c / c0
    if (k < m) sumSq += r * r
    else rm = r
  }
  return Math.abs(rm) > 1.645 * Math.sqrt((1 + 2 * sumSq) / n)
}

/**
 * `seasonalityTest` from autocorrelations computed elsewhere (the kernel's FFT): `r[k]` = c_k / c_0
 * (not bias-adjusted) for k = 0..m, or null when the series is constant. Equal to the direct sums to
 * rounding, in O(n log n) for every season at once instead of O(n m) each.
 */
export function seasonalFromAcf(r: Float64Array | null, n: number, m: number): boolean {
  if (m < 2 || n < 3 * m || r === null || r.length <= m) return false
  let sumSq = 0
  for (let k = 1; k < m; k++) sumSq += r[k] * r[k]
  return Math.abs(r[m]) > 1.645 * Math.sqrt((1 + 2 * sumSq) / n)
}

/** Scratch for `seasonalityTest`'s centred copy, grown on demand. */
let centred = new Float64Array(1024)

/**
 * Seasonal indices of period m by classical decomposition (centred moving average; ratios when
 * `multiplicative`, differences otherwise), averaged by position and normalised (mean 1 or 0).
 * Index i belongs to positions t with t mod m = i.
 */
export function seasonalIndices(y: Float64Array, m: number, multiplicative: boolean): Float64Array {
  const n = y.length
  const sums = new Float64Array(m)
  const counts = new Float64Array(m)
  const half = m >> 1
  // centred moving average (2 x m when m is even) from prefix sums
  const prefix = new Float64Array(n + 1)
  for (let t = 0; t < n; t++) prefix[t + 1] = prefix[t] + y[t]
  const even = m % 2 === 0
  for (let t = half; t < n - half; t++) {
    const ma = even ? (prefix[t + half] - prefix[t - half + 1] + 0.5 * (y[t - half] + y[t + half])) / m : (prefix[t + half + 1] - prefix[t - half]) / m
    const i = t % m
    sums[i] += multiplicative ? (ma > 0 ? y[t] / ma : 1) : y[t] - ma
    counts[i]++
  }
  const idx = new Float64Array(m)
  let mean = 0
  for (let i = 0; i < m; i++) { idx[i] = counts[i] > 0 ? sums[i] / counts[i] : multiplicative ? 1 : 0; mean += idx[i] }
  mean /= m
  for (let i = 0; i < m; i++) idx[i] = multiplicative ? (mean > 0 ? idx[i] / mean : 1) : idx[i] - mean
  return idx
}

/**
 * Golden-section steps for Theta's alpha, each one pass over the series: 12 narrow [0.01, 0.99] to
 * +-0.003. Chosen on the M4 hourly validation split (odd ids, with CV_FIT_TOLERANCE 0.03): mean
 * sMAPE 9.036 % with 18 steps (+-2e-4), 9.037 with 12, 9.025 with 9; NAB 5-minute validation 45.25,
 * 45.24, 45.21 (MSIS 10.71, 10.71, 10.82); 12 is a third fewer passes at no visible cost.
 */
export const THETA_GOLDEN_STEPS = 12

/** One-step SSE of simple exponential smoothing with weight alpha, level started at y[0]; also the final level. */
function ses(x: Float64Array, alpha: number): { sse: number; level: number } {
  let l = x[0]
  let sse = 0
  const keep = 1 - alpha
  // l' = (1 - alpha) l + alpha x: one multiply-add on the chain from one level to the next (alpha x
  // does not wait for l), where l + alpha (x - l) needs three dependent operations: 2x faster
  for (let t = 1; t < x.length; t++) {
    const v = x[t]
    const e = v - l
    sse += e * e
    l = keep * l + alpha * v
  }
  return { sse, level: l }
}

/**
 * Theta forecast of `h` steps with season `m` (1 = none) and a central interval of +-z sigma_h.
 * The seasonal adjustment is multiplicative for strictly positive data, additive otherwise, and
 * only used when `seasonalityTest` passes (or `isSeasonal`, the test's result on a longer stretch
 * of the same series, says so).
 */
export function thetaForecast(y: Float64Array, m: number, h: number, z: number, isSeasonal?: boolean): ThetaFit {
  const n = y.length
  let positive = true
  for (let t = 0; t < n; t++) if (!(y[t] > 0)) { positive = false; break }
  const seasonal = m > 1 && 2 * m <= n && (isSeasonal ?? seasonalityTest(y, m))
  const idx = seasonal ? seasonalIndices(y, m, positive) : new Float64Array(1).fill(positive ? 1 : 0)
  const mm = seasonal ? m : 1
  const x = new Float64Array(n)
  for (let t = 0; t < n; t++) x[t] = positive ? y[t] / idx[t % mm] : y[t] - idx[t % mm]
  // alpha by golden-section search on the one-step SSE over [0.01, 0.99]
  let a = 0.01, b = 0.99
  const g = (Math.sqrt(5) - 1) / 2
  let c = b - g * (b - a), d = a + g * (b - a)
  let fc = ses(x, c).sse, fd = ses(x, d).sse
  for (let i = 0; i < THETA_GOLDEN_STEPS; i++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = ses(x, c).sse }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = ses(x, d).sse }
  }
  const alpha = (a + b) / 2
  const { sse, level } = ses(x, alpha)
  // drift: half the least-squares slope of x on t
  const tMean = (n - 1) / 2
  let xMean = 0
  for (let t = 0; t < n; t++) xMean += x[t]
  xMean /= n
  let sxy = 0, sxx = 0
  for (let t = 0; t < n; t++) { sxy += (t - tMean) * (x[t] - xMean); sxx += (t - tMean) ** 2 }
  const slope = sxx > 0 ? sxy / sxx : 0
  const sigma = Math.sqrt(sse / Math.max(1, n - 1))
  const mean = new Float64Array(h), lower = new Float64Array(h), upper = new Float64Array(h)
  const decay = Math.pow(1 - alpha, n) / alpha
  for (let k = 0; k < h; k++) {
    const f = level + 0.5 * slope * (k + 1 / alpha - decay)
    const sd = sigma * Math.sqrt(1 + alpha * alpha * k)
    const s = idx[(n + k) % mm]
    if (positive) { mean[k] = f * s; lower[k] = (f - z * sd) * s; upper[k] = (f + z * sd) * s }
    else { mean[k] = f + s; lower[k] = f - z * sd + s; upper[k] = f + z * sd + s }
  }
  return { mean, lower, upper, alpha, drift: 0.5 * slope, sigma, seasonal }
}
