// Reading a statevector: probabilities, norm, collapse on measurement, Pauli expectation values,
// seeded sampling and top-K outcomes. Works on interleaved (re, im) Float64Arrays from any engine.
import { SimulationError } from './errors.js'
import type { Xoshiro128 } from './rng.js'

/** A weighted Pauli string; `pauli` is read like Qiskit: the rightmost letter acts on qubit 0. */
export interface PauliTerm { coeff: number; pauli: string }

/** Doubles summed naively per block before the blocks are summed with compensation (small enough to stay exact to ~1e-16). */
const SUM_BLOCK = 512

/**
 * Neumaier-compensated running sum over naive block sums of squares of psi[lo..hi). A plain running sum
 * of 2^26 squares loses up to ~1e-11 (a 25-qubit state summed to 1 - 9.6e-12); this stays within a few ulps.
 */
class SquareSum {
  sum = 0
  private comp = 0
  add(psi: Float64Array, lo: number, hi: number): void {
    for (let b = lo; b < hi; b += SUM_BLOCK) {
      const end = Math.min(hi, b + SUM_BLOCK)
      let v = 0
      for (let i = b; i < end; i++) v += psi[i] * psi[i]
      const t = this.sum + v
      this.comp += Math.abs(this.sum) >= Math.abs(v) ? this.sum - t + v : v - t + this.sum
      this.sum = t
    }
  }
  get value(): number { return this.sum + this.comp }
}

/** Sum of |amplitude|^2, compensated (see SquareSum). */
export function norm(psi: Float64Array): number {
  const s = new SquareSum()
  s.add(psi, 0, psi.length)
  return s.value
}

/** Plain running sum of |amplitude|^2: the normalizer of the sampling passes, whose running sums it matches. */
function runningNorm(psi: Float64Array): number {
  let s = 0
  for (let i = 0; i < psi.length; i++) s += psi[i] * psi[i]
  return s
}

/** Probability of every basis state (index bit q = qubit q). */
export function probabilities(psi: Float64Array): Float64Array {
  const p = new Float64Array(psi.length / 2)
  for (let i = 0; i < p.length; i++) p[i] = psi[2 * i] * psi[2 * i] + psi[2 * i + 1] * psi[2 * i + 1]
  return p
}

/** Probability that measuring qubit q gives 1. */
export function probabilityOfOne(psi: Float64Array, q: number): number {
  // Compensated like norm: the collapse renormalizes by 1/sqrt(p1), so an error in p1 becomes one in the norm.
  const s = new SquareSum(), run = 2 * 2 ** q
  for (let b = run; b < psi.length; b += 2 * run) s.add(psi, b, b + run)
  return s.value
}

/**
 * Collapses qubit q onto `outcome` (p1 = probabilityOfOne before) and renormalizes; `reset` then maps |1> to |0>.
 * Deterministic: the same state, outcome and p1 give the same bits, which shot branching relies on.
 */
export function collapseQubit(psi: Float64Array, q: number, outcome: number, p1: number, reset = false): void {
  const dim = psi.length / 2, bit = 2 ** q
  const keep = outcome ? p1 : 1 - p1
  const f = keep > 0 ? 1 / Math.sqrt(keep) : 0
  for (let i = 0; i < dim; i++) {
    if (((i >> q) & 1) === outcome) { psi[2 * i] *= f; psi[2 * i + 1] *= f } else { psi[2 * i] = 0; psi[2 * i + 1] = 0 }
  }
  if (reset && outcome === 1) {
    for (let i = 0; i < dim; i++) if ((i >> q) & 1) {
      const j = i ^ bit
      psi[2 * j] = psi[2 * i]; psi[2 * j + 1] = psi[2 * i + 1]; psi[2 * i] = 0; psi[2 * i + 1] = 0
    }
  }
}

/** Measures qubit q: draws the outcome from `rng`, collapses and renormalizes the state; `reset` then maps it to |0>. */
export function measureQubit(psi: Float64Array, q: number, rng: Xoshiro128, reset = false): number {
  const p1 = probabilityOfOne(psi, q)
  const outcome = rng.nextDouble() < p1 ? 1 : 0
  collapseQubit(psi, q, outcome, p1, reset)
  return outcome
}

/** Parses a Pauli string into masks; throws on letters other than IXYZ or a length other than n. */
export function pauliMasks(pauli: string, n: number): { flip: number; phase: number; ny: number } {
  if (pauli.length !== n) throw new SimulationError(`Pauli string "${pauli}" has ${pauli.length} letters, the circuit has ${n} qubits`)
  let flip = 0, phase = 0, ny = 0
  for (let k = 0; k < n; k++) {
    const ch = pauli[n - 1 - k].toUpperCase()
    if (ch === 'X') flip |= 1 << k
    else if (ch === 'Y') { flip |= 1 << k; phase |= 1 << k; ny++ }
    else if (ch === 'Z') phase |= 1 << k
    else if (ch !== 'I') throw new SimulationError(`Pauli string "${pauli}" has a letter other than I, X, Y, Z`)
  }
  return { flip, phase, ny }
}

