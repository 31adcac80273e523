// Scalar statevector engine: 2^n complex128 amplitudes interleaved (re, im) in a region of linear memory
// the caller grows for it. Runs of single-qubit gates on one qubit are multiplied into one pending 2x2 and
// applied when another gate touches the qubit; controlled gates loop only over the amplitudes they change.
import {
  G_CCX, G_CP, G_CRZ, G_CSWAP, G_CU1, G_CX, G_CZ, G_RXX, G_RZZ, G_SWAP, isSingleQubit, matrix1,
} from "./gates";

/** Address of amplitude 0 (16 bytes per amplitude). */
let STATE: usize = 0;
/** Qubits of the state. */
export let N: i32 = 0;
/** Amplitudes: 2^N. */
export let DIM: i32 = 0;

let pending = new Float64Array(0);
let hasPending = new Uint8Array(0);
const TMP = new Float64Array(8);
const PROD = new Float64Array(8);
const D4 = new Float64Array(8);
const M4 = new Float64Array(32);

/** Binds the engine to 2^n amplitudes at `state` (not cleared: see init). */
export function bind(state: usize, n: i32): void {
  STATE = state; N = n; DIM = 1 << n;
  pending = new Float64Array(8 * n);
  hasPending = new Uint8Array(n);
}

/** Address of the state. */
export function statePtr(): usize { return STATE; }

/** Sets the state to |0...0>; `zeroed` skips clearing memory that is known to be zero (fresh pages). */
export function init(zeroed: bool): void {
  if (!zeroed) memory.fill(STATE, 0, (<usize>DIM) << 4);
  store<f64>(STATE, 1.0);
  for (let q = 0; q < N; q++) hasPending[q] = 0;
}

@inline function ins(x: i32, p: i32): i32 { return ((x >> p) << (p + 1)) | (x & ((1 << p) - 1)); }

// Up to three sorted bit positions where loops insert zeros: the target(s) and the controls.
let P0: i32 = 0, P1: i32 = 0, P2: i32 = 0, NP: i32 = 0;

function positions(a: i32, b: i32, c: i32): void {
  // a >= 0; b, c are -1 when unused.
  let x = a, y = b, z = c;
  if (y >= 0 && y < x) { const t = x; x = y; y = t; }
  if (z >= 0) {
    if (z < x) { const t = z; z = y; y = x; x = t; }
    else if (z < y) { const t = z; z = y; y = t; }
  }
  P0 = x; P1 = y; P2 = z; NP = c >= 0 ? 3 : b >= 0 ? 2 : 1;
}

@inline function spread(k: i32): i32 {
  let i = ins(k, P0);
  if (NP > 1) i = ins(i, P1);
  if (NP > 2) i = ins(i, P2);
  return i;
}

/** Dense 2x2 `m` on qubit q where controls c1 and c2 (-1 when unused) are 1. */
function mat1(q: i32, m: Float64Array, c1: i32, c2: i32): void {
  positions(q, c1, c2);
  const cm = (c1 >= 0 ? 1 << c1 : 0) | (c2 >= 0 ? 1 << c2 : 0);
  const off = (<usize>1 << <usize>q) << 4;
  const ar = m[0], ai = m[1], br = m[2], bi = m[3], cr = m[4], ci = m[5], dr = m[6], di = m[7];
  const count = DIM >> NP;
  for (let k = 0; k < count; k++) {
    const p = STATE + ((<usize>(spread(k) | cm)) << 4);
    const xr = load<f64>(p), xi = load<f64>(p, 8), yr = load<f64>(p + off), yi = load<f64>(p + off, 8);
    store<f64>(p, ar * xr - ai * xi + br * yr - bi * yi);
    store<f64>(p, ar * xi + ai * xr + br * yi + bi * yr, 8);
    store<f64>(p + off, cr * xr - ci * xi + dr * yr - di * yi);
    store<f64>(p + off, cr * xi + ci * xr + dr * yi + di * yr, 8);
  }
}

/** Multiplies every amplitude whose bits at P0..P2 (set by positions) are given by `mask` by (fr, fi). */
function scale(mask: i32, fr: f64, fi: f64): void {
  if (fr == 1 && fi == 0) return;
  const count = DIM >> NP;
  for (let k = 0; k < count; k++) {
    const p = STATE + ((<usize>(spread(k) | mask)) << 4);
    const xr = load<f64>(p), xi = load<f64>(p, 8);
    store<f64>(p, fr * xr - fi * xi);
    store<f64>(p, fr * xi + fi * xr, 8);
  }
}

