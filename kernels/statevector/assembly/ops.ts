// The per-tile program interpreter and its gate kernels. A tile is 2^bits amplitudes (16 bytes each, v128)
// at `t`; `base` is the global index of its fixed (outside) qubits, used for outside controls and diagonals.
// Program words (i32): HN k q..  | MAT1 q ctrl out d | X q ctrl out | SWAP a b ctrl out
//   | DIAG count scale (qa qb d)*count | MAT2 a b d | SCALE d
//   | PERM k nCond cst col[k] (out flip)*nCond   (x -> M x ^ cst ^ flips whose outside controls are set)
//   | SUB sbits len prog[len]   (runs prog on each 2^sbits-amplitude sub-block, so it stays in L1)
// where ctrl is a local-qubit mask, out a global mask of outside controls, d an index into the f64 array.

import { hadamards } from './hadamard'
import { permBuffer, permute } from './permute'

export const OP_HN = 1
export const OP_MAT1 = 2
export const OP_X = 3
export const OP_SWAP = 4
export const OP_DIAG = 5
export const OP_MAT2 = 6
export const OP_SCALE = 7
export const OP_PERM = 8
export const OP_SUB = 9
const LO_BITS = 7

// Diagonal tables (pairs (v, v*i) as 2 v128), matrix vectors.
const TLO: usize = memory.data((1 << LO_BITS) * 32, 64)
const THI: usize = memory.data((1 << 12) * 32, 64)
const MV: usize = memory.data(32 * 16, 16)

/** Stores complex (re, im) at MV slot s as the pair (re, im), (-im, re) so a*z = a.re*v + a.im*w. */
@inline function setMv(s: i32, re: f64, im: f64): void {
  v128.store(MV + (<usize>s << 5), f64x2(re, im))
  v128.store(MV + (<usize>s << 5) + 16, f64x2(-im, re))
}

@inline function cmul(a: v128, p: usize): v128 {
  return f64x2.add(f64x2.mul(v128.shuffle<f64>(a, a, 0, 0), v128.load(p)), f64x2.mul(v128.shuffle<f64>(a, a, 1, 1), v128.load(p, 16)))
}

/** Runs a program on one tile. */
export function exec(t: usize, bits: i32, base: i32, prog: usize, len: i32, dbl: usize): void {
  let pc = 0
  while (pc < len) {
    const op = load<i32>(prog + (<usize>pc << 2))
    const a1 = load<i32>(prog + (<usize>pc << 2), 4)
    const a2 = load<i32>(prog + (<usize>pc << 2), 8)
    const a3 = load<i32>(prog + (<usize>pc << 2), 12)
    const a4 = load<i32>(prog + (<usize>pc << 2), 16)
    if (op == OP_HN) {
      hadamards(t, bits, prog + (<usize>(pc + 2) << 2), a1)
      pc += 2 + a1
    } else if (op == OP_MAT1) {
      if ((base & a3) == a3) mat1(t, bits, a1, a2, dbl + (<usize>a4 << 3))
      pc += 5
    } else if (op == OP_X) {
      if ((base & a3) == a3) swapPairs(t, bits, (1 << a1) | a2, a2, 1 << a1)
      pc += 4
    } else if (op == OP_SWAP) {
      if ((base & a4) == a4) swapPairs(t, bits, (1 << a1) | (1 << a2) | a3, a3 | (1 << a1), (1 << a2) - (1 << a1))
      pc += 5
    } else if (op == OP_DIAG) {
      diag(t, t, bits, base, prog + (<usize>(pc + 3) << 2), a1, dbl, load<f64>(dbl + (<usize>a2 << 3)))
      pc += 3 + 3 * a1
    } else if (op == OP_MAT2) {
      mat2(t, bits, a1, a2, dbl + (<usize>a3 << 3))
      pc += 4
    } else if (op == OP_SCALE) {
      scale(t, bits, load<f64>(dbl + (<usize>a1 << 3)))
      pc += 2
    } else if (op == OP_PERM) {
      permute(t, bits, base, prog + (<usize>pc << 2))
      pc += 4 + a1 + 2 * a2
      // A diagonal run right after a permutation reads permBuf and writes the tile: no copy-back pass.
      if (pc < len && load<i32>(prog + (<usize>pc << 2)) == OP_DIAG) {
        const n = load<i32>(prog + (<usize>pc << 2), 4), sc = load<i32>(prog + (<usize>pc << 2), 8)
        diag(permBuffer(), t, bits, base, prog + (<usize>(pc + 3) << 2), n, dbl, load<f64>(dbl + (<usize>sc << 3)))
        pc += 3 + 3 * n
      } else {
        memory.copy(t, permBuffer(), (<usize>1 << <usize>bits) << 4)
      }
    } else if (op == OP_SUB) {
      const sub = <usize>1 << <usize>(a1 + 4)
      const end = t + ((<usize>1 << <usize>bits) << 4)
      for (let p = t; p < end; p += sub) exec(p, a1, base, prog + (<usize>(pc + 3) << 2), a2, dbl)
      pc += 3 + a2
    } else {
      unreachable()
    }
  }
}

