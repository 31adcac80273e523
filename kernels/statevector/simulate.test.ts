// simulateQasm end to end: analytic states (Bell, GHZ, QFT), Pauli expectations, seeded sampling,
// mid-circuit measurement and reset, the Grover and H2 VQE examples, and option errors.
import { describe, expect, it } from 'vitest'
import { groverIterations, groverQasm } from './examples/grover.js'
import { H2_FCI_ENERGY, H2_HAMILTONIAN, H2_NUCLEAR_REPULSION, runH2Vqe } from './examples/vqe-h2.js'
import { SimulationError, simulateQasm } from './index.js'

const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

/** QFT on n qubits (with the final swaps) applied to basis state |x>. */
function qftQasm(n: number, x: number): string {
  const lines = [HEAD + `qreg q[${n}];`]
  for (let i = 0; i < n; i++) if ((x >> i) & 1) lines.push(`x q[${i}];`)
  for (let j = n - 1; j >= 0; j--) {
    lines.push(`h q[${j}];`)
    for (let k = j - 1; k >= 0; k--) lines.push(`${k % 2 ? 'cp' : 'cu1'}(pi/${2 ** (j - k)}) q[${k}],q[${j}];`)
  }
  for (let i = 0; i < Math.floor(n / 2); i++) lines.push(`swap q[${i}],q[${n - 1 - i}];`)
  return lines.join('\n')
}

describe('analytic states', () => {
  it('Bell state: amplitudes 1/sqrt2 on 00 and 11, ZZ = XX = 1, YY = -1', () => {
    const r = simulateQasm(HEAD + 'qreg q[2];\nh q[0];\ncx q[0],q[1];\n', {
      amplitudes: true,
      observables: [{ coeff: 1, pauli: 'ZZ' }, { coeff: 1, pauli: 'XX' }, { coeff: 1, pauli: 'YY' }, { coeff: 1, pauli: 'ZI' }],
    })
    const a = r.amplitudes!
    expect(a[0]).toBeCloseTo(Math.SQRT1_2, 14)
    expect(a[6]).toBeCloseTo(Math.SQRT1_2, 14)
    expect(Math.abs(a[2]) + Math.abs(a[4]) + Math.abs(a[1]) + Math.abs(a[7])).toBeLessThan(1e-15)
    const [zz, xx, yy, zi] = r.expectation!.terms
    expect([zz, xx, yy]).toEqual([expect.closeTo(1, 12), expect.closeTo(1, 12), expect.closeTo(-1, 12)])
    expect(zi).toBeCloseTo(0, 12)
  })

  for (const n of [3, 10, 17]) {
    it(`GHZ on ${n} qubits: half |0..0>, half |1..1>`, () => {
      const lines = [HEAD + `qreg q[${n}];`, 'h q[0];']
      for (let i = 0; i + 1 < n; i++) lines.push(`cx q[${i}],q[${i + 1}];`)
      const r = simulateQasm(lines.join('\n'), { topK: 3 })
      expect(r.top).toHaveLength(2)
      expect(r.top.map((o) => o.bitstring)).toEqual(['0'.repeat(n), '1'.repeat(n)])
      for (const o of r.top) expect(o.probability).toBeCloseTo(0.5, 13)
    })
  }

  for (const [n, x] of [[4, 5], [9, 300], [16, 12345]] as const) {
    it(`QFT of |${x}> on ${n} qubits has amplitudes exp(2 pi i x k / 2^n) / sqrt(2^n)`, () => {
      const r = simulateQasm(qftQasm(n, x), { amplitudes: true, engine: undefined })
      const a = r.amplitudes!, dim = 2 ** n
      let worst = 0
      for (let k = 0; k < dim; k++) {
        const ph = (2 * Math.PI * ((x * k) % dim)) / dim
        worst = Math.max(worst, Math.abs(a[2 * k] - Math.cos(ph) / Math.sqrt(dim)), Math.abs(a[2 * k + 1] - Math.sin(ph) / Math.sqrt(dim)))
      }
      expect(worst).toBeLessThan(1e-12)
      expect(Math.abs(r.norm - 1)).toBeLessThan(1e-12)
    })
  }
})

