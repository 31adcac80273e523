// Shots of circuits that measure mid-circuit, reset, or act on classical bits (if): the branch tree gives the
// counts a per-shot re-run gives, draws the same numbers, and simulates the shared prefix and each branch once.
import { describe, expect, it } from 'vitest'
import type { PrimOp } from './gates.js'
import { SimulationError, simulateQasm } from './index.js'
import { PlainEngine } from './plain.js'
import { parseQasm, type Circuit } from './qasm.js'
import { Xoshiro128 } from './rng.js'
import { runCircuit, ShotRunner } from './run.js'
import { sampleIndices } from './state-math.js'

const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

/** The per-shot re-run the tree replaces: run the whole circuit, then draw the final sample, shot after shot. */
function perShotCounts(circuit: Circuit, shots: number, seed: number): Record<string, number> {
  const rng = new Xoshiro128(seed), engine = new PlainEngine(), counts: Record<string, number> = {}
  for (let s = 0; s < shots; s++) {
    const r = runCircuit(circuit, engine, rng)
    const index = sampleIndices(engine.state(), 1, rng)[0]
    const bits = Uint8Array.from(r.clbits)
    for (const m of r.terminal) bits[m.clbit] = (index >> m.qubit) & 1
    const key = Array.from(bits).reverse().join('')
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** A random circuit on n qubits with mid-circuit measures, resets and if statements. */
function randomDynamic(n: number, seed: number): string {
  const rng = new Xoshiro128(seed)
  const pick = (k: number) => Math.floor(rng.nextDouble() * k)
  const lines = [HEAD + `qreg q[${n}];`, 'creg a[2];', `creg c[${n}];`]
  for (let i = 0; i < 40; i++) {
    const q = pick(n), r = (q + 1 + pick(n - 1)) % n
    const k = pick(10)
    if (k < 3) lines.push(`ry(${(rng.nextDouble() * 3).toFixed(3)}) q[${q}];`)
    else if (k < 5) lines.push(`cx q[${q}],q[${r}];`)
    else if (k === 5) lines.push(`h q[${q}];`)
    else if (k === 6) lines.push(`measure q[${q}] -> a[${pick(2)}];`)
    else if (k === 7) lines.push(`reset q[${q}];`)
    else if (k === 8) lines.push(`if (a == ${pick(4)}) x q[${q}];`)
    else lines.push(`if (a == ${pick(4)}) measure q[${q}] -> a[${pick(2)}];`)
  }
  lines.push('measure q -> c;')
  return lines.join('\n') + '\n'
}

/** A plain engine that counts the primitive ops it applies. */
class CountingEngine extends PlainEngine {
  applied = 0
  override apply(ops: PrimOp[]): void { this.applied += ops.length; super.apply(ops) }
}

describe('shots of dynamic circuits', () => {
  it('give the counts of a per-shot re-run, with any cache budget and on both engines', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const src = randomDynamic(4 + (seed % 3), seed)
      const want = perShotCounts(parseQasm(src), 300, seed)
      for (const [engine, branchCacheBytes] of [['wasm', undefined], ['plain', undefined], ['wasm', 0], ['plain', 2000]] as const) {
        expect(simulateQasm(src, { shots: 300, seed, engine, branchCacheBytes }).counts, `seed ${seed}, ${engine}, ${branchCacheBytes}`).toEqual(want)
      }
    }
  })

  it('simulate the unitary prefix once and each branch once, however many shots', () => {
    // 6 prefix gates; the measure of q0 (|+>) branches two ways; 2 gates after it on each branch.
    const src = HEAD + 'qreg q[3];\ncreg c[3];\nh q[0];\nh q[1];\nry(0.3) q[2];\ncx q[1],q[2];\nrz(0.5) q[1];\nt q[2];\nmeasure q[0] -> c[0];\nif (c == 1) x q[2];\nh q[0];\nmeasure q -> c;\n'
    const circuit = parseQasm(src)
    const engine = new CountingEngine()
    const runner = new ShotRunner(circuit, engine)
    const rng = new Xoshiro128(7)
    const seen = new Set<number>()
    for (let s = 0; s < 500; s++) seen.add(runner.sample(runner.walk(rng), rng))
    expect(seen.size).toBeGreaterThan(4)
    // prefix (6) + branch 0 (h) + branch 1 (x, h)
    expect(engine.applied).toBe(6 + 1 + 2)
  })

  it('reuse nothing when the budget is 0, and still agree', () => {
    const src = randomDynamic(5, 99)
    const a = simulateQasm(src, { shots: 200, seed: 3, branchCacheBytes: 0 })
    const b = simulateQasm(src, { shots: 200, seed: 3 })
    expect(a.counts).toEqual(b.counts)
    expect(a.passes).toBeGreaterThan(b.passes)
    expect(() => simulateQasm(src, { branchCacheBytes: -1 })).toThrow(SimulationError)
  })
})

