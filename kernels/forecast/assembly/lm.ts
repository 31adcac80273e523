// Levenberg-Marquardt fit of additive ETS without trend (level + up to two seasons), the model most
// per-minute series get. One pass computes the SSE, the gradient and the Gauss-Newton matrix from
// forward-mode derivatives of the states, so a fit takes a handful of passes instead of dozens.
import { yPtr, s1Ptr, s2Ptr, s1InitPtr, s2InitPtr, fftPtr } from './memory'
import { N, M1, M2, L0, U, setParams, alpha, gamma1, gamma2 } from './ets'

// results of the last pass, in theta = (alpha, gamma1, gamma2)
let H00: f64 = 0, H01: f64 = 0, H02: f64 = 0, H11: f64 = 0, H12: f64 = 0, H22: f64 = 0
let G0: f64 = 0, G1: f64 = 0, G2: f64 = 0

/**
 * SSE of the current parameters plus J'J and J'e of the residuals with respect to theta.
 * Derivatives of each seasonal slot live in the FFT scratch (free during fits): 2 or 3 per slot.
 */
@inline function gnPass(ns: i32): f64 {
  memory.copy(s1Ptr, s1InitPtr, <usize>M1 << 3)
  memory.copy(s2Ptr, s2InitPtr, <usize>M2 << 3)
  // per-slot derivatives: (d alpha, d gamma1[, d gamma2]) of each seasonal index
  const stride: usize = ns >= 2 ? 24 : 16
  const q1Base = fftPtr, q2Base = fftPtr + <usize>M1 * stride
  if (ns >= 1) memory.fill(q1Base, 0, <usize>(M1 + (ns >= 2 ? M2 : 0)) * stride)
  const a = alpha, g1 = gamma1, g2 = gamma2
  let l = L0, la = 0.0, lg1 = 0.0, lg2 = 0.0
  let acc = 0.0
  let h00 = 0.0, h01 = 0.0, h02 = 0.0, h11 = 0.0, h12 = 0.0, h22 = 0.0, gr0 = 0.0, gr1 = 0.0, gr2 = 0.0
  let p1 = s1Ptr, p2 = s2Ptr, q1 = q1Base, q2 = q2Base
  const e1 = s1Ptr + (<usize>M1 << 3), e2 = s2Ptr + (<usize>M2 << 3)
  const n = N
  for (let t = 0; t < n; t++) {
    const y = load<f64>(yPtr + (<usize>t << 3))
    const s1 = ns >= 1 ? load<f64>(p1) : 0.0
    const s2 = ns >= 2 ? load<f64>(p2) : 0.0
    const e = y - s1 - s2 - l
    const d1a = ns >= 1 ? load<f64>(q1) : 0.0, d1g1 = ns >= 1 ? load<f64>(q1, 8) : 0.0, d1g2 = ns >= 2 ? load<f64>(q1, 16) : 0.0
    const d2a = ns >= 2 ? load<f64>(q2) : 0.0, d2g1 = ns >= 2 ? load<f64>(q2, 8) : 0.0, d2g2 = ns >= 2 ? load<f64>(q2, 16) : 0.0
    // de/dtheta
    const ea = -(la + d1a + d2a)
    const eg1 = -(lg1 + d1g1 + d2g1)
    const eg2 = -(lg2 + d1g2 + d2g2)
    acc += e * e
    h00 += ea * ea; gr0 += ea * e
    if (ns >= 1) { h01 += ea * eg1; h11 += eg1 * eg1; gr1 += eg1 * e }
    if (ns >= 2) { h02 += ea * eg2; h12 += eg1 * eg2; h22 += eg2 * eg2; gr2 += eg2 * e }
    // states and their derivatives
    l += a * e
    la += a * ea + e
    if (ns >= 1) { lg1 += a * eg1; store<f64>(p1, s1 + g1 * e); store<f64>(q1, d1a + g1 * ea); store<f64>(q1, d1g1 + g1 * eg1 + e, 8) }
    if (ns >= 2) {
      lg2 += a * eg2
      store<f64>(q1, d1g2 + g1 * eg2, 16)
      store<f64>(p2, s2 + g2 * e); store<f64>(q2, d2a + g2 * ea); store<f64>(q2, d2g1 + g2 * eg1, 8); store<f64>(q2, d2g2 + g2 * eg2 + e, 16)
    }
    if (ns >= 1) { p1 += 8; q1 += stride; if (p1 == e1) { p1 = s1Ptr; q1 = q1Base } }
    if (ns >= 2) { p2 += 8; q2 += stride; if (p2 == e2) { p2 = s2Ptr; q2 = q2Base } }
  }
  H00 = h00; H01 = h01; H02 = h02; H11 = h11; H12 = h12; H22 = h22; G0 = gr0; G1 = gr1; G2 = gr2
  return acc == acc ? acc : Infinity
}

function pass(ns: i32): f64 {
  setParams()
  return ns == 2 ? gnPass(2) : ns == 1 ? gnPass(1) : gnPass(0)
}

// the linear system in u-space (d <= 3), row-major
const A = memory.data(8 * 9)
const B = memory.data(8 * 3)
const X = memory.data(8 * 3)
const UOLD = memory.data(8 * 5)

@inline function a_(i: i32, j: i32): usize { return A + (<usize>(i * 3 + j) << 3) }

