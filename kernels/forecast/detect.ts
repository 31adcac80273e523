// Seasonal-period detection for the forecaster: the kernel's ACF peak search (assembly/acf.ts),
// run on a robust copy of the series so that spikes and skew do not hide the daily cycle.
import { sharedKernel, type ForecastKernel } from './wasm.js'

/**
 * A copy for period detection: log(1 + y) when every value is >= 0 (traffic and counts are
 * multiplicative: the cycle is a ratio, and a 10x spike is one large value, not a new level),
 * then clipped to median +- 5 robust standard deviations (1.4826 MAD) when the MAD is positive.
 * Without it a 5-minute series with bursts found a period of 4,270 steps instead of 288.
 */
export function robustCopy(values: ArrayLike<number>): Float64Array {
  const n = values.length
  // slice copies a Float64Array in one block (Float64Array.from iterates: about 9x slower)
  const y = values instanceof Float64Array ? values.slice() : Float64Array.from(values as ArrayLike<number>)
  let nonNegative = true
  for (let i = 0; i < n; i++) if (y[i] < 0) { nonNegative = false; break }
  if (nonNegative) for (let i = 0; i < n; i++) y[i] = Math.log1p(y[i])
  const scratch = y.slice()
  const med = select(scratch, n >> 1)
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(y[i] - med)
  const mad = select(scratch, n >> 1)
  if (mad > 0) {
    const lo = med - 5 * 1.4826 * mad, hi = med + 5 * 1.4826 * mad
    for (let i = 0; i < n; i++) y[i] = Math.min(hi, Math.max(lo, y[i]))
  }
  return y
}

/**
 * The k-th smallest value of `a` (what `a.sort()[k]` gives, NaN-free input), found in O(n) by
 * Hoare's selection with a median-of-three pivot. Reorders `a`.
 */
export function select(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1
  while (hi > lo) {
    const mid = (lo + hi) >> 1
    // median of three as the pivot
    let p = a[mid]
    const x = a[lo], z = a[hi]
    if ((x <= p) === (p <= z)) { /* p is the median */ } else if ((p <= x) === (x <= z)) p = x
    else p = z
    let i = lo, j = hi
    while (i <= j) {
      while (a[i] < p) i++
      while (a[j] > p) j--
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j-- }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]
  }
  return a[k]
}

/** Seasonal periods found in `values` (no NaN) by ACF peaks of its robust copy (at most two, nested, shortest first). Overwrites the kernel's input. */
export function detectSeasons(values: ArrayLike<number>, kernel: ForecastKernel = sharedKernel()): number[] {
  const y = robustCopy(values)
  const found = detectLoaded(y, kernel)
  if (found.length > 0 || y.length < 48) return found
  // A level shift or trend keeps the ACF high and the kernel then reads differences, where a smooth
  // daily cycle drowns in noise: retry with a centred moving average of n/6 points removed.
  return detectLoaded(minusMovingAverage(y, Math.floor(y.length / 6)), kernel)
}

/** y minus its centred moving average over `w` points (shrinking at the ends). */
function minusMovingAverage(y: Float64Array, w: number): Float64Array {
  const n = y.length
  const prefix = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + y[i]
  const out = new Float64Array(n)
  const half = w >> 1
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - half), b = Math.min(n, i + half + 1)
    out[i] = y[i] - (prefix[b] - prefix[a]) / (b - a)
  }
  return out
}

function detectLoaded(y: Float64Array, kernel: ForecastKernel): number[] {
  const n = y.length
  kernel.load(y, 1)
  const k = kernel.exports
  const out = k.seasonsOut()
  const count = k.detectSeasons(n, 2, 0.2, out)
  const heap = kernel.heapI32()
  const seasons: number[] = []
  for (let i = 0; i < count; i++) seasons.push(heap[(out >>> 2) + i])
  return seasons
}

/**
 * Autocorrelations c_k / c_0 of `values` for k = 0..maxLag (the plain estimator, not bias-adjusted),
 * by the kernel's FFT in O(n log n); lags at or beyond n are 0. Null for a constant series.
 * Overwrites the kernel's input.
 */
export function autocorrelation(values: Float64Array, maxLag: number, kernel: ForecastKernel = sharedKernel()): Float64Array | null {
  const n = values.length
  const top = Math.min(maxLag, n - 1)
  kernel.load(values, 1)
  if (top < 0 || !kernel.exports.acf(n, top, 0)) return null
  const heap = kernel.heapF64()
  const p = (kernel.exports.acfPtr.value as number) >>> 3
  const r = new Float64Array(maxLag + 1)
  // the kernel's r(k) carries the bias adjustment n / (n - k): undo it
  for (let k = 0; k <= top; k++) r[k] = (heap[p + k] * (n - k)) / n
  return r
}
