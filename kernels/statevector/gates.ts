// The gate set of qelib1.inc lowered to a few primitive operations (dense 1-qubit matrix, Hadamard,
// controlled X/SWAP permutations, 1-2 qubit diagonals, dense 2-qubit matrix) that the engines apply.
import { SimulationError } from './errors.js'

/** A primitive operation on global qubit indices (qubit 0 is the least significant bit of a basis index). */
export type PrimOp =
  | { t: 'h'; q: number }
  /** Dense 2x2 complex matrix, row-major [re00, im00, re01, im01, re10, im10, re11, im11], applied when every control is 1. */
  | { t: 'mat1'; q: number; m: Float64Array; ctrls: number[] }
  | { t: 'x'; q: number; ctrls: number[] }
  | { t: 'swap'; a: number; b: number; ctrls: number[] }
  /** Diagonal on qa (and qb, or -1): d holds 4 complex factors indexed by bit(qa) + 2*bit(qb) (2 when qb is -1). */
  | { t: 'diag'; qa: number; qb: number; d: Float64Array }
  /** Dense 4x4 complex matrix on (a, b), basis index bit(a) + 2*bit(b), row-major re/im pairs. */
  | { t: 'mat2'; a: number; b: number; m: Float64Array }

/** Number of qubits and parameters of each built-in gate (qelib1.inc plus U and CX). */
export const GATE_ARITY: Record<string, { qubits: number; params: number }> = {
  U: { qubits: 1, params: 3 }, CX: { qubits: 2, params: 0 },
  x: { qubits: 1, params: 0 }, y: { qubits: 1, params: 0 }, z: { qubits: 1, params: 0 }, h: { qubits: 1, params: 0 },
  s: { qubits: 1, params: 0 }, sdg: { qubits: 1, params: 0 }, t: { qubits: 1, params: 0 }, tdg: { qubits: 1, params: 0 },
  sx: { qubits: 1, params: 0 }, sxdg: { qubits: 1, params: 0 }, id: { qubits: 1, params: 0 },
  rx: { qubits: 1, params: 1 }, ry: { qubits: 1, params: 1 }, rz: { qubits: 1, params: 1 }, p: { qubits: 1, params: 1 },
  u1: { qubits: 1, params: 1 }, u2: { qubits: 1, params: 2 }, u3: { qubits: 1, params: 3 }, u: { qubits: 1, params: 3 },
  cx: { qubits: 2, params: 0 }, cy: { qubits: 2, params: 0 }, cz: { qubits: 2, params: 0 }, ch: { qubits: 2, params: 0 },
  swap: { qubits: 2, params: 0 }, cp: { qubits: 2, params: 1 }, cu1: { qubits: 2, params: 1 },
  crx: { qubits: 2, params: 1 }, cry: { qubits: 2, params: 1 }, crz: { qubits: 2, params: 1 }, cu3: { qubits: 2, params: 3 },
  rxx: { qubits: 2, params: 1 }, rzz: { qubits: 2, params: 1 },
  ccx: { qubits: 3, params: 0 }, cswap: { qubits: 3, params: 0 },
  csx: { qubits: 2, params: 0 }, cu: { qubits: 2, params: 4 }, ryy: { qubits: 2, params: 1 },
  rccx: { qubits: 3, params: 0 }, rc3x: { qubits: 4, params: 0 }, c3x: { qubits: 4, params: 0 }, c4x: { qubits: 5, params: 0 },
}

/** u3(theta, phi, lambda) as a row-major complex 2x2. */
export function u3Matrix(theta: number, phi: number, lambda: number): Float64Array {
  const c = Math.cos(theta / 2), s = Math.sin(theta / 2)
  return new Float64Array([
    c, 0, -Math.cos(lambda) * s, -Math.sin(lambda) * s,
    Math.cos(phi) * s, Math.sin(phi) * s, Math.cos(phi + lambda) * c, Math.sin(phi + lambda) * c,
  ])
}

