// Grover search as OpenQASM 2.0: n search qubits, one marked item, multi-controlled Z built from a
// V-chain of Toffolis on n-2 ancillas (uncomputed), floor(pi/4 sqrt(2^n)) iterations.
import { SimulationError } from '../errors.js'

/** Iterations that maximize the success probability for one marked item among 2^n. */
export function groverIterations(n: number): number {
  return Math.floor((Math.PI / 4) * Math.sqrt(2 ** n))
}

/** Z on q[n-1] controlled by q[0..n-2] (a phase flip of |1...1>), via ancillas a[0..n-3]. */
function multiControlledZ(n: number, lines: string[]): void {
  const t = n - 1
  if (n === 1) { lines.push('z q[0];'); return }
  if (n === 2) { lines.push('cz q[0],q[1];'); return }
  // Compute AND of q[0..n-2] into a[n-3] with a V-chain, apply CZ-like phase via h-cx-h on the target.
  const chain: string[] = [`ccx q[0],q[1],a[0];`]
  for (let i = 2; i < n - 1; i++) chain.push(`ccx q[${i}],a[${i - 2}],a[${i - 1}];`)
  lines.push(...chain)
  lines.push(`cz a[${n - 3}],q[${t}];`)
  lines.push(...[...chain].reverse())
}

/** The OpenQASM program of Grover search for `marked` (0 <= marked < 2^n; bit i = qubit i), measured into c. */
export function groverQasm(n: number, marked: number): string {
  if (!Number.isInteger(n) || n < 2 || n > 12) throw new SimulationError(`Grover example takes 2 to 12 search qubits, got ${n}`)
  if (!Number.isInteger(marked) || marked < 0 || marked >= 2 ** n) throw new SimulationError(`marked item must be in [0, ${2 ** n}), got ${marked}`)
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${n}];`]
  if (n > 2) lines.push(`qreg a[${n - 2}];`)
  lines.push(`creg c[${n}];`, 'h q;')
  const flips = Array.from({ length: n }, (_, i) => i).filter((i) => ((marked >> i) & 1) === 0)
  for (let it = groverIterations(n); it > 0; it--) {
    // Oracle: phase-flip |marked>.
    for (const i of flips) lines.push(`x q[${i}];`)
    multiControlledZ(n, lines)
    for (const i of flips) lines.push(`x q[${i}];`)
    // Diffusion: reflect about the uniform superposition.
    lines.push('h q;', 'x q;')
    multiControlledZ(n, lines)
    lines.push('x q;', 'h q;')
  }
  lines.push('measure q -> c;')
  return lines.join('\n') + '\n'
}