/** Swaps amplitude x with x + delta for every x with bits `fixed` equal to `set`. */
function swapPairs(t: usize, bits: i32, fixed: i32, set: i32, delta: i32): void {
  const p0 = ctz(fixed)
  const K = popcnt(fixed)
  const runLen = 1 << p0
  const runs = 1 << (bits - K - p0)
  const d = <usize>delta << 4
  const low = (fixed | (runLen - 1))
  let x = 0
  for (let r = 0; r < runs; r++) {
    let p = t + (<usize>(x | set) << 4)
    x = ((x | low) + 1) & ~fixed
    const end = p + (<usize>runLen << 4)
    for (; p < end; p += 16) {
      const a = v128.load(p)
      v128.store(p, v128.load(p + d))
      v128.store(p + d, a)
    }
  }
}

/** Dense 2x2 on local qubit q where the local controls `ctrl` are 1. */
function mat1(t: usize, bits: i32, q: i32, ctrl: i32, m: usize): void {
  for (let i = 0; i < 4; i++) setMv(i, load<f64>(m + (<usize>i << 4)), load<f64>(m + (<usize>i << 4), 8))
  const p0 = ctz((1 << q) | ctrl)
  const K = popcnt((1 << q) | ctrl)
  const runLen = 1 << p0
  const runs = 1 << (bits - K - p0)
  const s = <usize>1 << <usize>(q + 4)
  const m0 = v128.load(MV), m0s = v128.load(MV, 16), m1 = v128.load(MV, 32), m1s = v128.load(MV, 48)
  const m2 = v128.load(MV, 64), m2s = v128.load(MV, 80), m3 = v128.load(MV, 96), m3s = v128.load(MV, 112)
  const fixed = (1 << q) | ctrl
  const low = (fixed | (runLen - 1))
  let x = 0
  for (let r = 0; r < runs; r++) {
    let p = t + (<usize>(x | ctrl) << 4)
    x = ((x | low) + 1) & ~fixed
    const end = p + (<usize>runLen << 4)
    for (; p < end; p += 16) {
      const a = v128.load(p), b = v128.load(p + s)
      const ar = v128.shuffle<f64>(a, a, 0, 0), ai = v128.shuffle<f64>(a, a, 1, 1)
      const br = v128.shuffle<f64>(b, b, 0, 0), bi = v128.shuffle<f64>(b, b, 1, 1)
      v128.store(p, f64x2.add(f64x2.add(f64x2.mul(ar, m0), f64x2.mul(ai, m0s)), f64x2.add(f64x2.mul(br, m1), f64x2.mul(bi, m1s))))
      v128.store(p + s, f64x2.add(f64x2.add(f64x2.mul(ar, m2), f64x2.mul(ai, m2s)), f64x2.add(f64x2.mul(br, m3), f64x2.mul(bi, m3s))))
    }
  }
}

/** Dense 4x4 on local qubits a, b (basis index bit(a) + 2 bit(b)). */
function mat2(t: usize, bits: i32, qa: i32, qb: i32, m: usize): void {
  for (let i = 0; i < 16; i++) setMv(i, load<f64>(m + (<usize>i << 4)), load<f64>(m + (<usize>i << 4), 8))
  const sa = <usize>1 << <usize>(qa + 4), sb = <usize>1 << <usize>(qb + 4)
  const count = 1 << (bits - 2)
  const fixed = (1 << qa) | (1 << qb)
  let x = 0
  for (let i = 0; i < count; i++) {
    const p = t + (<usize>x << 4)
    x = ((x | fixed) + 1) & ~fixed
    const v0 = v128.load(p), v1 = v128.load(p + sa), v2 = v128.load(p + sb), v3 = v128.load(p + sa + sb)
    for (let row = 0; row < 4; row++) {
      const mr = MV + (<usize>row << 7)
      const o = f64x2.add(f64x2.add(cmul(v0, mr), cmul(v1, mr + 32)), f64x2.add(cmul(v2, mr + 64), cmul(v3, mr + 96)))
      const off = (row & 1 ? sa : 0) + (row & 2 ? sb : 0)
      v128.store(p + off, o)
    }
  }
}

/** Multiplies every amplitude by the real s. */
function scale(t: usize, bits: i32, s: f64): void {
  const sv = f64x2.splat(s)
  const end = t + ((<usize>1 << <usize>bits) << 4)
  for (let p = t; p < end; p += 16) v128.store(p, f64x2.mul(v128.load(p), sv))
}

/** Multiplies table entry `e` (pair layout) by complex (re, im). */
@inline function tmul(e: usize, re: f64, im: f64): void {
  const v = v128.load(e)
  const r = f64x2.extract_lane(v, 0), i = f64x2.extract_lane(v, 1)
  const nr = r * re - i * im, ni = r * im + i * re
  v128.store(e, f64x2(nr, ni))
  v128.store(e, f64x2(-ni, nr), 16)
}