/** Diagonal on qubit q: (d0r, d0i) where the bit is 0, (d1r, d1i) where it is 1. */
function diag1(q: i32, d0r: f64, d0i: f64, d1r: f64, d1i: f64): void {
  positions(q, -1, -1);
  scale(0, d0r, d0i);
  scale(1 << q, d1r, d1i);
}

/** Diagonal on qubits a, b: D4 holds 4 complex factors indexed by bit(a) + 2 bit(b). */
function diag2(a: i32, b: i32): void {
  positions(a, b, -1);
  for (let c = 0; c < 4; c++) scale(((c & 1) << a) | (((c >> 1) & 1) << b), D4[2 * c], D4[2 * c + 1]);
}

/** Exchanges amplitude pairs (i | bitA, i | bitB) for every i with zeros at the positions and the controls set. */
function swapPairs(bitA: i32, bitB: i32, cm: i32): void {
  const count = DIM >> NP;
  for (let k = 0; k < count; k++) {
    const base = spread(k) | cm;
    const p = STATE + ((<usize>(base | bitA)) << 4), r = STATE + ((<usize>(base | bitB)) << 4);
    const xr = load<f64>(p), xi = load<f64>(p, 8);
    store<f64>(p, load<f64>(r)); store<f64>(p, load<f64>(r, 8), 8);
    store<f64>(r, xr); store<f64>(r, xi, 8);
  }
}

/** Dense 4x4 M4 on (a, b), basis index bit(a) + 2 bit(b), row-major complex. */
function mat2(a: i32, b: i32): void {
  positions(a, b, -1);
  const A = 1 << a, B = 1 << b;
  const count = DIM >> 2;
  for (let k = 0; k < count; k++) {
    const i0 = spread(k);
    const p0 = STATE + ((<usize>i0) << 4), p1 = STATE + ((<usize>(i0 | A)) << 4);
    const p2 = STATE + ((<usize>(i0 | B)) << 4), p3 = STATE + ((<usize>(i0 | A | B)) << 4);
    const x0r = load<f64>(p0), x0i = load<f64>(p0, 8), x1r = load<f64>(p1), x1i = load<f64>(p1, 8);
    const x2r = load<f64>(p2), x2i = load<f64>(p2, 8), x3r = load<f64>(p3), x3i = load<f64>(p3, 8);
    for (let r = 0; r < 4; r++) {
      const o = 8 * r;
      const re = M4[o] * x0r - M4[o + 1] * x0i + M4[o + 2] * x1r - M4[o + 3] * x1i
        + M4[o + 4] * x2r - M4[o + 5] * x2i + M4[o + 6] * x3r - M4[o + 7] * x3i;
      const im = M4[o] * x0i + M4[o + 1] * x0r + M4[o + 2] * x1i + M4[o + 3] * x1r
        + M4[o + 4] * x2i + M4[o + 5] * x2r + M4[o + 6] * x3i + M4[o + 7] * x3r;
      const p = r == 0 ? p0 : r == 1 ? p1 : r == 2 ? p2 : p3;
      store<f64>(p, re); store<f64>(p, im, 8);
    }
  }
}

/** Applies qubit q's pending product of single-qubit gates. */
function flush(q: i32): void {
  if (!hasPending[q]) return;
  hasPending[q] = 0;
  const o = 8 * q;
  for (let i = 0; i < 8; i++) TMP[i] = pending[o + i];
  if (TMP[2] == 0 && TMP[3] == 0 && TMP[4] == 0 && TMP[5] == 0) {
    if (TMP[0] == 1 && TMP[1] == 0 && TMP[6] == 1 && TMP[7] == 0) return;
    diag1(q, TMP[0], TMP[1], TMP[6], TMP[7]);
  } else mat1(q, TMP, -1, -1);
}

/** Applies every pending single-qubit product. */
export function flushAll(): void {
  for (let q = 0; q < N; q++) flush(q);
}

function setD4(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64): void {
  D4[0] = a; D4[1] = b; D4[2] = c; D4[3] = d; D4[4] = e; D4[5] = f; D4[6] = g; D4[7] = h;
}