const H = Math.SQRT1_2
const m1 = (...v: number[]) => new Float64Array(v)
const phase = (a: number) => [Math.cos(a), Math.sin(a)]
const diag1 = (q: number, a: number[], b: number[]): PrimOp => ({ t: 'diag', qa: q, qb: -1, d: m1(...a, ...b, 0, 0, 0, 0) })

/** The 2x2 matrix of a named single-qubit gate (for controlled versions too). */
function matrix1(name: string, p: number[]): Float64Array {
  switch (name) {
    case 'x': return m1(0, 0, 1, 0, 1, 0, 0, 0)
    case 'y': return m1(0, 0, 0, -1, 0, 1, 0, 0)
    case 'h': return m1(H, 0, H, 0, H, 0, -H, 0)
    case 'sx': return m1(0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5)
    case 'sxdg': return m1(0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5)
    case 'rx': { const c = Math.cos(p[0] / 2), s = Math.sin(p[0] / 2); return m1(c, 0, 0, -s, 0, -s, c, 0) }
    case 'ry': { const c = Math.cos(p[0] / 2), s = Math.sin(p[0] / 2); return m1(c, 0, -s, 0, s, 0, c, 0) }
    case 'u2': return u3Matrix(Math.PI / 2, p[0], p[1])
    case 'u3': case 'u': case 'U': return u3Matrix(p[0], p[1], p[2])
    default: throw new SimulationError(`no matrix for gate ${name}`)
  }
}

