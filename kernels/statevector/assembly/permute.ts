// Affine bit permutations of a tile (fused runs of X, CX and SWAP), written into a second buffer.

const LO_BITS = 7
const PA: usize = memory.data((1 << LO_BITS) * 4, 16)
const PB: usize = memory.data((1 << 12) * 4, 16)
/** A second tile-sized buffer for permutations (set through setPermBuffer). */
let permBuf: usize = 0

/** Sets the buffer OP_PERM writes into; it must hold a whole tile. */
export function setPermBuffer(p: usize): void {
  permBuf = p
}

/** The buffer the last permutation wrote. */
export function permBuffer(): usize {
  return permBuf
}

/**
 * An affine permutation of the low k local bits: amplitude x moves to M x ^ off, where M's columns are
 * given and off is cst plus every flip whose outside controls are all set in `base`. Written into
 * permBuf through two lookup tables (low 7 bits, next k-7 bits); the caller moves it back.
 */
export function permute(t: usize, bits: i32, base: i32, w: usize): void {
  const k = load<i32>(w, 4), nCond = load<i32>(w, 8)
  let off = load<i32>(w, 12)
  const cols = w + 16
  for (let i = 0; i < nCond; i++) {
    const om = load<i32>(cols + (<usize>(k + 2 * i) << 2)), flip = load<i32>(cols + (<usize>(k + 2 * i) << 2), 4)
    if ((base & om) == om) off ^= flip
  }
  const lo = k < LO_BITS ? k : LO_BITS
  const mid = k - lo
  const nlo = 1 << lo, nmid = 1 << mid
  for (let j = 0; j < nlo; j++) {
    let y = 0
    for (let b = 0; b < lo; b++) if ((j >> b) & 1) y ^= load<i32>(cols + (<usize>b << 2))
    store<i32>(PA + (<usize>j << 2), y)
  }
  for (let j = 0; j < nmid; j++) {
    let y = 0
    for (let b = 0; b < mid; b++) if ((j >> b) & 1) y ^= load<i32>(cols + (<usize>(lo + b) << 2))
    store<i32>(PB + (<usize>j << 2), y)
  }
  const highs = 1 << (bits - k)
  let src = t
  for (let h = 0; h < highs; h++) {
    const hb = (h << k) ^ off
    for (let m = 0; m < nmid; m++) {
      const tb = load<i32>(PB + (<usize>m << 2)) ^ hb
      for (let j = 0; j < nlo; j++) {
        v128.store(permBuf + (<usize>(load<i32>(PA + (<usize>j << 2)) ^ tb) << 4), v128.load(src))
        src += 16
      }
    }
  }
}