/** Applies one built-in gate (code from gates.ts) to qubits a, b, c with parameters p0..p2. */
export function applyGate(code: i32, a: i32, b: i32, c: i32, p0: f64, p1: f64, p2: f64): void {
  if (isSingleQubit(code)) {
    matrix1(code, p0, p1, p2, TMP);
    const o = 8 * a;
    if (!hasPending[a]) {
      for (let i = 0; i < 8; i++) pending[o + i] = TMP[i];
      hasPending[a] = 1;
      return;
    }
    // pending <- TMP * pending
    for (let r = 0; r < 2; r++) for (let k = 0; k < 2; k++) {
      const xr = TMP[4 * r], xi = TMP[4 * r + 1], yr = TMP[4 * r + 2], yi = TMP[4 * r + 3];
      const ur = pending[o + 2 * k], ui = pending[o + 2 * k + 1], vr = pending[o + 4 + 2 * k], vi = pending[o + 5 + 2 * k];
      PROD[4 * r + 2 * k] = xr * ur - xi * ui + yr * vr - yi * vi;
      PROD[4 * r + 2 * k + 1] = xr * ui + xi * ur + yr * vi + yi * vr;
    }
    for (let i = 0; i < 8; i++) pending[o + i] = PROD[i];
    return;
  }
  flush(a); flush(b);
  if (c >= 0) flush(c);
  switch (code) {
    case G_CX: positions(b, a, -1); swapPairs(0, 1 << b, 1 << a); break;
    case G_CCX: positions(c, a, b); swapPairs(0, 1 << c, (1 << a) | (1 << b)); break;
    case G_SWAP: positions(a, b, -1); swapPairs(1 << a, 1 << b, 0); break;
    case G_CSWAP: positions(b, c, a); swapPairs(1 << b, 1 << c, 1 << a); break;
    case G_CZ: setD4(1, 0, 1, 0, 1, 0, -1, 0); diag2(a, b); break;
    case G_CP: case G_CU1: setD4(1, 0, 1, 0, 1, 0, Math.cos(p0), Math.sin(p0)); diag2(a, b); break;
    case G_CRZ: setD4(1, 0, Math.cos(-p0 / 2), Math.sin(-p0 / 2), 1, 0, Math.cos(p0 / 2), Math.sin(p0 / 2)); diag2(a, b); break;
    case G_RZZ: {
      const er = Math.cos(-p0 / 2), ei = Math.sin(-p0 / 2), fr = Math.cos(p0 / 2), fi = Math.sin(p0 / 2);
      setD4(er, ei, fr, fi, fr, fi, er, ei); diag2(a, b); break;
    }
    case G_RXX: {
      // exp(-i theta/2 X(x)X): cos on the diagonal, -i sin on the anti-diagonal.
      const co = Math.cos(p0 / 2), si = -Math.sin(p0 / 2);
      M4.fill(0);
      for (let i = 0; i < 4; i++) { M4[(i * 4 + i) * 2] = co; M4[(i * 4 + (3 - i)) * 2 + 1] = si; }
      mat2(a, b);
      break;
    }
    default: // cy, ch, crx, cry, cu3: the target's 2x2 under control a
      matrix1(code, p0, p1, p2, PROD);
      mat1(b, PROD, a, -1);
  }
}

/** Probability of basis state i. */
@inline export function prob(i: i32): f64 {
  const p = STATE + ((<usize>i) << 4);
  const re = load<f64>(p), im = load<f64>(p, 8);
  return re * re + im * im;
}

/** Sum of squares in the order kernels/statevector/state-math.ts norm() adds them. */
export function norm(): f64 {
  let s = 0.0;
  const end = STATE + ((<usize>DIM) << 4);
  for (let p = STATE; p < end; p += 8) { const x = load<f64>(p); s += x * x; }
  return s;
}

/**
 * Measures qubit q with the uniform `u`: collapses and renormalizes the state, and for a reset maps |1> to |0>.
 * The same arithmetic as measureQubit in kernels/statevector/state-math.ts. Returns the outcome.
 */
export function measure(q: i32, u: f64, reset: bool): i32 {
  const bit = 1 << q;
  let p1 = 0.0;
  for (let i = 0; i < DIM; i++) if (i & bit) p1 += prob(i);
  const outcome = u < p1 ? 1 : 0;
  const keep = outcome ? p1 : 1 - p1;
  const f = keep > 0 ? 1 / Math.sqrt(keep) : 0.0;
  for (let i = 0; i < DIM; i++) {
    const p = STATE + ((<usize>i) << 4);
    if (((i >> q) & 1) == outcome) { store<f64>(p, load<f64>(p) * f); store<f64>(p, load<f64>(p, 8) * f, 8); }
    else { store<f64>(p, 0.0); store<f64>(p, 0.0, 8); }
  }
  if (reset && outcome == 1) {
    for (let i = 0; i < DIM; i++) if (i & bit) {
      const p = STATE + ((<usize>i) << 4), r = STATE + ((<usize>(i ^ bit)) << 4);
      store<f64>(r, load<f64>(p)); store<f64>(r, load<f64>(p, 8), 8);
      store<f64>(p, 0.0); store<f64>(p, 0.0, 8);
    }
  }
  return outcome;
}