/** <psi|P|psi> for one Pauli string (real, since P is Hermitian). P|x> = i^ny (-1)^popcount(x & phase) |x ^ flip>. */
export function pauliExpectation(psi: Float64Array, pauli: string): number {
  const dim = psi.length / 2
  const { flip, phase, ny } = pauliMasks(pauli, Math.round(Math.log2(dim)))
  let re = 0, im = 0
  for (let x = 0; x < dim; x++) {
    const y = x ^ flip
    // conj(psi[y]) * psi[x] * sign
    const ar = psi[2 * y], ai = -psi[2 * y + 1], br = psi[2 * x], bi = psi[2 * x + 1]
    let v = x & phase, odd = 0
    while (v) { odd ^= 1; v &= v - 1 }
    const s = odd ? -1 : 1
    re += s * (ar * br - ai * bi)
    im += s * (ar * bi + ai * br)
  }
  // multiply by i^ny
  switch (ny & 3) {
    case 0: return re
    case 1: return -im
    case 2: return -re
    default: return im
  }
}

/** Sum of coeff * <P> over the terms. */
export function expectation(psi: Float64Array, terms: PauliTerm[]): { value: number; terms: number[] } {
  const values = terms.map((t) => {
    if (!Number.isFinite(t.coeff)) throw new SimulationError(`Pauli term "${t.pauli}" has a coefficient that is not a finite number`)
    return pauliExpectation(psi, t.pauli)
  })
  return { value: values.reduce((s, v, i) => s + terms[i].coeff * v, 0), terms: values }
}

/** `shots` basis indices drawn from |psi|^2 in one pass over the state (sorted uniforms). */
export function sampleIndices(psi: Float64Array, shots: number, rng: Xoshiro128): Uint32Array {
  const u = new Float64Array(shots)
  for (let i = 0; i < shots; i++) u[i] = rng.nextDouble()
  u.sort()
  // Normalized by a plain running sum, like acc below, so acc reaches 1 at the end (a compensated total
  // would leave a gap of up to ~1e-11 at 26 qubits that every draw inside it would hit the last index with).
  const total = runningNorm(psi)
  const out = new Uint32Array(shots)
  const dim = psi.length / 2
  let acc = 0, k = 0, last = 0
  for (let x = 0; x < dim && k < shots; x++) {
    const p = psi[2 * x] * psi[2 * x] + psi[2 * x + 1] * psi[2 * x + 1]
    if (p > 0) last = x
    acc += p / total
    while (k < shots && u[k] < acc) out[k++] = x
  }
  while (k < shots) out[k++] = last
  return out
}

/** What sampleIndices accumulates, kept: `cdf[x]` = sum of p(y) / norm for y <= x (same order, same rounding), and the last x with p > 0. */
export interface Cumulative { cdf: Float64Array; last: number }

/** The cumulative distribution of |psi|^2, for drawing many single samples in O(log dim) each. */
export function cumulativeProbabilities(psi: Float64Array): Cumulative {
  // Normalized by a plain running sum, like acc below, so acc reaches 1 at the end (a compensated total
  // would leave a gap of up to ~1e-11 at 26 qubits that every draw inside it would hit the last index with).
  const total = runningNorm(psi)
  const dim = psi.length / 2
  const cdf = new Float64Array(dim)
  let acc = 0, last = 0
  for (let x = 0; x < dim; x++) {
    const p = psi[2 * x] * psi[2 * x] + psi[2 * x + 1] * psi[2 * x + 1]
    if (p > 0) last = x
    acc += p / total
    cdf[x] = acc
  }
  return { cdf, last }
}

/** The index sampleIndices(psi, 1, rng) would return for the uniform `u`: the first x with u < cdf[x], else `last`. */
export function sampleCumulative(c: Cumulative, u: number): number {
  const cdf = c.cdf
  if (!(u < cdf[cdf.length - 1])) return c.last
  let lo = 0, hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (u < cdf[mid]) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** The k most probable basis indices with their probabilities, most probable first (ties: lower index first). */
export function topK(psi: Float64Array, k: number): { index: number; probability: number }[] {
  if (k <= 0) return []
  const dim = psi.length / 2
  const best: { index: number; probability: number }[] = []
  let floor = -1
  for (let x = 0; x < dim; x++) {
    const p = psi[2 * x] * psi[2 * x] + psi[2 * x + 1] * psi[2 * x + 1]
    if (p <= floor || p === 0) continue
    best.push({ index: x, probability: p })
    if (best.length > 4 * k + 64) {
      best.sort((a, b) => b.probability - a.probability || a.index - b.index)
      best.length = k
      floor = best[k - 1].probability
    }
  }
  best.sort((a, b) => b.probability - a.probability || a.index - b.index)
  return best.slice(0, k)
}
