// Autocorrelation by FFT (Wiener-Khinchin) and seasonal-period detection from its peaks.
// Periods come back nested (each a multiple of the previous), shortest first.
import { yPtr, fftPtr, twPtr, acfPtr, nextPow2 } from './memory'

let twN: i32 = 0
let twAt: usize = 0

function twiddles(n: i32): void {
  if (twN == n && twAt == twPtr) return
  const half = n >> 1
  for (let k = 0; k < half; k++) {
    const a = -2.0 * Math.PI * <f64>k / <f64>n
    store<f64>(twPtr + (<usize>k << 4), Math.cos(a))
    store<f64>(twPtr + (<usize>k << 4) + 8, Math.sin(a))
  }
  twN = n
  twAt = twPtr
}

/**
 * In-place radix-2 FFT of `n` interleaved complex values at fftPtr, using every `stride`-th
 * twiddle of the table (a table built for size n * stride).
 */
function fft(n: i32, stride: i32): void {
  const buf = fftPtr
  let j = 0
  for (let i = 0; i < n - 1; i++) {
    if (i < j) {
      const pi = buf + (<usize>i << 4), pj = buf + (<usize>j << 4)
      const v = v128.load(pi)
      v128.store(pi, v128.load(pj))
      v128.store(pj, v)
    }
    let m = n >> 1
    while (m >= 1 && (j & m) != 0) { j ^= m; m >>= 1 }
    j |= m
  }
  const sign = f64x2(-1.0, 1.0)
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1
    const step = (n / len) * stride
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const w = v128.load(twPtr + (<usize>(k * step) << 4)) // (wr, wi)
        const pa = buf + (<usize>(i + k) << 4)
        const pb = buf + (<usize>(i + k + half) << 4)
        const bv = v128.load(pb) // (br, bi)
        // t = b * w = (br wr - bi wi, br wi + bi wr)
        const bre = f64x2.splat(f64x2.extract_lane(bv, 0)), bim = f64x2.splat(f64x2.extract_lane(bv, 1))
        const wsw = v128.shuffle<f64>(w, w, 1, 0) // (wi, wr)
        const tv = f64x2.add(f64x2.mul(bre, w), f64x2.mul(f64x2.mul(bim, wsw), sign))
        const av = v128.load(pa)
        v128.store(pa, f64x2.add(av, tv))
        v128.store(pb, f64x2.sub(av, tv))
      }
    }
  }
}

/**
 * After fft(H, 2) of a real sequence of length N = 2H packed as z[k] = x[2k] + i x[2k+1], the
 * spectrum bin X[k] (0 <= k <= H) is E + w^k O with E = (Z[k] + conj Z[H-k]) / 2 and
 * O = -i (Z[k] - conj Z[H-k]) / 2. Returns (re, im) of X[k].
 */
@inline function realBin(k: i32, H: i32): v128 {
  const zk = v128.load(fftPtr + (<usize>(k == H ? 0 : k) << 4))
  const zc = v128.load(fftPtr + (<usize>(k == 0 ? 0 : H - k) << 4))
  const zr = f64x2.extract_lane(zk, 0), zi = f64x2.extract_lane(zk, 1)
  const cr = f64x2.extract_lane(zc, 0), ci = -f64x2.extract_lane(zc, 1)
  const er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci)
  const or_ = 0.5 * (zi - ci), oi = -0.5 * (zr - cr) // O = -i (Z - C) / 2
  let wr = -1.0, wi = 0.0
  if (k < H) { const tw = twPtr + (<usize>k << 4); wr = load<f64>(tw); wi = load<f64>(tw, 8) }
  return f64x2(er + wr * or_ - wi * oi, ei + wr * oi + wi * or_)
}

/**
 * Autocorrelation at lags 0..maxLag into acfPtr, of the input (n points) or, with `diff`, of its
 * first differences (Wiener-Khinchin with real FFTs of half size), bias-adjusted by len/(len-k).
 * Returns 0 for a constant series.
 */