/** Lowers one built-in gate application to primitive operations. `qs` are global qubits, `p` evaluated parameters. */
export function lowerGate(name: string, qs: number[], p: number[]): PrimOp[] {
  const [a, b, c] = qs
  switch (name) {
    case 'id': return []
    case 'h': return [{ t: 'h', q: a }]
    case 'x': return [{ t: 'x', q: a, ctrls: [] }]
    case 'cx': case 'CX': return [{ t: 'x', q: b, ctrls: [a] }]
    case 'ccx': return [{ t: 'x', q: c, ctrls: [a, b] }]
    case 'swap': return [{ t: 'swap', a, b, ctrls: [] }]
    case 'cswap': return [{ t: 'swap', a: b, b: c, ctrls: [a] }]
    case 'z': return [diag1(a, [1, 0], [-1, 0])]
    case 's': return [diag1(a, [1, 0], [0, 1])]
    case 'sdg': return [diag1(a, [1, 0], [0, -1])]
    case 't': return [diag1(a, [1, 0], phase(Math.PI / 4))]
    case 'tdg': return [diag1(a, [1, 0], phase(-Math.PI / 4))]
    case 'p': case 'u1': return [diag1(a, [1, 0], phase(p[0]))]
    case 'rz': return [diag1(a, phase(-p[0] / 2), phase(p[0] / 2))]
    case 'cz': return [{ t: 'diag', qa: a, qb: b, d: m1(1, 0, 1, 0, 1, 0, -1, 0) }]
    case 'cp': case 'cu1': return [{ t: 'diag', qa: a, qb: b, d: m1(1, 0, 1, 0, 1, 0, ...phase(p[0])) }]
    case 'crz': return [{ t: 'diag', qa: a, qb: b, d: m1(1, 0, ...phase(-p[0] / 2), 1, 0, ...phase(p[0] / 2)) }]
    case 'rzz': { const e = phase(-p[0] / 2), f = phase(p[0] / 2); return [{ t: 'diag', qa: a, qb: b, d: m1(...e, ...f, ...f, ...e) }] }
    case 'y': case 'sx': case 'sxdg': case 'rx': case 'ry': case 'u2': case 'u3': case 'u': case 'U':
      return [{ t: 'mat1', q: a, m: matrix1(name, p), ctrls: [] }]
    case 'cy': return [{ t: 'mat1', q: b, m: matrix1('y', p), ctrls: [a] }]
    case 'ch': return [{ t: 'mat1', q: b, m: matrix1('h', p), ctrls: [a] }]
    case 'crx': return [{ t: 'mat1', q: b, m: matrix1('rx', p), ctrls: [a] }]
    case 'cry': return [{ t: 'mat1', q: b, m: matrix1('ry', p), ctrls: [a] }]
    case 'cu3': return [{ t: 'mat1', q: b, m: matrix1('u3', p), ctrls: [a] }]
    case 'csx': return [{ t: 'mat1', q: b, m: matrix1('sx', p), ctrls: [a] }]
    case 'cu': {
      // qelib1: controlled (e^{i gamma} U(theta, phi, lambda)); the phase gamma is relative, so it matters.
      const m = matrix1('u3', p), [gr, gi] = phase(p[3])
      for (let i = 0; i < 8; i += 2) { const r = m[i], im = m[i + 1]; m[i] = r * gr - im * gi; m[i + 1] = r * gi + im * gr }
      return [{ t: 'mat1', q: b, m, ctrls: [a] }]
    }
    case 'c3x': return [{ t: 'x', q: qs[3], ctrls: [a, b, c] }]
    case 'c4x': return [{ t: 'x', q: qs[4], ctrls: [a, b, c, qs[3]] }]
    // Relative-phase Toffoli (qelib1's 9-gate body): Z on c when a = 1, then [[0, i], [i, 0]] on c when a = b = 1,
    // so a = b = 1 gets Y = [[0, -i], [i, 0]] and |a=1, b=0, c=1> gets -1.
    case 'rccx': return [{ t: 'diag', qa: a, qb: c, d: m1(1, 0, 1, 0, 1, 0, -1, 0) }, { t: 'mat1', q: c, m: m1(0, 0, 0, 1, 0, 1, 0, 0), ctrls: [a, b] }]
    // Relative-phase 3-controlled X (qelib1's 18-gate body): diag(i, -i) on d when a = b = 1, then [[0, i], [i, 0]]
    // when also c = 1, so a = b = c = 1 gets [[0, 1], [-1, 0]].
    case 'rc3x': return [
      { t: 'mat1', q: qs[3], m: m1(0, 1, 0, 0, 0, 0, 0, -1), ctrls: [a, b] },
      { t: 'mat1', q: qs[3], m: m1(0, 0, 0, 1, 0, 1, 0, 0), ctrls: [a, b, c] },
    ]
    case 'rxx': {
      // exp(-i theta/2 X(x)X): cos on the diagonal, -i sin on the anti-diagonal.
      const co = Math.cos(p[0] / 2), si = -Math.sin(p[0] / 2)
      const m = new Float64Array(32)
      for (let i = 0; i < 4; i++) { m[(i * 4 + i) * 2] = co; m[(i * 4 + (3 - i)) * 2 + 1] = si }
      return [{ t: 'mat2', a, b, m }]
    }
    case 'ryy': {
      // exp(-i theta/2 Y(x)Y): Y(x)Y is -1 on |00>,|11> <-> |11>,|00> and +1 on |01> <-> |10>,
      // so +i sin on the outer anti-diagonal corners and -i sin on the inner ones.
      const co = Math.cos(p[0] / 2), si = Math.sin(p[0] / 2)
      const m = new Float64Array(32)
      for (let i = 0; i < 4; i++) { m[(i * 4 + i) * 2] = co; m[(i * 4 + (3 - i)) * 2 + 1] = i === 0 || i === 3 ? si : -si }
      return [{ t: 'mat2', a, b, m }]
    }
    default: throw new SimulationError(`unknown gate ${name}`)
  }
}

/** Qubits a primitive op touches in any way (targets, controls, diagonal qubits). */
export function opQubits(op: PrimOp): number[] {
  switch (op.t) {
    case 'h': return [op.q]
    case 'mat1': case 'x': return [op.q, ...op.ctrls]
    case 'swap': return [op.a, op.b, ...op.ctrls]
    case 'diag': return op.qb < 0 ? [op.qa] : [op.qa, op.qb]
    case 'mat2': return [op.a, op.b]
  }
}

/** Qubits whose amplitudes an op mixes: they must be local to the block it runs in (controls and diagonals need not). */
export function opTargets(op: PrimOp): number[] {
  switch (op.t) {
    case 'h': case 'mat1': case 'x': return [op.q]
    case 'swap': return [op.a, op.b]
    case 'diag': return []
    case 'mat2': return [op.a, op.b]
  }
}
