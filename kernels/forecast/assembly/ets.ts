// Exponential smoothing (ETS with additive errors): level, optional damped trend, up to two nested
// seasonal components, additive or multiplicative (Taylor's double-seasonal Holt-Winters). The fit
// minimises the one-step SSE with Nelder-Mead, entirely inside wasm.
import { yPtr, meanPtr, lowerPtr, upperPtr, s1Ptr, s2Ptr, s1InitPtr, s2InitPtr } from './memory'
import { fitLm } from './lm'

// model configuration for the current fit
export let N: i32 = 0
export let M1: i32 = 1
export let M2: i32 = 1
let TREND: i32 = 0 // 0 none, 1 damped, 2 linear (phi = 1)
let MUL: bool = false
export let L0: f64 = 0
export let B0: f64 = 0

// fitted parameters and final states
export let alpha: f64 = 0
export let beta: f64 = 0
export let gamma1: f64 = 0
export let gamma2: f64 = 0
export let phi: f64 = 1
export let level: f64 = 0
export let slope: f64 = 0
export let sse: f64 = 0
export let evaluations: i32 = 0
let i1End: i32 = 0
let i2End: i32 = 0

// Nelder-Mead scratch: up to 6 vertices of 5 coordinates, plus trial points
const NM_X = memory.data(8 * 6 * 5)
const NM_F = memory.data(8 * 6)
const NM_C = memory.data(8 * 5)
const NM_R = memory.data(8 * 5)
const NM_E = memory.data(8 * 5)
export const U = memory.data(8 * 5) // unit-cube parameters: alpha, beta*, gamma1, gamma2, phi
const ACTIVE = memory.data(4 * 5)
let DIMS: i32 = 0
let simplexStep: f64 = 0.15
let useLm: bool = true

/** Chooses Levenberg-Marquardt (default) or Nelder-Mead for additive no-trend fits. */
export function setUseLm(on: bool): void { useLm = on }

/** Size of the initial simplex's edges in the unit cube (smaller for warm starts). @default 0.15 */
export function setSimplexStep(step: f64): void { simplexStep = step > 0 && step <= 0.5 ? step : 0.15 }

@inline function yAt(t: i32): f64 { return load<f64>(yPtr + (<usize>t << 3)) }
@inline function clamp01(v: f64): f64 { return v < 0 ? 0 : v > 1 ? 1 : v }

/** Initial level, slope and seasonal indices from the first cycles of the longest period. */
function initStates(): void {
  const m = M2 > 1 ? M2 : M1
  const n = N
  if (m > 1 && n >= 2 * m) {
    let a = 0.0, b = 0.0
    for (let t = 0; t < m; t++) { a += yAt(t); b += yAt(t + m) }
    a /= <f64>m; b /= <f64>m
    B0 = TREND != 0 ? (b - a) / <f64>m : 0
    L0 = a - B0 * (<f64>(m - 1) * 0.5)
  } else {
    const k = min(n, 10)
    let a = 0.0
    for (let t = 0; t < k; t++) a += yAt(t)
    L0 = a / <f64>k
    B0 = TREND != 0 && n >= 2 ? (yAt(k - 1) - yAt(0)) / <f64>max(1, k - 1) : 0
    if (m <= 1) {
      store<f64>(s1InitPtr, MUL ? 1.0 : 0.0)
      store<f64>(s2InitPtr, MUL ? 1.0 : 0.0)
      return
    }
  }
  // seasonal indices: averages over up to 4 cycles of the longest period of the detrended series
  const cycles = min(4, n / m)
  const span = cycles * m
  const base = MUL ? 1.0 : 0.0
  for (let j = 0; j < M1; j++) store<f64>(s1InitPtr + (<usize>j << 3), 0.0)
  for (let j = 0; j < M2; j++) store<f64>(s2InitPtr + (<usize>j << 3), 0.0)
  // slot counters instead of t % m: integer division would dominate these short loops
  for (let t = 0, j1 = 0; t < span; t++) {
    const tr = L0 + B0 * <f64>t
    const d = MUL ? yAt(t) / (tr != 0 ? tr : 1) : yAt(t) - tr
    const p = s1InitPtr + (<usize>j1 << 3)
    store<f64>(p, load<f64>(p) + d)
    if (++j1 == M1) j1 = 0
  }
  let mean1 = 0.0
  for (let j = 0; j < M1; j++) mean1 += load<f64>(s1InitPtr + (<usize>j << 3))
  mean1 /= <f64>span
  for (let j = 0; j < M1; j++) {
    const p = s1InitPtr + (<usize>j << 3)
    const v = load<f64>(p) / (<f64>span / <f64>M1)
    store<f64>(p, MUL ? v / mean1 : v - mean1)
  }
  if (M2 > 1) {
    for (let t = 0, j1 = 0, j2 = 0; t < span; t++) {
      const tr = L0 + B0 * <f64>t
      const s1 = load<f64>(s1InitPtr + (<usize>j1 << 3))
      const d = MUL ? yAt(t) / ((tr != 0 ? tr : 1) * s1) : yAt(t) - tr - s1
      const p = s2InitPtr + (<usize>j2 << 3)
      store<f64>(p, load<f64>(p) + d)
      if (++j1 == M1) j1 = 0
      if (++j2 == M2) j2 = 0
    }
    let mean2 = 0.0
    for (let j = 0; j < M2; j++) mean2 += load<f64>(s2InitPtr + (<usize>j << 3))
    mean2 /= <f64>span
    for (let j = 0; j < M2; j++) {
      const p = s2InitPtr + (<usize>j << 3)
      const v = load<f64>(p) / (<f64>span / <f64>M2)
      store<f64>(p, MUL ? v / mean2 : v - mean2)
    }
  } else {
    store<f64>(s2InitPtr, base)
  }
}

