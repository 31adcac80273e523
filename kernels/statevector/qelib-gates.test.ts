// The qelib1 gates the kernel implements directly (csx, cu, ryy, rccx, rc3x, c3x, c4x) against their
// qelib1.inc bodies composed gate by gate (whole unitary, global phase included) and against independent
// simulators (quantum-circuit, jsqubits).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../wasm-path.js'
import { simulateQasm } from './index.js'

const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
const BODIES = readFileSync(join(projectRoot(), 'test/fixtures/qasm/qelib1-bodies.inc'), 'utf8')
const args = (n: number) => Array.from({ length: n }, (_, i) => `q[${i}]`).join(',')

/** Column `col` of the unitary of `call` (a gate application on q[0..n-1]): the state it makes from basis state |col>. */
function column(call: string, n: number, col: number, engine: 'wasm' | 'plain'): number[] {
  let src = HEAD + BODIES + `qreg q[${n}];\n`
  for (let i = 0; i < n; i++) if ((col >> i) & 1) src += `x q[${i}];\n`
  return simulateQasm(src + call + '\n', { amplitudes: true, engine }).amplitudes!
}

function worstDiff(a: number[], b: number[]): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('qelib1 gates against their qelib1.inc bodies', () => {
  const cases: [string, number, string][] = [
    ['csx', 2, ''], ['cu', 2, '(0.3,-1.1,2.3,0.7)'], ['cu', 2, '(pi/2,0,pi,pi/4)'], ['ryy', 2, '(0.7)'], ['ryy', 2, '(-2.9)'],
    ['rccx', 3, ''], ['rc3x', 4, ''], ['c3x', 4, ''],
  ]
  for (const [gate, n, params] of cases) {
    it(`${gate}${params} equals q_${gate}${params} column by column (wasm and plain engines)`, () => {
      for (const engine of ['wasm', 'plain'] as const) {
        for (let col = 0; col < 2 ** n; col++) {
          const ours = column(`${gate}${params} ${args(n)};`, n, col, engine)
          const body = column(`q_${gate}${params} ${args(n)};`, n, col, 'plain')
          expect(worstDiff(ours, body), `${engine}, column ${col}`).toBeLessThan(1e-12)
        }
      }
    })
  }

  it('c4x is the 4-controlled X (flips q4 exactly when q0..q3 are 1), on either engine and any qubit order', () => {
    for (const engine of ['wasm', 'plain'] as const) {
      for (let col = 0; col < 32; col++) {
        const a = column('c4x q[3],q[0],q[4],q[1],q[2];', 5, col, engine)
        const want = new Array(64).fill(0)
        const ctrl = ((col >> 3) & 1) && (col & 1) && ((col >> 4) & 1) && ((col >> 1) & 1)
        want[2 * (ctrl ? col ^ 4 : col)] = 1
        expect(worstDiff(a, want), `${engine}, column ${col}`).toBeLessThan(1e-15)
      }
    }
  })

  it('the c4x body of the qelib1.inc revision quoted is not a 4-controlled X (why c4x follows C4XGate)', () => {
    const a = column('q_c4x q[0],q[1],q[2],q[3],q[4];', 5, 8, 'plain') // |01000>: only q3 set, no control fully on
    expect(Math.abs(a[2 * 8] - 1)).toBeGreaterThan(0.1)
  })
})

describe('qelib1 gates against independent simulators', () => {
  // quantum-circuit reads cu without its 4th parameter (gamma), so it is compared at gamma = 0 (the bodies
  // above check gamma); and it reads ryy(t) as its yy(t) = exp(i t Y(x)Y), without qelib's half angle, so it
  // gets half our angle.
  it('csx, cu and ryy match quantum-circuit amplitude for amplitude (global phase included)', async () => {
    const QuantumCircuit = (await import('quantum-circuit' as string)).default
    const prep = 'h q;\nry(0.4) q[0];\nrz(1.3) q[1];\nrx(-0.8) q[2];\ncx q[2],q[0];\n'
    for (const line of ['csx q[1],q[2];', 'csx q[2],q[0];', 'cu(0.3,-1.1,2.3,0) q[0],q[2];', 'cu(1.9,0.4,-0.6,0) q[2],q[1];', 'ryy(0.7) q[0],q[1];', 'ryy(-2.9) q[2],q[0];']) {
      const src = HEAD + 'qreg q[3];\n' + prep + line + '\n'
      const peerLine = line.replace(/^ryy\(([-\d.]+)\)/, (_, t) => `ryy(${Number(t) / 2})`)
      const c = new QuantumCircuit()
      let errors: unknown = null
      c.importQASM(HEAD + 'qreg q[3];\n' + prep + peerLine + '\n', (e: unknown[]) => { if (e && e.length) errors = e })
      expect(errors).toBeNull()
      c.run()
      const peer = new Array(16).fill(0)
      for (const key of Object.keys(c.state)) { peer[2 * Number(key)] = c.state[key].re; peer[2 * Number(key) + 1] = c.state[key].im }
      expect(worstDiff(simulateQasm(src, { amplitudes: true }).amplitudes!, peer), line).toBeLessThan(1e-12)
    }
  })

  it('c3x and c4x match jsqubits controlledX on a superposition', async () => {
    const { jsqubits } = (await import('jsqubits' as string)) as { jsqubits: (s: string) => { hadamard(t: unknown): any } }
    for (const [n, gate] of [[4, 'c3x q[0],q[1],q[2],q[3];'], [5, 'c4x q[0],q[1],q[2],q[3],q[4];']] as const) {
      // H on every qubit then T on q0 (so amplitudes differ), then the gate.
      const src = HEAD + `qreg q[${n}];\nh q;\nt q[0];\ns q[${n - 1}];\n${gate}\n`
      let peer = jsqubits('|' + '0'.repeat(n) + '>').hadamard('ALL').t(0).s(n - 1)
      peer = peer.controlledX(Array.from({ length: n - 1 }, (_, i) => i), n - 1)
      const ours = simulateQasm(src, { amplitudes: true }).amplitudes!
      const want = new Array(2 ** (n + 1)).fill(0)
      for (let x = 0; x < 2 ** n; x++) { const a = peer.amplitude(x); want[2 * x] = a.real; want[2 * x + 1] = a.imaginary }
      expect(worstDiff(ours, want), gate).toBeLessThan(1e-12)
    }
  })
})
