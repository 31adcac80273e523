// Unnormalized Walsh-Hadamard butterflies on local qubits of a tile (radix 8, 4 and 2); the 2^(-k/2)
// normalization is folded elsewhere by the planner. Amplitudes are v128 (re, im) at 16-byte stride.

/** Unnormalized Walsh-Hadamard butterflies on the k ascending local qubits at `qs`, three at a time. */
export function hadamards(t: usize, bits: i32, qs: usize, k: i32): void {
  let i = 0
  while (i < k) {
    const left = k - i
    const q1 = load<i32>(qs + (<usize>i << 2))
    if (left >= 3) {
      const q2 = load<i32>(qs + (<usize>i << 2), 4), q3 = load<i32>(qs + (<usize>i << 2), 8)
      h3(t, bits, q1, q2, q3)
      i += 3
    } else if (left == 2) {
      h2(t, bits, q1, load<i32>(qs + (<usize>i << 2), 4))
      i += 2
    } else {
      h1(t, bits, q1)
      i += 1
    }
  }
}

function h1(t: usize, bits: i32, q: i32): void {
  const runLen = 1 << q
  const runs = 1 << (bits - 1 - q)
  const s = <usize>1 << <usize>(q + 4)
  const fixed = 1 << q
  const low = (fixed | (runLen - 1))
  let x = 0
  for (let r = 0; r < runs; r++) {
    let p = t + (<usize>x << 4)
    x = ((x | low) + 1) & ~fixed
    const end = p + (<usize>runLen << 4)
    for (; p < end; p += 16) {
      const a = v128.load(p), b = v128.load(p + s)
      v128.store(p, f64x2.add(a, b))
      v128.store(p + s, f64x2.sub(a, b))
    }
  }
}

function h2(t: usize, bits: i32, q1: i32, q2: i32): void {
  const runLen = 1 << q1
  const runs = 1 << (bits - 2 - q1)
  const s1 = <usize>1 << <usize>(q1 + 4), s2 = <usize>1 << <usize>(q2 + 4)
  const fixed = (1 << q1) | (1 << q2)
  const low = (fixed | (runLen - 1))
  let x = 0
  for (let r = 0; r < runs; r++) {
    let p = t + (<usize>x << 4)
    x = ((x | low) + 1) & ~fixed
    const end = p + (<usize>runLen << 4)
    for (; p < end; p += 16) {
      const v0 = v128.load(p), v1 = v128.load(p + s1), v2 = v128.load(p + s2), v3 = v128.load(p + s1 + s2)
      const a0 = f64x2.add(v0, v1), a1 = f64x2.sub(v0, v1), a2 = f64x2.add(v2, v3), a3 = f64x2.sub(v2, v3)
      v128.store(p, f64x2.add(a0, a2))
      v128.store(p + s1, f64x2.add(a1, a3))
      v128.store(p + s2, f64x2.sub(a0, a2))
      v128.store(p + s1 + s2, f64x2.sub(a1, a3))
    }
  }
}

function h3(t: usize, bits: i32, q1: i32, q2: i32, q3: i32): void {
  if (q1 == 0 && q2 == 1 && q3 == 2) { h012(t, bits); return }
  const runLen = 1 << q1
  const runs = 1 << (bits - 3 - q1)
  const s1 = <usize>1 << <usize>(q1 + 4), s2 = <usize>1 << <usize>(q2 + 4), s3 = <usize>1 << <usize>(q3 + 4)
  const fixed = (1 << q1) | (1 << q2) | (1 << q3)
  const low = (fixed | (runLen - 1))
  let x = 0
  for (let r = 0; r < runs; r++) {
    let p = t + (<usize>x << 4)
    x = ((x | low) + 1) & ~fixed
    const end = p + (<usize>runLen << 4)
    for (; p < end; p += 16) {
      const p2 = p + s2, p3 = p + s3, p23 = p3 + s2
      const v0 = v128.load(p), v1 = v128.load(p + s1), v2 = v128.load(p2), v3 = v128.load(p2 + s1)
      const v4 = v128.load(p3), v5 = v128.load(p3 + s1), v6 = v128.load(p23), v7 = v128.load(p23 + s1)
      const a0 = f64x2.add(v0, v1), a1 = f64x2.sub(v0, v1), a2 = f64x2.add(v2, v3), a3 = f64x2.sub(v2, v3)
      const a4 = f64x2.add(v4, v5), a5 = f64x2.sub(v4, v5), a6 = f64x2.add(v6, v7), a7 = f64x2.sub(v6, v7)
      const b0 = f64x2.add(a0, a2), b1 = f64x2.add(a1, a3), b2 = f64x2.sub(a0, a2), b3 = f64x2.sub(a1, a3)
      const b4 = f64x2.add(a4, a6), b5 = f64x2.add(a5, a7), b6 = f64x2.sub(a4, a6), b7 = f64x2.sub(a5, a7)
      v128.store(p, f64x2.add(b0, b4))
      v128.store(p + s1, f64x2.add(b1, b5))
      v128.store(p2, f64x2.add(b2, b6))
      v128.store(p2 + s1, f64x2.add(b3, b7))
      v128.store(p3, f64x2.sub(b0, b4))
      v128.store(p3 + s1, f64x2.sub(b1, b5))
      v128.store(p23, f64x2.sub(b2, b6))
      v128.store(p23 + s1, f64x2.sub(b3, b7))
    }
  }
}


/** Radix-8 on qubits 0, 1, 2: blocks of 8 contiguous amplitudes, no index arithmetic. */
function h012(t: usize, bits: i32): void {
  const end = t + ((<usize>1 << <usize>bits) << 4)
  for (let p = t; p < end; p += 128) {
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48)
    const v4 = v128.load(p, 64), v5 = v128.load(p, 80), v6 = v128.load(p, 96), v7 = v128.load(p, 112)
    const a0 = f64x2.add(v0, v1), a1 = f64x2.sub(v0, v1), a2 = f64x2.add(v2, v3), a3 = f64x2.sub(v2, v3)
    const a4 = f64x2.add(v4, v5), a5 = f64x2.sub(v4, v5), a6 = f64x2.add(v6, v7), a7 = f64x2.sub(v6, v7)
    const b0 = f64x2.add(a0, a2), b1 = f64x2.add(a1, a3), b2 = f64x2.sub(a0, a2), b3 = f64x2.sub(a1, a3)
    const b4 = f64x2.add(a4, a6), b5 = f64x2.add(a5, a7), b6 = f64x2.sub(a4, a6), b7 = f64x2.sub(a5, a7)
    v128.store(p, f64x2.add(b0, b4))
    v128.store(p, f64x2.add(b1, b5), 16)
    v128.store(p, f64x2.add(b2, b6), 32)
    v128.store(p, f64x2.add(b3, b7), 48)
    v128.store(p, f64x2.sub(b0, b4), 64)
    v128.store(p, f64x2.sub(b1, b5), 80)
    v128.store(p, f64x2.sub(b2, b6), 96)
    v128.store(p, f64x2.sub(b3, b7), 112)
  }
}