describe('norm of large states', () => {
  /** A swap test on n = 2m + 1 qubits: equal ry angles on q1..q2m, then H, m controlled swaps, H on q0. */
  const swapTest = (n: number, tail = '') => {
    const lines = [HEAD + `qreg q[${n}];`, 'creg c[1];']
    for (let i = 1; i < n; i++) lines.push(`ry(2.0) q[${i}];`)
    lines.push('h q[0];')
    for (let i = 1; 2 * i < n; i++) lines.push(`cswap q[0],q[${i}],q[${i + (n - 1) / 2}];`)
    lines.push('h q[0];')
    return lines.join('\n') + '\n' + tail
  }

  it('a 21-qubit swap test keeps the norm within 1e-12 (a plain running sum reported 1 - 5.2e-12)', () => {
    const r = simulateQasm(swapTest(21), { topK: 1 })
    expect(Math.abs(r.norm - 1)).toBeLessThan(1e-12)
  })

  it('so does the same circuit measured mid-circuit (the collapse renormalizes by the measured probability)', () => {
    const r = simulateQasm(swapTest(21, 'measure q[0] -> c[0];\nh q[0];\n'), { topK: 1, shots: 3 })
    expect(Math.abs(r.norm - 1)).toBeLessThan(1e-12)
  })
})

describe('sampling and measurement', () => {
  const bell = HEAD + 'qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'

  it('counts are deterministic for a seed, sum to the shots, and follow the distribution', () => {
    const a = simulateQasm(bell, { shots: 20_000, seed: 42 })
    const b = simulateQasm(bell, { shots: 20_000, seed: 42 })
    const c = simulateQasm(bell, { shots: 20_000, seed: 43 })
    expect(a.counts).toEqual(b.counts)
    expect(a.counts).not.toEqual(c.counts)
    expect(Object.keys(a.counts!).sort()).toEqual(['00', '11'])
    expect(a.counts!['00'] + a.counts!['11']).toBe(20_000)
    expect(Math.abs(a.counts!['00'] - 10_000)).toBeLessThan(400) // 5.6 sigma
  })

  it('a mid-circuit measurement collapses the state, per shot', () => {
    // Measure q0 of |+>, then copy it to q1: q1 always equals the measured bit.
    const src = HEAD + 'qreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\ncx q[0],q[1];\nmeasure q[1] -> c[1];\n'
    const r = simulateQasm(src, { shots: 400, seed: 3 })
    expect(Object.keys(r.counts!).sort()).toEqual(['00', '11'])
    expect(r.counts!['00']).toBeGreaterThan(150)
    expect(r.top).toHaveLength(1)
    expect(r.top[0].probability).toBeCloseTo(1, 12)
  })

  it('reset returns a qubit to |0> whatever it held', () => {
    const r = simulateQasm(HEAD + 'qreg q[2];\ncreg c[2];\nh q[0];\nx q[1];\nreset q;\nmeasure q -> c;\n', { shots: 64, seed: 5 })
    expect(r.counts).toEqual({ '00': 64 })
  })

  it('topK 0 lists nothing and topK larger than the state lists every nonzero state once', () => {
    const src = HEAD + 'qreg q[8];\nh q;\n'
    expect(simulateQasm(src, { topK: 0 }).top).toEqual([])
    const all = simulateQasm(src, { topK: 1000 }).top
    expect(all).toHaveLength(256)
    expect(new Set(all.map((o) => o.bitstring)).size).toBe(256)
    for (const o of all) expect(o.probability).toBeCloseTo(1 / 256, 14)
    // Pruning path (many more states than k): ties go to the lower index.
    const few = simulateQasm(HEAD + 'qreg q[12];\nh q;\nz q[0];\n', { topK: 3 }).top
    expect(few.map((o) => parseInt(o.bitstring, 2))).toEqual([0, 1, 2])
  })

  it('without measurements counts are over the qubits', () => {
    const r = simulateQasm(HEAD + 'qreg q[3];\nx q[0];\n', { shots: 10 })
    expect(r.counts).toEqual({ '001': 10 })
  })

  it('rejects bad options and observables with clear errors', () => {
    expect(() => simulateQasm(bell, { shots: -1 })).toThrow(SimulationError)
    expect(() => simulateQasm(bell, { seed: 1.5 })).toThrow(/seed must be an integer/)
    expect(() => simulateQasm(bell, { observables: [{ coeff: 1, pauli: 'Z' }] })).toThrow(/has 1 letters, the circuit has 2 qubits/)
    expect(() => simulateQasm(bell, { observables: [{ coeff: 1, pauli: 'ZQ' }] })).toThrow(/other than I, X, Y, Z/)
    expect(() => simulateQasm(HEAD + 'qreg q[27];\n')).toThrow(/1 to 26 qubits/)
    expect(() => simulateQasm(HEAD + 'qreg q[21];\n', { probabilities: true })).toThrow(/limited to 20 qubits/)
  })

  it('the plain engine and the wasm engine give the same result object', () => {
    const src = HEAD + 'qreg q[5];\ncreg c[5];\nh q;\nccx q[0],q[1],q[2];\ncswap q[3],q[4],q[0];\nrxx(0.3) q[1],q[4];\ncrz(1.1) q[2],q[3];\ncu3(0.1,0.2,0.3) q[4],q[0];\nmeasure q -> c;\n'
    const a = simulateQasm(src, { shots: 100, seed: 9, probabilities: true })
    const b = simulateQasm(src, { shots: 100, seed: 9, probabilities: true, engine: 'plain' })
    expect(a.counts).toEqual(b.counts)
    for (let i = 0; i < 32; i++) expect(a.probabilities![i]).toBeCloseTo(b.probabilities![i], 13)
  })
})

