// VQE for H2 in STO-3G at 0.735 Angstrom with the standard two-qubit reduced Hamiltonian (parity mapping,
// two-qubit reduction; coefficients as in the Qiskit textbook), an RY-CX-RY ansatz, and Rotosolve:
// each RY angle is set to the exact minimum of the sinusoid E(theta) = a cos(theta - b) + c it traces.
import { parseQasm } from '../qasm.js'
import { simulateCircuit } from '../index.js'
import type { PauliTerm } from '../state-math.js'

/** Electronic Hamiltonian of H2 at 0.735 A (Hartree); rightmost letter = qubit 0. */
export const H2_HAMILTONIAN: PauliTerm[] = [
  { coeff: -1.052373245772859, pauli: 'II' },
  { coeff: 0.39793742484318045, pauli: 'IZ' },
  { coeff: -0.39793742484318045, pauli: 'ZI' },
  { coeff: -0.01128010425623538, pauli: 'ZZ' },
  { coeff: 0.18093119978423156, pauli: 'XX' },
]
/** Nuclear repulsion energy at 0.735 A (Hartree), added to the electronic energy. */
export const H2_NUCLEAR_REPULSION = 0.7199689944489797
/** Full-CI ground-state energy of H2/STO-3G at 0.735 A (Hartree), the value VQE should reach. */
export const H2_FCI_ENERGY = -1.1373060356

/** The ansatz: RY on both qubits, CX, RY on both qubits. */
export function h2AnsatzQasm(theta: number[]): string {
  return `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nry(${theta[0]}) q[0];\nry(${theta[1]}) q[1];\ncx q[0],q[1];\nry(${theta[2]}) q[0];\nry(${theta[3]}) q[1];\n`
}

/** Total energy (electronic + nuclear repulsion) of the ansatz state. */
export function h2Energy(theta: number[]): number {
  const r = simulateCircuit(parseQasm(h2AnsatzQasm(theta)), { topK: 0, observables: H2_HAMILTONIAN })
  return r.expectation!.value + H2_NUCLEAR_REPULSION
}

/** Result of the VQE run. */
export interface VqeResult { energy: number; theta: number[]; sweeps: number; evaluations: number }

/** Rotosolve (Ostaszewski et al., Quantum 5, 391, 2021) from `start` until a sweep gains less than `tol` Hartree. */
export function runH2Vqe(options: { start?: number[]; maxSweeps?: number; tol?: number } = {}): VqeResult {
  const theta = [...(options.start ?? [0.1, -0.2, 0.3, 0.4])]
  const tol = options.tol ?? 1e-10
  let evaluations = 0
  const energy = (t: number[]) => { evaluations++; return h2Energy(t) }
  let e = energy(theta)
  let sweeps = 0
  while (sweeps < (options.maxSweeps ?? 50)) {
    sweeps++
    const before = e
    for (let k = 0; k < theta.length; k++) {
      const at = (v: number) => { const t = [...theta]; t[k] = v; return energy(t) }
      const e0 = at(0), ep = at(Math.PI / 2), em = at(-Math.PI / 2)
      // E(t) = a cos(t - b) + c: minimum at t = b + pi.
      const b = Math.atan2(2 * e0 - ep - em, ep - em)
      theta[k] = -Math.PI / 2 - b
      theta[k] = Math.atan2(Math.sin(theta[k]), Math.cos(theta[k]))
    }
    e = energy(theta)
    if (before - e < tol) break
  }
  return { energy: e, theta, sweeps, evaluations }
}