/**
 * A run of diagonal gates. Each entry (qa, qb, d) names qubits as local index (< 32), outside global
 * qubit (32 + g) or none (-1). Factors on local qubits below LO_BITS go to table TLO, the others to THI,
 * so the pass costs two complex multiplies per amplitude. An entry spanning both tables is applied alone.
 */
function diag(src: usize, t: usize, bits: i32, base: i32, entries: usize, count: i32, dbl: usize, sc: f64): void {
  const lo = bits < LO_BITS ? bits : LO_BITS
  const hi = bits - lo
  const nlo = 1 << lo, nhi = 1 << hi
  for (let j = 0; j < nlo; j++) { v128.store(TLO + (<usize>j << 5), f64x2(1, 0)); v128.store(TLO + (<usize>j << 5), f64x2(0, 1), 16) }
  for (let j = 0; j < nhi; j++) { v128.store(THI + (<usize>j << 5), f64x2(sc, 0)); v128.store(THI + (<usize>j << 5), f64x2(0, sc), 16) }
  let loUsed = false
  for (let e = 0; e < count; e++) {
    const qa = load<i32>(entries + (<usize>(3 * e) << 2)), qb = load<i32>(entries + (<usize>(3 * e) << 2), 4)
    const d = dbl + (<usize>load<i32>(entries + (<usize>(3 * e) << 2), 8) << 3)
    // Fold outside qubits into a constant index offset; collect local ones.
    let fixedIdx = 0, la = -1, lb = -1
    if (qa >= 32) fixedIdx |= (base >> (qa - 32)) & 1; else la = qa
    if (qb >= 32) fixedIdx |= ((base >> (qb - 32)) & 1) << 1; else if (qb >= 0) lb = qb
    const aLo = la >= 0 && la < lo, bLo = lb >= 0 && lb < lo
    const aHi = la >= lo, bHi = lb >= lo
    if ((aLo || bLo) && (aHi || bHi)) {
      if (src != t) { memory.copy(t, src, (<usize>1 << <usize>bits) << 4); src = t }
      diagDirect(t, bits, la, lb, fixedIdx, d)
      continue
    }
    const useLo = aLo || bLo
    if (useLo) loUsed = true
    const table = useLo ? TLO : THI
    const size = useLo ? nlo : nhi
    const sh = useLo ? 0 : lo
    for (let j = 0; j < size; j++) {
      let idx = fixedIdx
      if (la >= 0) idx |= (j >> (la - sh)) & 1
      if (lb >= 0) idx |= ((j >> (lb - sh)) & 1) << 1
      const z = d + (<usize>idx << 4)
      tmul(table + (<usize>j << 5), load<f64>(z), load<f64>(z, 8))
    }
  }
  let p = t
  const shift = src - t
  for (let h = 0; h < nhi; h++) {
    const fe = THI + (<usize>h << 5)
    if (!loUsed) {
      const f = v128.load(fe), fs = v128.load(fe, 16)
      const end = p + (<usize>nlo << 4)
      for (; p < end; p += 16) {
        const a = v128.load(p + shift)
        v128.store(p, f64x2.add(f64x2.mul(v128.shuffle<f64>(a, a, 0, 0), f), f64x2.mul(v128.shuffle<f64>(a, a, 1, 1), fs)))
      }
      continue
    }
    const f = v128.load(fe)
    const fr = v128.shuffle<f64>(f, f, 0, 0), fi = v128.shuffle<f64>(f, f, 1, 1)
    for (let j = 0; j < nlo; j++) {
      const le = TLO + (<usize>j << 5)
      // g = TLO[j] * f, then amp * g.
      const g = f64x2.add(f64x2.mul(fr, v128.load(le)), f64x2.mul(fi, v128.load(le, 16)))
      const gs = v128.shuffle<f64>(f64x2.neg(g), g, 1, 2)
      const a = v128.load(p + shift)
      v128.store(p, f64x2.add(f64x2.mul(v128.shuffle<f64>(a, a, 0, 0), g), f64x2.mul(v128.shuffle<f64>(a, a, 1, 1), gs)))
      p += 16
    }
  }
}

/** One diagonal entry on local qubits la, lb (either may be -1) applied amplitude by amplitude. */
function diagDirect(t: usize, bits: i32, la: i32, lb: i32, fixedIdx: i32, d: usize): void {
  for (let i = 0; i < 4; i++) setMv(i, load<f64>(d + (<usize>i << 4)), load<f64>(d + (<usize>i << 4), 8))
  const n = 1 << bits
  for (let x = 0; x < n; x++) {
    let idx = fixedIdx
    if (la >= 0) idx |= (x >> la) & 1
    if (lb >= 0) idx |= ((x >> lb) & 1) << 1
    const p = t + (<usize>x << 4)
    v128.store(p, cmul(v128.load(p), MV + (<usize>idx << 5)))
  }
}
