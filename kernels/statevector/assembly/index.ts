// Statevector kernel: complex128 amplitudes interleaved (re, im) so one v128 holds one amplitude.
// The TypeScript planner (kernels/statevector/plan.ts) cuts a circuit into stages; runStage sweeps the
// state in cache-sized tiles and runs a stage's whole program on each tile while it sits in cache.
import { exec } from './ops'
export { setPermBuffer } from './permute'

let top: usize = (__heap_base + 63) & ~(<usize>63)
const BASE: usize = (__heap_base + 63) & ~(<usize>63)

/** Reserves `bytes` (64-byte aligned), growing memory as needed. Returns 0 when memory cannot grow. */
export function alloc(bytes: f64): usize {
  const ptr = top
  const end = <u64>ptr + <u64>bytes + 63 & ~(<u64>63)
  if (end > 0xffff_0000) return 0
  const have = (<u64>memory.size()) << 16
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16)
    if (memory.grow(pages) < 0) return 0
  }
  top = <usize>end
  return ptr
}

/** Frees every allocation. */
export function resetArena(): void {
  top = BASE
}

/** Sets the 2^n amplitudes at `state` to |0...0>. */
export function initState(state: usize, n: i32): void {
  memory.fill(state, 0, (<usize>1 << <usize>n) << 4)
  store<f64>(state, 1.0)
}

/** Deposits the bits of t into the positions listed (ascending) in the i32 array `pos` of length k. */
function deposit(t: i32, pos: usize, k: i32): i32 {
  let x = 0
  for (let i = 0; i < k; i++) x |= ((t >> i) & 1) << load<i32>(pos + (<usize>i << 2))
  return x
}

/**
 * Runs one stage over the whole state. The tile holds local qubits 0..c-1 (global 0..c-1) and c..c+m-1
 * (global qubits listed ascending at `sPos`, all >= c); the other n-c-m qubits, listed ascending at `oPos`,
 * are fixed per tile. When m is 0 the tile is contiguous and is worked on in place, otherwise it is gathered
 * into `scratch` (2^(c+m) amplitudes) and scattered back. `prog`/`dbl` hold the program (see ops.ts).
 */
export function runStage(state: usize, n: i32, scratch: usize, c: i32, sPos: usize, m: i32, oPos: usize, prog: usize, progLen: i32, dbl: usize): void {
  const bits = c + m
  const tiles = 1 << (n - bits)
  const chunkBytes = (<usize>1 << <usize>c) << 4
  const chunks = 1 << m
  for (let t = 0; t < tiles; t++) {
    const base = deposit(t, oPos, n - bits)
    if (m == 0) {
      exec(state + (<usize>base << 4), bits, base, prog, progLen, dbl)
      continue
    }
    for (let j = 0; j < chunks; j++) {
      const off = base | deposit(j, sPos, m)
      memory.copy(scratch + <usize>j * chunkBytes, state + (<usize>off << 4), chunkBytes)
    }
    exec(scratch, bits, base, prog, progLen, dbl)
    for (let j = 0; j < chunks; j++) {
      const off = base | deposit(j, sPos, m)
      memory.copy(state + (<usize>off << 4), scratch + <usize>j * chunkBytes, chunkBytes)
    }
  }
}