export function setParams(): void {
  const ua = load<f64>(U), ub = load<f64>(U, 8), ug1 = load<f64>(U, 16), ug2 = load<f64>(U, 24), up = load<f64>(U, 32)
  alpha = 0.0001 + 0.9998 * clamp01(ua)
  beta = TREND != 0 ? alpha * clamp01(ub) : 0
  gamma1 = M1 > 1 ? (1 - alpha) * clamp01(ug1) : 0
  gamma2 = M2 > 1 ? (1 - alpha) * clamp01(ug2) : 0
  phi = TREND == 1 ? 0.8 + 0.18 * clamp01(up) : 1.0
}

/**
 * One pass of the recursion, specialised (after inlining, with constant arguments) on the error
 * form, trend and number of seasonal components so the hot loop carries no dead updates.
 */
@inline function pass(mul: bool, trend: bool, ns: i32): f64 {
  let l = L0, b = trend ? B0 : 0.0, acc = 0.0
  const a = alpha, be = beta, g1 = gamma1, g2 = gamma2, ph = phi
  const ca = 1 - a, cph = (1 - a) * ph, phb = ph * (1 - be)
  let p1 = s1Ptr, p2 = s2Ptr
  const e1 = s1Ptr + (<usize>M1 << 3), e2 = s2Ptr + (<usize>M2 << 3)
  const n = N
  // floors keep a multiplicative model defined through near-zero stretches (e.g. a blizzard)
  const floor = 1e-3 * Math.abs(L0) + 1e-300
  for (let t = 0; t < n; t++) {
    const y = load<f64>(yPtr + (<usize>t << 3))
    const s1 = ns >= 1 ? load<f64>(p1) : (mul ? 1.0 : 0.0)
    const s2 = ns >= 2 ? load<f64>(p2) : (mul ? 1.0 : 0.0)
    let e: f64
    if (mul) {
      // With ys = y / S (S from a cycle ago, so off the level's dependency chain), e / S = ys - base:
      // l' = base + a (ys - base) and b' = phi b + beta (ys - base) need no division on the chain
      // from one step's level to the next (the loop is latency-bound); q = e / (base S) = ys / base - 1
      // feeds only the seasonal slots, read again a cycle later.
      const base = max(trend ? l + ph * b : l, floor)
      const S = s1 * s2
      const ys = y / S
      e = y - base * S
      const eS = ys - base
      l = ca * base + a * ys
      if (trend) b = ph * b + be * eS
      const q = ns >= 1 ? eS / base : 0.0
      if (ns >= 1) store<f64>(p1, max(s1 + g1 * q * s1, 0.01))
      if (ns >= 2) store<f64>(p2, max(s2 + g2 * q * s2, 0.01))
    } else {
      // l' = base + a e and b' = phi b + beta e with e = yd - base, expanded so that each state
      // update is one multiply-add away from the previous states (the loop is latency-bound)
      const yd = y - s1 - s2
      const base = trend ? l + ph * b : l
      e = yd - base
      const l0 = l
      l = ca * l + a * yd
      if (trend) {
        l += cph * b
        b = phb * b + (be * yd - be * l0)
      }
      if (ns >= 1) store<f64>(p1, s1 + g1 * e)
      if (ns >= 2) store<f64>(p2, s2 + g2 * e)
    }
    acc += e * e
    if (ns >= 1) { p1 += 8; if (p1 == e1) p1 = s1Ptr }
    if (ns >= 2) { p2 += 8; if (p2 == e2) p2 = s2Ptr }
  }
  level = l
  slope = b
  i1End = <i32>((p1 - s1Ptr) >> 3)
  i2End = <i32>((p2 - s2Ptr) >> 3)
  return acc
}

