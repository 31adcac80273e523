// The statevector kernel on the shared QASMBench circuits: every file parses unchanged, norms stay 1,
// and probabilities match the quantum-circuit npm package on circuits small enough for it (<= 14 qubits).
import { SHARED_DATA } from '../shared-data.js'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseQasm, simulateCircuit, simulateQasm } from '../../kernels/statevector/index.js'
import { projectRoot } from '../../kernels/wasm-path.js'

const DIR = join(SHARED_DATA, 'qasm')
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.qasm')).sort()
const read = (f: string) => readFileSync(join(DIR, f), 'utf8')
const qubitsOf = (f: string) => Number(/_n(\d+)\.qasm$/.exec(f)![1])
/** The peer needs about 1.3 s at 14 qubits and grows 2x or more per qubit. */
const PEER_MAX_QUBITS = 14

async function peerProbabilities(source: string): Promise<Float64Array> {
  const QuantumCircuit = (await import('quantum-circuit' as string)).default
  const c = new QuantumCircuit()
  let importErrors: unknown = null
  c.importQASM(source, (errs: unknown[]) => { if (errs && errs.length) importErrors = errs })
  expect(importErrors).toBeNull()
  c.run()
  const p = new Float64Array(2 ** c.numQubits)
  for (const key of Object.keys(c.state)) {
    const a = c.state[key]
    p[Number(key)] = a.re * a.re + a.im * a.im
  }
  return p
}

describe('shared QASMBench circuits', () => {
  it('finds all nine circuits', () => {
    expect(FILES).toHaveLength(9)
  })

  for (const f of FILES) {
    it(`${f}: parses unchanged and keeps the norm within 1e-12`, () => {
      const circuit = parseQasm(read(f))
      expect(circuit.numQubits).toBe(qubitsOf(f))
      const r = simulateCircuit(circuit, { topK: 4 })
      expect(Math.abs(r.norm - 1)).toBeLessThan(1e-12)
      expect(r.gates).toBeGreaterThan(0)
    })
  }

  for (const f of FILES.filter((x) => qubitsOf(x) <= PEER_MAX_QUBITS)) {
    it(`${f}: probabilities match quantum-circuit within 1e-9`, async () => {
      const source = read(f)
      const ours = simulateQasm(source, { probabilities: true }).probabilities!
      const peer = await peerProbabilities(source)
      expect(ours.length).toBe(peer.length)
      let worst = 0
      for (let i = 0; i < peer.length; i++) worst = Math.max(worst, Math.abs(ours[i] - peer[i]))
      expect(worst).toBeLessThan(1e-9)
    }, 30_000)
  }

  it('qft_n18 agrees with the plain TS engine amplitude for amplitude', () => {
    const source = read('qft_n18.qasm')
    const a = simulateQasm(source, { amplitudes: true }).amplitudes!
    const b = simulateQasm(source, { amplitudes: true, engine: 'plain' }).amplitudes!
    let worst = 0
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
    expect(worst).toBeLessThan(1e-12)
  }, 30_000)

  it('ghz_state_n23 is (|0...0> + |1...1>)/sqrt 2 and samples only those two outcomes', () => {
    const r = simulateQasm(read('ghz_state_n23.qasm'), { topK: 3, shots: 2000, seed: 7 })
    expect(r.top.map((o) => o.bitstring)).toEqual(['0'.repeat(23), '1'.repeat(23)])
    for (const o of r.top) expect(Math.abs(o.probability - 0.5)).toBeLessThan(1e-12)
    // 46 classical bits, highest first: the file measures into its second register, meas (bits 23..45).
    const keys = Object.keys(r.counts!)
    expect(keys.sort()).toEqual(['0'.repeat(46), '1'.repeat(23) + '0'.repeat(23)])
    expect(Object.values(r.counts!).reduce((s, c) => s + c, 0)).toBe(2000)
  })

  it('adder_n10 computes 0001 + 1111 = 1 0000 deterministically', () => {
    const r = simulateQasm(read('adder_n10.qasm'), { shots: 100 })
    expect(r.counts).toEqual({ '10000': 100 })
  })

  it('bv_n14 recovers its hidden string with certainty (the unmeasured ancilla stays in |->)', () => {
    const r = simulateQasm(read('bv_n14.qasm'), { shots: 50, topK: 2 })
    expect(Object.keys(r.counts!)).toHaveLength(1)
    const [a, b] = r.top
    expect(a.probability + b.probability).toBeCloseTo(1, 12)
    expect(a.bitstring.slice(1)).toBe(b.bitstring.slice(1))
    expect(Object.keys(r.counts!)[0]).toBe(a.bitstring.slice(1))
  })
})