/** Solves A x = B (d x d) by Gaussian elimination with partial pivoting; false if singular. */
function solve(d: i32): bool {
  for (let c = 0; c < d; c++) {
    let piv = c
    for (let r = c + 1; r < d; r++) if (Math.abs(load<f64>(a_(r, c))) > Math.abs(load<f64>(a_(piv, c)))) piv = r
    if (!(Math.abs(load<f64>(a_(piv, c))) > 1e-300)) return false
    if (piv != c) {
      for (let j = 0; j < d; j++) { const t = load<f64>(a_(c, j)); store<f64>(a_(c, j), load<f64>(a_(piv, j))); store<f64>(a_(piv, j), t) }
      const t = load<f64>(B + (<usize>c << 3)); store<f64>(B + (<usize>c << 3), load<f64>(B + (<usize>piv << 3))); store<f64>(B + (<usize>piv << 3), t)
    }
    for (let r = c + 1; r < d; r++) {
      const f = load<f64>(a_(r, c)) / load<f64>(a_(c, c))
      for (let j = c; j < d; j++) store<f64>(a_(r, j), load<f64>(a_(r, j)) - f * load<f64>(a_(c, j)))
      store<f64>(B + (<usize>r << 3), load<f64>(B + (<usize>r << 3)) - f * load<f64>(B + (<usize>c << 3)))
    }
  }
  for (let r = d - 1; r >= 0; r--) {
    let v = load<f64>(B + (<usize>r << 3))
    for (let j = r + 1; j < d; j++) v -= load<f64>(a_(r, j)) * load<f64>(X + (<usize>j << 3))
    store<f64>(X + (<usize>r << 3), v / load<f64>(a_(r, r)))
  }
  return true
}

// Gauss-Newton matrix and gradient of the last pass mapped to u-space, kept for the next step
const HU = memory.data(8 * 9)
const GU = memory.data(8 * 3)

/** Maps theta-space H, G to the unit cube: alpha = 1e-4 + 0.9998 u0, gamma_k = (1 - alpha) u_k. */
function toUnit(d: i32): void {
  const u1 = load<f64>(U, 16), u2 = load<f64>(U, 24)
  const ca = 1 - alpha
  // T columns: col0 = 0.9998 (1, -u1, -u2), col k = ca e_k
  const t00 = 0.9998, t10 = -0.9998 * u1, t20 = -0.9998 * u2
  // theta-space symmetric H
  const h = memory.data(8 * 9)
  store<f64>(h, H00); store<f64>(h, H01, 8); store<f64>(h, H02, 16)
  store<f64>(h, H01, 24); store<f64>(h, H11, 32); store<f64>(h, H12, 40)
  store<f64>(h, H02, 48); store<f64>(h, H12, 56); store<f64>(h, H22, 64)
  const g = memory.data(8 * 3)
  store<f64>(g, G0); store<f64>(g, G1, 8); store<f64>(g, G2, 16)
  const T = memory.data(8 * 9)
  for (let i = 0; i < 9; i++) store<f64>(T + (<usize>i << 3), 0.0)
  store<f64>(T, t00); store<f64>(T + 24, t10); store<f64>(T + 48, t20)
  store<f64>(T + 32, ca); store<f64>(T + 64, ca)
  // HU = T' H T, GU = T' g (only the leading d x d block is used)
  for (let i = 0; i < d; i++) {
    let gi = 0.0
    for (let r = 0; r < 3; r++) gi += load<f64>(T + (<usize>(r * 3 + i) << 3)) * load<f64>(g + (<usize>r << 3))
    store<f64>(GU + (<usize>i << 3), gi)
    for (let j = 0; j < d; j++) {
      let v = 0.0
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) v += load<f64>(T + (<usize>(r * 3 + i) << 3)) * load<f64>(h + (<usize>(r * 3 + c) << 3)) * load<f64>(T + (<usize>(c * 3 + j) << 3))
      store<f64>(HU + (<usize>(i * 3 + j) << 3), v)
    }
  }
}

/** u index of active dimension k: 0 alpha, then gamma1 (2), gamma2 (3). */
@inline function uIndex(k: i32): i32 { return k == 0 ? 0 : k + 1 }

/**
 * Levenberg-Marquardt over the active unit-cube coordinates (alpha, gamma1, gamma2), projected
 * onto [0, 1]. Stops when a step improves the SSE by less than relTol (relative), or the damping
 * grows past 1e8, or after maxEval passes. Leaves U at the best point; returns the pass count.
 */
export function fitLm(maxEval: i32, relTol: f64): i32 {
  const ns = M2 > 1 ? 2 : M1 > 1 ? 1 : 0
  const d = 1 + ns
  let passes = 1
  let f = pass(ns)
  toUnit(d)
  let lambda = 1e-3
  while (passes < maxEval) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let v = load<f64>(HU + (<usize>(i * 3 + j) << 3))
        if (i == j) v += lambda * v + 1e-12 * (f + 1e-300)
        store<f64>(a_(i, j), v)
      }
      store<f64>(B + (<usize>i << 3), -load<f64>(GU + (<usize>i << 3)))
    }
    memory.copy(UOLD, U, 40)
    let moved = false
    if (solve(d)) {
      for (let k = 0; k < d; k++) {
        const p = U + (<usize>uIndex(k) << 3)
        const v = load<f64>(p) + load<f64>(X + (<usize>k << 3))
        const c = v < 0 ? 0.0 : v > 1 ? 1.0 : v
        if (c != load<f64>(p)) moved = true
        store<f64>(p, c)
      }
    }
    if (!moved) break
    const fNew = pass(ns)
    passes++
    if (fNew < f) {
      const gain = (f - fNew) / (f + 1e-300)
      f = fNew
      toUnit(d)
      lambda = max(lambda * 0.25, 1e-9)
      if (gain < relTol) break
    } else {
      memory.copy(U, UOLD, 40)
      lambda *= 8
      if (lambda > 1e8) break
    }
  }
  // the caller reruns the plain recursion at U; H and G of a rejected step are never used
  setParams()
  return passes
}