/** Runs the recursion over the series with the current parameters; returns the SSE (inf if it diverges). */
function run(): f64 {
  memory.copy(s1Ptr, s1InitPtr, <usize>M1 << 3)
  memory.copy(s2Ptr, s2InitPtr, <usize>M2 << 3)
  const ns = M2 > 1 ? 2 : M1 > 1 ? 1 : 0
  const tr = TREND != 0
  let acc: f64
  if (MUL) {
    if (tr) acc = ns == 2 ? pass(true, true, 2) : ns == 1 ? pass(true, true, 1) : pass(true, true, 0)
    else acc = ns == 2 ? pass(true, false, 2) : ns == 1 ? pass(true, false, 1) : pass(true, false, 0)
  } else {
    if (tr) acc = ns == 2 ? pass(false, true, 2) : ns == 1 ? pass(false, true, 1) : pass(false, true, 0)
    else acc = ns == 2 ? pass(false, false, 2) : ns == 1 ? pass(false, false, 1) : pass(false, false, 0)
  }
  return acc == acc ? acc : Infinity
}

function evalAt(x: usize): f64 {
  for (let d = 0; d < DIMS; d++) store<f64>(U + (<usize>load<i32>(ACTIVE + (<usize>d << 2)) << 3), clamp01(load<f64>(x + (<usize>d << 3))))
  setParams()
  evaluations++
  return run()
}

@inline function vx(i: i32): usize { return NM_X + (<usize>(i * 5) << 3) }

/** Nelder-Mead over the active unit-cube coordinates. */
function nelderMead(maxEval: i32, relTol: f64): void {
  const d = DIMS
  const nv = d + 1
  for (let i = 0; i < nv; i++) {
    for (let k = 0; k < d; k++) store<f64>(vx(i) + (<usize>k << 3), load<f64>(U + (<usize>load<i32>(ACTIVE + (<usize>k << 2)) << 3)))
    if (i > 0) {
      const p = vx(i) + (<usize>(i - 1) << 3)
      const v = load<f64>(p)
      store<f64>(p, v > 0.5 ? v - simplexStep : v + simplexStep)
    }
    store<f64>(NM_F + (<usize>i << 3), evalAt(vx(i)))
  }
  while (evaluations < maxEval) {
    // order: best (lo), worst (hi), second worst
    let lo = 0, hi = 0
    for (let i = 1; i < nv; i++) {
      const f = load<f64>(NM_F + (<usize>i << 3))
      if (f < load<f64>(NM_F + (<usize>lo << 3))) lo = i
      if (f > load<f64>(NM_F + (<usize>hi << 3))) hi = i
    }
    let nh = lo
    for (let i = 0; i < nv; i++) if (i != hi && load<f64>(NM_F + (<usize>i << 3)) > load<f64>(NM_F + (<usize>nh << 3))) nh = i
    const fLo = load<f64>(NM_F + (<usize>lo << 3)), fHi = load<f64>(NM_F + (<usize>hi << 3)), fNh = load<f64>(NM_F + (<usize>nh << 3))
    if (fHi - fLo <= relTol * Math.abs(fLo)) break // scale-free; an exact fit (SSE 0) stops too
    for (let k = 0; k < d; k++) {
      let c = 0.0
      for (let i = 0; i < nv; i++) if (i != hi) c += load<f64>(vx(i) + (<usize>k << 3))
      c /= <f64>d
      store<f64>(NM_C + (<usize>k << 3), c)
      store<f64>(NM_R + (<usize>k << 3), clamp01(2 * c - load<f64>(vx(hi) + (<usize>k << 3))))
    }
    const fR = evalAt(NM_R)
    if (fR < fLo) {
      for (let k = 0; k < d; k++) {
        const c = load<f64>(NM_C + (<usize>k << 3))
        store<f64>(NM_E + (<usize>k << 3), clamp01(c + 2 * (load<f64>(NM_R + (<usize>k << 3)) - c)))
      }
      const fE = evalAt(NM_E)
      const src = fE < fR ? NM_E : NM_R
      memory.copy(vx(hi), src, <usize>d << 3)
      store<f64>(NM_F + (<usize>hi << 3), fE < fR ? fE : fR)
    } else if (fR < fNh) {
      memory.copy(vx(hi), NM_R, <usize>d << 3)
      store<f64>(NM_F + (<usize>hi << 3), fR)
    } else {
      const outside = fR < fHi
      for (let k = 0; k < d; k++) {
        const c = load<f64>(NM_C + (<usize>k << 3))
        const toward = outside ? load<f64>(NM_R + (<usize>k << 3)) : load<f64>(vx(hi) + (<usize>k << 3))
        store<f64>(NM_E + (<usize>k << 3), c + 0.5 * (toward - c))
      }
      const fC = evalAt(NM_E)
      const fRef = outside ? fR : fHi
      if (fC < fRef) {
        memory.copy(vx(hi), NM_E, <usize>d << 3)
        store<f64>(NM_F + (<usize>hi << 3), fC)
      } else {
        for (let i = 0; i < nv; i++) {
          if (i == lo) continue
          for (let k = 0; k < d; k++) {
            const pl = vx(lo) + (<usize>k << 3), pi = vx(i) + (<usize>k << 3)
            store<f64>(pi, load<f64>(pl) + 0.5 * (load<f64>(pi) - load<f64>(pl)))
          }
          store<f64>(NM_F + (<usize>i << 3), evalAt(vx(i)))
        }
      }
    }
  }
  let best = 0
  for (let i = 1; i < nv; i++) if (load<f64>(NM_F + (<usize>i << 3)) < load<f64>(NM_F + (<usize>best << 3))) best = i
  evalAt(vx(best))
}

