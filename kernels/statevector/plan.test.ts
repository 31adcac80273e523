// The stage planner: far fewer passes over the state than gates, valid tile layouts, fused programs.
import { describe, expect, it } from 'vitest'
import { lowerGate, type PrimOp } from './gates.js'
import { fuseSingleQubitRuns } from './fuse.js'
import { opQubits } from './gates.js'
import { OP, planStages } from './plan.js'

/** 3 layers of (H on every qubit, CX chain, RZ on every qubit): the benchmark circuit. */
function layers(n: number): PrimOp[] {
  const ops: PrimOp[] = []
  for (let l = 0; l < 3; l++) {
    for (let q = 0; q < n; q++) ops.push(...lowerGate('h', [q], []))
    for (let q = 0; q + 1 < n; q++) ops.push(...lowerGate('cx', [q, q + 1], []))
    for (let q = 0; q < n; q++) ops.push(...lowerGate('rz', [q], [0.1 * q]))
  }
  return ops
}

describe('planStages', () => {
  it('puts a circuit that fits in one tile into one stage', () => {
    const stages = planStages(12, layers(12))
    expect(stages).toHaveLength(1)
    expect(stages[0]).toMatchObject({ c: 12, s: [], o: [] })
  })

  it('runs the 177-gate benchmark circuit at 20 qubits in 2 passes, 24 qubits in at most 8', () => {
    const ops20 = layers(20)
    expect(ops20).toHaveLength(177)
    expect(planStages(20, ops20)).toHaveLength(2)
    expect(planStages(24, layers(24)).length).toBeLessThanOrEqual(8)
  })

  it('keeps every stage within the tile size, with qubits 0..c-1 plus ascending higher ones', () => {
    for (const st of planStages(22, layers(22), { blockQubits: 12, minChunkQubits: 5 })) {
      expect(st.c + st.s.length).toBeLessThanOrEqual(12)
      expect(st.c).toBeGreaterThanOrEqual(5)
      expect(st.s.every((q, i) => q >= st.c && (i === 0 || q > st.s[i - 1]))).toBe(true)
      expect(new Set([...Array(st.c).keys(), ...st.s, ...st.o]).size).toBe(22)
    }
  })

  it('fuses a CX chain into one permutation and RZ runs into one diagonal', () => {
    const [st] = planStages(8, layers(8).slice(0, 23))
    const opcodes: number[] = []
    for (let pc = 0; pc < st.prog.length;) {
      const op = st.prog[pc]
      opcodes.push(op)
      pc += op === OP.HN ? 2 + st.prog[pc + 1] : op === OP.PERM ? 4 + st.prog[pc + 1] + 2 * st.prog[pc + 2] : op === OP.DIAG ? 3 + 3 * st.prog[pc + 1] : 99
    }
    expect(opcodes).toEqual([OP.HN, OP.PERM, OP.DIAG])
  })

  it('fuses runs of single-qubit gates into one matrix in place of the last gate, leaving H and diagonal runs', () => {
    const g = (name: string, qs: number[], ps: number[] = []) => lowerGate(name, qs, ps)
    const ops = [...g('sx', [0]), ...g('rz', [0], [0.3]), ...g('u3', [1], [0.1, 0.2, 0.3]), ...g('sx', [0]), ...g('cx', [0, 1]),
      ...g('h', [1]), ...g('rz', [1], [0.5]), ...g('rz', [0], [0.1]), ...g('t', [0]), ...g('x', [1]), ...g('x', [1])]
    const fused = fuseSingleQubitRuns(ops, opQubits)
    // Qubit 0: sx rz sx -> one mat1 where the last sx was; the lone u3 stays. After the CX, qubit 1's run
    // holds an H and qubit 0's (rz, t) is diagonal only, so both stay as they are.
    expect(fused.map((o) => o.t)).toEqual(['mat1', 'mat1', 'x', 'h', 'diag', 'diag', 'diag', 'x', 'x'])
    expect(fused[1]).toMatchObject({ t: 'mat1', q: 0 })
    expect(fuseSingleQubitRuns(g('x', [2]).concat(g('x', [2])), opQubits).map((o) => o.t)).toEqual(['diag'])
  })
})
