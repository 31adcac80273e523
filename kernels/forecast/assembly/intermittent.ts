// Forecasts for intermittent demand (Croston with the SBA correction, and TSB) and seasonal naive.
// All produce flat or repeating forecasts; intervals are normal on one-step residuals, floored at 0.
import { yPtr, meanPtr, lowerPtr, upperPtr } from './memory'

@inline function yAt(t: i32): f64 { return load<f64>(yPtr + (<usize>t << 3)) }

export let sizeEst: f64 = 0 // smoothed non-zero demand size
export let probEst: f64 = 0 // TSB: demand probability; Croston: 1 / smoothed interval
export let alphaI: f64 = 0
export let betaI: f64 = 0
export let sigmaI: f64 = 0

const GRID_A: StaticArray<f64> = [0.05, 0.1, 0.2, 0.4]
const GRID_B: StaticArray<f64> = [0.02, 0.08, 0.2]

/** One TSB pass with given weights; returns the one-step SSE and leaves the final states. */
function tsbPass(n: i32, a: f64, b: f64, z0: f64, p0: f64): f64 {
  let z = z0, p = p0, acc = 0.0
  for (let t = 0; t < n; t++) {
    const y = yAt(t)
    const e = y - p * z
    acc += e * e
    // branch-free: zero minutes are unpredictable, so a branch here would mispredict often
    const hit: f64 = y != 0 ? 1.0 : 0.0
    z += a * hit * (y - z)
    p += b * (hit - p)
  }
  sizeEst = z; probEst = p
  return acc
}

/**
 * SSE of all 4 x 3 grid points in one pass: the size states depend only on alpha and the
 * probability states only on beta, so 4 + 3 chains run side by side (f64x2 lanes over alpha).
 * Writes the 12 SSEs to TSB_SSE (alpha-major pairs per beta).
 */
const TSB_SSE = memory.data(8 * 12)
function tsbGrid(n: i32, z0: f64, p0: f64): void {
  const aLo = f64x2(GRID_A[0], GRID_A[1]), aHi = f64x2(GRID_A[2], GRID_A[3])
  const b0 = GRID_B[0], b1 = GRID_B[1], b2 = GRID_B[2]
  let zLo = f64x2.splat(z0), zHi = f64x2.splat(z0)
  let p0s = p0, p1s = p0, p2s = p0
  let c0L = f64x2.splat(0), c0H = f64x2.splat(0), c1L = f64x2.splat(0), c1H = f64x2.splat(0), c2L = f64x2.splat(0), c2H = f64x2.splat(0)
  for (let t = 0; t < n; t++) {
    const y = yAt(t)
    const yv = f64x2.splat(y)
    let e = f64x2.sub(yv, f64x2.mul(f64x2.splat(p0s), zLo)); c0L = f64x2.add(c0L, f64x2.mul(e, e))
    e = f64x2.sub(yv, f64x2.mul(f64x2.splat(p0s), zHi)); c0H = f64x2.add(c0H, f64x2.mul(e, e))
    e = f64x2.sub(yv, f64x2.mul(f64x2.splat(p1s), zLo)); c1L = f64x2.add(c1L, f64x2.mul(e, e))
    e = f64x2.sub(yv, f64x2.mul(f64x2.splat(p1s), zHi)); c1H = f64x2.add(c1H, f64x2.mul(e, e))
    e = f64x2.sub(yv, f64x2.mul(f64x2.splat(p2s), zLo)); c2L = f64x2.add(c2L, f64x2.mul(e, e))
    e = f64x2.sub(yv, f64x2.mul(f64x2.splat(p2s), zHi)); c2H = f64x2.add(c2H, f64x2.mul(e, e))
    const hit: f64 = y != 0 ? 1.0 : 0.0
    const hv = f64x2.splat(hit)
    zLo = f64x2.add(zLo, f64x2.mul(f64x2.mul(aLo, hv), f64x2.sub(yv, zLo)))
    zHi = f64x2.add(zHi, f64x2.mul(f64x2.mul(aHi, hv), f64x2.sub(yv, zHi)))
    p0s += b0 * (hit - p0s)
    p1s += b1 * (hit - p1s)
    p2s += b2 * (hit - p2s)
  }
  v128.store(TSB_SSE, c0L); v128.store(TSB_SSE + 16, c0H)
  v128.store(TSB_SSE + 32, c1L); v128.store(TSB_SSE + 48, c1H)
  v128.store(TSB_SSE + 64, c2L); v128.store(TSB_SSE + 80, c2H)
}

