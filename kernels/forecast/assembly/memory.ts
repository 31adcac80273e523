// Linear-memory layout of the forecast kernel: one input series, its outputs and scratch, laid out
// from __heap_base and grown on demand. No allocator is used anywhere in the kernel.

/** Pointers into linear memory, valid until the next `prepare` with a larger size. */
export let yPtr: usize = 0
export let meanPtr: usize = 0
export let lowerPtr: usize = 0
export let upperPtr: usize = 0
/** Scratch: seasonal states (2 x maxSeason), FFT buffers (2 x fftN complex), ACF (fftN). */
export let s1Ptr: usize = 0
export let s2Ptr: usize = 0
export let s1InitPtr: usize = 0
export let s2InitPtr: usize = 0
export let fftPtr: usize = 0
export let twPtr: usize = 0
export let acfPtr: usize = 0
export let fftN: i32 = 0
let capacityN: i32 = 0
let capacityH: i32 = 0

function align16(p: usize): usize { return (p + 15) & ~(<usize>15) }

/** Smallest power of two >= v. */
export function nextPow2(v: i32): i32 {
  let p = 1
  while (p < v) p <<= 1
  return p
}

/** Lays out buffers for a series of `n` points and `horizon` outputs; returns the input pointer. */
export function prepare(n: i32, horizon: i32): usize {
  if (n <= capacityN && horizon <= capacityH) return yPtr
  const cn = max(n, capacityN)
  const ch = max(horizon, capacityH)
  const fn = nextPow2(2 * cn)
  let p = align16(__heap_base)
  yPtr = p; p = align16(p + (<usize>cn << 3))
  meanPtr = p; p = align16(p + (<usize>ch << 3))
  lowerPtr = p; p = align16(p + (<usize>ch << 3))
  upperPtr = p; p = align16(p + (<usize>ch << 3))
  s1Ptr = p; p = align16(p + (<usize>cn << 3))
  s2Ptr = p; p = align16(p + (<usize>cn << 3))
  s1InitPtr = p; p = align16(p + (<usize>cn << 3))
  s2InitPtr = p; p = align16(p + (<usize>cn << 3))
  fftPtr = p; p = align16(p + (<usize>fn << 4))
  twPtr = p; p = align16(p + (<usize>fn << 3))
  acfPtr = p; p = align16(p + (<usize>fn << 3))
  const needPages = <i32>((p + 0xffff) >> 16)
  const have = memory.size()
  if (needPages > have) {
    if (memory.grow(needPages - have) < 0) unreachable()
  }
  // The previous series (if any) lived at the same yPtr, so nothing moves except the tail buffers.
  capacityN = cn
  capacityH = ch
  fftN = 0 // twiddles must be recomputed for the new layout
  return yPtr
}

/** Results of `scan`: counts of NaN, infinite and zero values, and the smallest finite value. */
export let nanCount: i32 = 0
export let infCount: i32 = 0
export let zeroCount: i32 = 0
export let minValue: f64 = 0

/** One pass over the n input values filling nanCount, infCount, zeroCount and minValue. */
export function scan(n: i32): void {
  let nan = 0, inf = 0, zero = 0
  let mn = Infinity
  for (let i = 0; i < n; i++) {
    const v = load<f64>(yPtr + (<usize>i << 3))
    if (v != v) nan++
    else if (Math.abs(v) == Infinity) inf++
    else {
      if (v == 0) zero++
      if (v < mn) mn = v
    }
  }
  nanCount = nan; infCount = inf; zeroCount = zero; minValue = mn
}
