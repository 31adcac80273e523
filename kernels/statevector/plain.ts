// A plain TypeScript statevector engine: one Float64Array of interleaved amplitudes, every primitive op
// applied in its own full pass. It is the reference the wasm kernel is tested and benchmarked against.
import { SimulationError } from './errors.js'
import type { PrimOp } from './gates.js'
import { MAX_QUBITS, type StateEngine } from './engine.js'

/** Gate-by-gate simulation in plain TS (no fusion, no blocking). */
export class PlainEngine implements StateEngine {
  passes = 0
  private n = 0
  private psi = new Float64Array(2)

  init(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > MAX_QUBITS) throw new SimulationError(`a circuit needs 1 to ${MAX_QUBITS} qubits, got ${n}`)
    this.n = n
    this.psi = new Float64Array(2 ** n * 2)
    this.psi[0] = 1
    this.passes = 0
  }

  state(): Float64Array {
    return this.psi
  }

  apply(ops: PrimOp[]): void {
    for (const op of ops) { this.applyOne(op); this.passes++ }
  }

  private applyOne(op: PrimOp): void {
    const psi = this.psi, dim = 2 ** this.n
    const cmask = (ctrls: number[]) => ctrls.reduce((m, q) => m | (1 << q), 0)
    switch (op.t) {
      case 'h': {
        const bit = 2 ** op.q, r = Math.SQRT1_2
        for (let b = 0; b < dim; b += 2 * bit) for (let i = b; i < b + bit; i++) {
          const j = i + bit
          const xr = psi[2 * i], xi = psi[2 * i + 1], yr = psi[2 * j], yi = psi[2 * j + 1]
          psi[2 * i] = r * (xr + yr); psi[2 * i + 1] = r * (xi + yi); psi[2 * j] = r * (xr - yr); psi[2 * j + 1] = r * (xi - yi)
        }
        return
      }
      case 'mat1': return this.mat(op.q, cmask(op.ctrls), op.m)
      case 'x': {
        const bit = 2 ** op.q, cm = cmask(op.ctrls)
        for (let b = 0; b < dim; b += 2 * bit) for (let i = b; i < b + bit; i++) {
          if ((i & cm) !== cm) continue
          const j = i + bit
          const r = psi[2 * i], im = psi[2 * i + 1]
          psi[2 * i] = psi[2 * j]; psi[2 * i + 1] = psi[2 * j + 1]; psi[2 * j] = r; psi[2 * j + 1] = im
        }
        return
      }
      case 'swap': {
        const ba = 1 << op.a, bb = 1 << op.b, cm = cmask(op.ctrls)
        for (let i = 0; i < dim; i++) {
          if (!(i & ba) || (i & bb) || (i & cm) !== cm) continue
          const j = (i ^ ba) | bb
          const r = psi[2 * i], im = psi[2 * i + 1]
          psi[2 * i] = psi[2 * j]; psi[2 * i + 1] = psi[2 * j + 1]; psi[2 * j] = r; psi[2 * j + 1] = im
        }
        return
      }
      case 'diag': {
        const d = op.d, qa = op.qa, qb = op.qb
        for (let i = 0; i < dim; i++) {
          const k = ((i >> qa) & 1) | (qb >= 0 ? ((i >> qb) & 1) << 1 : 0)
          const r = psi[2 * i], im = psi[2 * i + 1], dr = d[2 * k], di = d[2 * k + 1]
          psi[2 * i] = r * dr - im * di; psi[2 * i + 1] = r * di + im * dr
        }
        return
      }
      case 'mat2': {
        const ba = 1 << op.a, bb = 1 << op.b, m = op.m
        const idx = [0, ba, bb, ba | bb], vr = [0, 0, 0, 0], vi = [0, 0, 0, 0]
        for (let i = 0; i < dim; i++) {
          if (i & (ba | bb)) continue
          for (let k = 0; k < 4; k++) { vr[k] = psi[2 * (i + idx[k])]; vi[k] = psi[2 * (i + idx[k]) + 1] }
          for (let r = 0; r < 4; r++) {
            let sr = 0, si = 0
            for (let k = 0; k < 4; k++) { const mr = m[(r * 4 + k) * 2], mi = m[(r * 4 + k) * 2 + 1]; sr += mr * vr[k] - mi * vi[k]; si += mr * vi[k] + mi * vr[k] }
            psi[2 * (i + idx[r])] = sr; psi[2 * (i + idx[r]) + 1] = si
          }
        }
        return
      }
    }
  }

  private mat(q: number, cm: number, m: ArrayLike<number>): void {
    const psi = this.psi, dim = 2 ** this.n, bit = 2 ** q
    const [ar, ai, br, bi, cr, ci, dr, di] = [m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]]
    for (let b = 0; b < dim; b += 2 * bit) for (let i = b; i < b + bit; i++) {
      if ((i & cm) !== cm) continue
      const j = i + bit
      const xr = psi[2 * i], xi = psi[2 * i + 1], yr = psi[2 * j], yi = psi[2 * j + 1]
      psi[2 * i] = ar * xr - ai * xi + br * yr - bi * yi
      psi[2 * i + 1] = ar * xi + ai * xr + br * yi + bi * yr
      psi[2 * j] = cr * xr - ci * xi + dr * yr - di * yi
      psi[2 * j + 1] = cr * xi + ci * xr + dr * yi + di * yr
    }
  }
}