export function acf(n: i32, maxLag: i32, diff: bool): i32 {
  const d = diff ? 1 : 0
  const len = n - d
  let mean = 0.0
  for (let i = d; i < n; i++) mean += at(i, d)
  mean /= <f64>len
  const N = nextPow2(n + maxLag + 1)
  const H = N >> 1
  twiddles(N)
  for (let k = 0; k < H; k++) {
    const i0 = 2 * k, i1 = 2 * k + 1
    store<f64>(fftPtr + (<usize>k << 4), i0 < len ? at(i0 + d, d) - mean : 0.0)
    store<f64>(fftPtr + (<usize>k << 4) + 8, i1 < len ? at(i1 + d, d) - mean : 0.0)
  }
  fft(H, 2)
  // power spectrum P[0..H] (real, even) into acfPtr
  for (let k = 0; k <= H; k++) {
    const x = realBin(k, H)
    const re = f64x2.extract_lane(x, 0), im = f64x2.extract_lane(x, 1)
    store<f64>(acfPtr + (<usize>k << 3), re * re + im * im)
  }
  // its transform (N x the inverse, as P is real and even) is the autocovariance
  for (let k = 0; k < H; k++) {
    const j0 = 2 * k, j1 = 2 * k + 1
    store<f64>(fftPtr + (<usize>k << 4), load<f64>(acfPtr + (<usize>(j0 <= H ? j0 : N - j0) << 3)))
    store<f64>(fftPtr + (<usize>k << 4) + 8, load<f64>(acfPtr + (<usize>(j1 <= H ? j1 : N - j1) << 3)))
  }
  fft(H, 2)
  const c0 = f64x2.extract_lane(realBin(0, H), 0)
  // constant (to rounding) at any scale: variance negligible against the mean's square
  if (!(c0 > 1e-24 * <f64>N * <f64>len * mean * mean) || !(c0 > 0)) return 0
  // r(k) = c(k) / c(0) * len / (len - k): without the factor a long period's peak is biased
  // low by (1 - k/len) and loses to its own shorter divisor
  for (let k = 0; k <= maxLag; k++) {
    store<f64>(acfPtr + (<usize>k << 3), f64x2.extract_lane(realBin(k, H), 0) / c0 * (<f64>len / <f64>(len - k)))
  }
  return 1
}

@inline function at(i: i32, d: i32): f64 {
  const v = load<f64>(yPtr + (<usize>i << 3))
  return d != 0 ? v - load<f64>(yPtr + (<usize>(i - 1) << 3)) : v
}

@inline function r(k: i32): f64 { return load<f64>(acfPtr + (<usize>k << 3)) }

/** Is lag k a local maximum of the ACF over +-w lags, above `minR`? */
function isPeak(k: i32, maxLag: i32, minR: f64): bool {
  const v = r(k)
  if (v < minR) return false
  const w = max(1, k / 10)
  for (let j = max(1, k - w); j <= min(maxLag, k + w); j++) if (j != k && r(j) > v) return false
  return true
}

/**
 * Detects up to `maxPeriods` nested seasonal periods (each at most n/2) and writes them, shortest
 * first, to `out` (i32). The fundamental is the shortest ACF peak above `minR` that stands clear of
 * its neighbourhood; a longer period is kept when the ACF at one of its multiples is a peak higher
 * than at the period itself (e.g. 48 then 336 for half-hourly data with a weekly cycle).
 */
export function detectSeasons(n: i32, maxPeriods: i32, minR: f64, out: usize): i32 {
  // a period needs three cycles to show as an ACF peak with its neighbours; n/3 also halves the FFT
  const maxLag = n / 3
  if (maxLag < 4) return 0
  if (acf(n, maxLag, false) == 0) return 0
  // skip the initial decay of the ACF: start after its first local minimum
  let k = 1
  while (k < maxLag && r(k + 1) < r(k)) k++
  if (k >= maxLag || r(k) > 0.3) {
    // a trend keeps the ACF high at every lag and hides the seasonal peaks: use differences
    if (acf(n, maxLag, true) == 0) return 0
    k = 1
    while (k < maxLag && r(k + 1) < r(k)) k++
  }
  let first = 0
  for (; k < maxLag; k++) {
    if (k >= 2 && isPeak(k, maxLag, minR)) { first = k; break }
  }
  if (first == 0) return 0
  let count = 0
  let base = refine(first, maxLag, minR)
  store<i32>(out, base); count++
  while (count < maxPeriods) {
    let best = 0
    let bestR = r(base)
    for (let j = 2; j * base <= maxLag; j++) {
      const lag = j * base
      if (r(lag) > bestR + 0.02 && isPeak(lag, maxLag, minR)) { best = lag; bestR = r(lag) }
    }
    if (best == 0) break
    store<i32>(out + (<usize>count << 2), best); count++
    base = best
  }
  return count
}

/** Refines a peak lag p from the last of its consecutive multiples that are peaks too (p = lag_j / j). */
function refine(p: i32, maxLag: i32, minR: f64): i32 {
  let lastLag = p, lastJ = 1
  for (let j = 2; j <= 64 && j * p + j <= maxLag; j++) {
    let found = 0
    let bestR = -2.0
    for (let lag = j * p - j; lag <= j * p + j; lag++) if (r(lag) > bestR) { bestR = r(lag); found = lag }
    if (!isPeak(found, maxLag, minR)) break
    lastLag = found; lastJ = j
  }
  return <i32>Math.round(<f64>lastLag / <f64>lastJ)
}

const SEASONS = memory.data(4 * 8)
/** Where detectSeasons can write its periods (room for 8). */
export function seasonsOut(): usize { return SEASONS }
