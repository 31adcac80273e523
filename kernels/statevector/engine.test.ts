// The wasm engine (fused, blocked) against the plain TS reference on random circuits, across tile layouts.
import { describe, expect, it } from 'vitest'
import { lowerGate, type PrimOp } from './gates.js'
import { PlainEngine } from './plain.js'
import { WasmEngine } from './engine.js'
import { Xoshiro128 } from './rng.js'
import { GATE_ARITY } from './gates.js'
import { norm } from './state-math.js'

const NAMES = Object.keys(GATE_ARITY).filter((g) => g !== 'U' && g !== 'CX')

/** A random circuit of `count` gates drawn from every built-in gate, on n qubits. */
export function randomOps(n: number, count: number, seed: number, names: string[] = NAMES): PrimOp[] {
  const rng = new Xoshiro128(seed)
  const ops: PrimOp[] = []
  const pick = (k: number) => Math.floor(rng.nextDouble() * k)
  while (ops.length < count) {
    const name = names[pick(names.length)]
    const a = GATE_ARITY[name]
    if (a.qubits > n) continue
    const qs: number[] = []
    while (qs.length < a.qubits) { const q = pick(n); if (!qs.includes(q)) qs.push(q) }
    const ps = Array.from({ length: a.params }, () => (rng.nextDouble() - 0.5) * 8)
    ops.push(...lowerGate(name, qs, ps))
  }
  return ops
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('WasmEngine', () => {
  const cases: [number, number, number, number][] = [
    // n, gates, blockQubits, minChunkQubits
    [1, 20, 14, 6], [3, 200, 14, 6], [8, 400, 14, 6], [12, 500, 8, 2], [13, 500, 9, 3], [14, 400, 10, 6], [16, 300, 12, 4],
  ]
  for (const [n, count, blockQubits, minChunkQubits] of cases) {
    it(`matches the plain engine on ${count} random gates, ${n} qubits, tiles of 2^${blockQubits}`, () => {
      const ops = randomOps(n, count, n * 1000 + count)
      const w = new WasmEngine({ blockQubits, minChunkQubits })
      const p = new PlainEngine()
      w.init(n); p.init(n)
      w.apply(ops); p.apply(ops)
      expect(maxDiff(w.state(), p.state())).toBeLessThan(1e-12)
      expect(Math.abs(norm(w.state()) - 1)).toBeLessThan(1e-12)
      if (n > blockQubits) expect(w.stages).toBeLessThan(ops.length)
    })
  }

  // Mostly permutations, so long CX/X/SWAP runs get fused into affine permutations, in and out of sub-blocks.
  const PERMS = ['x', 'cx', 'cx', 'cx', 'swap', 'ccx', 'h', 'rz', 'cz']
  const permCases: [number, number, number, number][] = [[5, 300, 14, 10], [9, 400, 14, 4], [13, 600, 10, 6], [15, 600, 12, 8], [17, 300, 14, 10]]
  for (const [n, count, blockQubits, subBlockQubits] of permCases) {
    it(`matches the plain engine on permutation-heavy circuits, ${n} qubits, tiles 2^${blockQubits}, sub-blocks 2^${subBlockQubits}`, () => {
      const ops = randomOps(n, count, 7 * n + count, PERMS)
      const w = new WasmEngine({ blockQubits, subBlockQubits, minChunkQubits: 3 })
      const p = new PlainEngine()
      w.init(n); p.init(n)
      // A non-trivial start state so that permutations are visible in every amplitude.
      const prep = randomOps(n, 3 * n, 99, ['u3', 'cx'])
      w.apply(prep); p.apply(prep)
      w.apply(ops); p.apply(ops)
      expect(maxDiff(w.state(), p.state())).toBeLessThan(1e-12)
    })
  }
})