describe('examples', () => {
  for (const [n, marked] of [[3, 5], [6, 42]] as const) {
    it(`Grover on ${n} qubits finds ${marked}`, () => {
      const r = simulateQasm(groverQasm(n, marked), { shots: 200, seed: 11 })
      const want = marked.toString(2).padStart(n, '0')
      // The top state over all qubits includes the ancillas, which are uncomputed back to 0.
      expect(r.top[0].bitstring.endsWith(want)).toBe(true)
      const theory = Math.sin((2 * groverIterations(n) + 1) * Math.asin(Math.sqrt(1 / 2 ** n))) ** 2
      expect(r.top[0].probability).toBeCloseTo(theory, 10)
      expect(r.counts![want]).toBeGreaterThan(150)
    })
  }

  it('VQE reaches the H2 ground-state energy (-1.137 Ha) within 1 mHa', () => {
    const r = runH2Vqe()
    expect(Math.abs(r.energy - H2_FCI_ENERGY)).toBeLessThan(1e-3)
    // The exact minimum eigenvalue of the 4x4 Hamiltonian, from its 2x2 blocks (|00>,|11>) and (|01>,|10>).
    const [ii, iz, , zz, xx] = H2_HAMILTONIAN.map((t) => t.coeff)
    // Diagonal: |00>,|11>: ii + zz; |01>: ii - 2 iz - zz; |10>: ii + 2 iz - zz. XX couples 00-11 and 01-10.
    const block = (a: number, d: number) => (a + d) / 2 - Math.sqrt(((a - d) / 2) ** 2 + xx * xx)
    const exact = Math.min(block(ii + zz, ii + zz), block(ii - 2 * iz - zz, ii + 2 * iz - zz)) + H2_NUCLEAR_REPULSION
    expect(exact).toBeCloseTo(H2_FCI_ENERGY, 6)
    expect(Math.abs(r.energy - exact)).toBeLessThan(1e-6)
  })
})

describe('counts of a circuit that resets but never measures', () => {
  it('are keyed by qubits, like any circuit without measurements', () => {
    const r = simulateQasm('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nx q[0];\nreset q[0];\nx q[1];\n', { shots: 50, seed: 3 })
    expect(r.counts).toEqual({ '10': 50 })
  })
})