/**
 * Fits ETS to the n input points. trend: 0 none, 1 damped, 2 linear. m1 <= m2 are the seasonal
 * periods (1 = absent; m2 should be a multiple of m1). Starting values (unit cube) may be given;
 * negative ones mean defaults. With maxEval 0 the starting values are used as they are.
 * Returns the SSE of one-step in-sample errors.
 */
export function fitEts(n: i32, m1: i32, m2: i32, trend: i32, multiplicative: bool, maxEval: i32, relTol: f64,
  ua: f64, ub: f64, ug1: f64, ug2: f64, uphi: f64): f64 {
  N = n; M1 = max(1, m1); M2 = max(1, m2); TREND = trend; MUL = multiplicative
  if (M1 > M2) { const t = M1; M1 = M2; M2 = t }
  if (M1 == 1 && M2 > 1) { M1 = M2; M2 = 1 }
  initStates()
  store<f64>(U, ua >= 0 ? ua : 0.2)
  store<f64>(U, ub >= 0 ? ub : 0.05, 8)
  store<f64>(U, ug1 >= 0 ? ug1 : 0.1, 16)
  store<f64>(U, ug2 >= 0 ? ug2 : 0.1, 24)
  store<f64>(U, uphi >= 0 ? uphi : 0.85, 32)
  DIMS = 0
  store<i32>(ACTIVE, 0); DIMS++
  if (TREND != 0) { store<i32>(ACTIVE + (<usize>DIMS << 2), 1); DIMS++ }
  if (M1 > 1) { store<i32>(ACTIVE + (<usize>DIMS << 2), 2); DIMS++ }
  if (M2 > 1) { store<i32>(ACTIVE + (<usize>DIMS << 2), 3); DIMS++ }
  if (TREND == 1) { store<i32>(ACTIVE + (<usize>DIMS << 2), 4); DIMS++ }
  evaluations = 0
  if (maxEval > 0) {
    // additive, no trend: Levenberg-Marquardt on exact derivatives needs far fewer passes
    if (!MUL && TREND == 0 && useLm) evaluations = fitLm(maxEval, relTol)
    else nelderMead(maxEval, relTol)
  } else { setParams(); evaluations = 1 }
  sse = run()
  return sse
}

/** Fitted unit-cube coordinate k (0 alpha, 1 beta*, 2 gamma1, 3 gamma2, 4 phi), for warm starts. */
export function unitParam(k: i32): f64 { return load<f64>(U + (<usize>k << 3)) }

/**
 * Point forecasts for h steps from the last fit, with normal intervals of half-width z * sd_h where
 * var_h = sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + .. + phi^j) + gamma_k [m_k | j]
 * (Hyndman et al. 2008, class 1; used as an approximation for multiplicative seasonality).
 */
export function forecastEts(h: i32, z: f64, sigma: f64): void {
  let phiSum = 0.0, phiPow = 1.0, acc = 0.0
  for (let k = 1; k <= h; k++) {
    phiPow *= phi
    phiSum += phiPow
    const s1 = load<f64>(s1Ptr + (<usize>((i1End + k - 1) % M1) << 3))
    const s2 = load<f64>(s2Ptr + (<usize>((i2End + k - 1) % M2) << 3))
    const trendPart = level + phiSum * slope
    const f = MUL ? trendPart * s1 * s2 : trendPart + s1 + s2
    const sd = sigma * Math.sqrt(1 + acc)
    store<f64>(meanPtr + (<usize>(k - 1) << 3), f)
    store<f64>(lowerPtr + (<usize>(k - 1) << 3), f - z * sd)
    store<f64>(upperPtr + (<usize>(k - 1) << 3), f + z * sd)
    // c_k for the next horizon
    let c = alpha + beta * phiSum
    if (M1 > 1 && k % M1 == 0) c += gamma1
    if (M2 > 1 && k % M2 == 0) c += gamma2
    acc += c * c
  }
}
