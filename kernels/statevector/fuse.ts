// Gate fusion before blocking: merges each run of single-qubit gates on one qubit into one 2x2 matrix
// (or one diagonal), and merges diagonal gates on the same qubits. Hadamard-only and diagonal-only runs
// are left alone: the kernel already runs those as butterflies and phase tables, cheaper than dense 2x2s.
import type { PrimOp } from './gates.js'

/** c = a * b for complex 2x2 row-major matrices [re00, im00, re01, im01, re10, im10, re11, im11]. */
function matmul(a: Float64Array, b: Float64Array): Float64Array {
  const c = new Float64Array(8)
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
    let re = 0, im = 0
    for (let k = 0; k < 2; k++) {
      const ar = a[(i * 2 + k) * 2], ai = a[(i * 2 + k) * 2 + 1], br = b[(k * 2 + j) * 2], bi = b[(k * 2 + j) * 2 + 1]
      re += ar * br - ai * bi
      im += ar * bi + ai * br
    }
    c[(i * 2 + j) * 2] = re
    c[(i * 2 + j) * 2 + 1] = im
  }
  return c
}

/** The 2x2 matrix of a single-qubit op without controls, or undefined. */
function matrixOf(op: PrimOp): Float64Array | undefined {
  const r = Math.SQRT1_2
  switch (op.t) {
    case 'h': return new Float64Array([r, 0, r, 0, r, 0, -r, 0])
    case 'x': return op.ctrls.length ? undefined : new Float64Array([0, 0, 1, 0, 1, 0, 0, 0])
    case 'mat1': return op.ctrls.length ? undefined : op.m
    case 'diag': return op.qb >= 0 ? undefined : new Float64Array([op.d[0], op.d[1], 0, 0, 0, 0, op.d[2], op.d[3]])
    default: return undefined
  }
}

const singleQubit = (op: PrimOp): number => (matrixOf(op) ? (op.t === 'diag' ? op.qa : (op as { q: number }).q) : -1)

/**
 * Fuses runs of single-qubit gates per qubit. A fused run takes the place of its last gate, so every
 * other op keeps its position and the order stays valid (nothing between touches that qubit).
 */
export function fuseSingleQubitRuns(ops: PrimOp[], touches: (op: PrimOp) => number[]): PrimOp[] {
  const replace = new Map<number, PrimOp | null>()
  const runs = new Map<number, number[]>()
  const close = (q: number) => {
    const run = runs.get(q)
    if (!run) return
    runs.delete(q)
    const gates = run.map((i) => ops[i])
    const dense = gates.filter((o) => o.t === 'mat1' || o.t === 'x').length
    if (run.length < 2 || dense === 0 || gates.some((o) => o.t === 'h')) return
    let m = matrixOf(gates[0])!
    for (let i = 1; i < gates.length; i++) m = matmul(matrixOf(gates[i])!, m)
    for (const i of run) replace.set(i, null)
    const diagonal = m[2] === 0 && m[3] === 0 && m[4] === 0 && m[5] === 0
    replace.set(run[run.length - 1], diagonal ? { t: 'diag', qa: q, qb: -1, d: new Float64Array([m[0], m[1], m[6], m[7], 0, 0, 0, 0]) } : { t: 'mat1', q, m, ctrls: [] })
  }
  ops.forEach((op, i) => {
    const q = singleQubit(op)
    if (q >= 0) {
      const run = runs.get(q)
      if (run) run.push(i)
      else runs.set(q, [i])
    } else for (const t of touches(op)) close(t)
  })
  for (const q of [...runs.keys()]) close(q)
  if (replace.size === 0) return ops
  const out: PrimOp[] = []
  ops.forEach((op, i) => {
    const r = replace.get(i)
    if (r === undefined) out.push(op)
    else if (r) out.push(r)
  })
  return out
}