describe('classically controlled operations', () => {
  it('teleport a state: after the corrections, undoing the preparation on q2 always gives 0', () => {
    const src = HEAD + [
      'qreg q[3];', 'creg m0[1];', 'creg m1[1];', 'creg r[1];',
      'ry(1.1) q[0];', 'rz(0.4) q[0];',
      'h q[1];', 'cx q[1],q[2];', 'cx q[0],q[1];', 'h q[0];',
      'measure q[0] -> m0[0];', 'measure q[1] -> m1[0];',
      'if (m1 == 1) x q[2];', 'if (m0 == 1) z q[2];',
      'rz(-0.4) q[2];', 'ry(-1.1) q[2];', 'measure q[2] -> r[0];',
    ].join('\n') + '\n'
    const counts = simulateQasm(src, { shots: 2000, seed: 11 }).counts!
    // keys: r m1 m0 (highest clbit first)
    expect(Object.keys(counts).sort()).toEqual(['000', '001', '010', '011'])
    for (const c of Object.values(counts)) expect(Math.abs(c - 500)).toBeLessThan(120)
    // Without the corrections the state is wrong in 3 of 4 branches.
    const uncorrected = simulateQasm(src.replace('if (m1 == 1) x q[2];\nif (m0 == 1) z q[2];\n', ''), { shots: 2000, seed: 11 }).counts!
    expect(Object.keys(uncorrected).some((k) => k.startsWith('1'))).toBe(true)
  })

  it('compares the whole register as an integer, bit 0 least significant', () => {
    const src = HEAD + 'qreg q[3];\ncreg c[2];\ncreg out[1];\nx q[1];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[1];\nif (c == 2) x q[2];\nif (c == 1) h q[2];\nmeasure q[2] -> out[0];\n'
    expect(simulateQasm(src, { shots: 50 }).counts).toEqual({ '110': 50 })
  })

  it('evaluates the condition of a broadcast measure once, before its first measure', () => {
    // c == 0 holds at the statement; measuring q[0] sets c[0] = 1, yet q[1] is measured too.
    const src = HEAD + 'qreg q[2];\ncreg c[2];\nx q;\nif (c == 0) measure q -> c;\n'
    expect(simulateQasm(src, { shots: 20 }).counts).toEqual({ '11': 20 })
  })

  it('skips a conditioned reset when the condition fails, and runs it when it holds', () => {
    const base = HEAD + 'qreg q[2];\ncreg c[1];\ncreg d[1];\nx q[0];\nx q[1];\nmeasure q[0] -> c[0];\n'
    expect(simulateQasm(base + 'if (c == 1) reset q[1];\nmeasure q[1] -> d[0];\n', { shots: 10 }).counts).toEqual({ '01': 10 })
    expect(simulateQasm(base + 'if (c == 0) reset q[1];\nmeasure q[1] -> d[0];\n', { shots: 10 }).counts).toEqual({ '11': 10 })
  })
})