function initials(n: i32): i32 {
  let nz = 0, sum = 0.0
  for (let t = 0; t < n; t++) { const y = yAt(t); if (y != 0) { nz++; sum += y } }
  sizeEst = nz > 0 ? sum / <f64>nz : 0
  probEst = <f64>nz / <f64>max(1, n)
  return nz
}

/** Teunter-Syntetos-Babai: alpha in {.05,.1,.2,.4} x beta in {.02,.08,.2} on one-step SSE. Returns the SSE. */
export function fitTsb(n: i32): f64 {
  initials(n)
  const z0 = sizeEst, p0 = probEst
  tsbGrid(n, z0, p0)
  let best = Infinity
  for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) {
    const v = load<f64>(TSB_SSE + (<usize>(j * 4 + i) << 3))
    if (v < best) { best = v; alphaI = GRID_A[i]; betaI = GRID_B[j] }
  }
  best = tsbPass(n, alphaI, betaI, z0, p0)
  sigmaI = Math.sqrt(best / <f64>max(1, n))
  return best
}

/** One Croston pass (SBA-corrected forecast (1 - a/2) z / x); returns the one-step SSE. */
function crostonPass(n: i32, a: f64, z0: f64, x0: f64): f64 {
  let z = z0, x = x0, q = 1, acc = 0.0
  for (let t = 0; t < n; t++) {
    const y = yAt(t)
    const f = (1 - a * 0.5) * z / x
    const e = y - f
    acc += e * e
    if (y != 0) { z += a * (y - z); x += a * (<f64>q - x); q = 1 } else q++
  }
  sizeEst = z; probEst = (1 - a * 0.5) / x
  return acc
}

/** Croston with the Syntetos-Boylan approximation; alpha by grid search. Returns the SSE. */
export function fitCroston(n: i32): f64 {
  const nz = initials(n)
  const z0 = sizeEst
  const x0 = nz > 0 ? <f64>n / <f64>nz : 1
  let best = Infinity
  for (let i = 0; i < GRID_A.length; i++) {
    const s = crostonPass(n, GRID_A[i], z0, x0)
    if (s < best) { best = s; alphaI = GRID_A[i] }
  }
  betaI = 0
  crostonPass(n, alphaI, z0, x0)
  sigmaI = Math.sqrt(best / <f64>max(1, n))
  return best
}

/** Flat forecast sizeEst * probEst with intervals +- z sigma (floored at 0). */
export function forecastFlat(h: i32, z: f64): void {
  const f = sizeEst * probEst
  for (let k = 0; k < h; k++) {
    store<f64>(meanPtr + (<usize>k << 3), f)
    store<f64>(lowerPtr + (<usize>k << 3), max(0.0, f - z * sigmaI))
    store<f64>(upperPtr + (<usize>k << 3), f + z * sigmaI)
  }
}

/**
 * Seasonal naive: y[n - m + (k mod m)], sd_k = sigma sqrt(floor((k-1)/m) + 1) with sigma from the
 * lag-m differences (Hyndman & Athanasopoulos, FPP3 5.5). m = 1 is the naive forecast.
 */
export function seasonalNaive(n: i32, m: i32, h: i32, z: f64): f64 {
  let acc = 0.0
  for (let t = m; t < n; t++) { const d = yAt(t) - yAt(t - m); acc += d * d }
  const sigma = n > m ? Math.sqrt(acc / <f64>(n - m)) : 0.0
  for (let k = 1; k <= h; k++) {
    const f = yAt(n - m + ((k - 1) % m))
    const sd = sigma * Math.sqrt(<f64>((k - 1) / m + 1))
    store<f64>(meanPtr + (<usize>(k - 1) << 3), f)
    store<f64>(lowerPtr + (<usize>(k - 1) << 3), f - z * sd)
    store<f64>(upperPtr + (<usize>(k - 1) << 3), f + z * sd)
  }
  return sigma
}
