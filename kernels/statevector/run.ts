// Runs a flattened circuit on an engine: lowers gates to primitive ops, batches them between
// mid-circuit measurements/resets (which collapse the state with the seeded RNG), and defers
// terminal measurements so they can be sampled from the final state.
import type { StateEngine } from './engine.js'
import { lowerGate, type PrimOp } from './gates.js'
import type { Circuit } from './qasm.js'
import type { Xoshiro128 } from './rng.js'
import { measureQubit } from './state-math.js'

/** A measurement left for sampling: no gate or reset touches its qubit afterwards. */
export interface TerminalMeasure { qubit: number; clbit: number }

/** What one run of a circuit leaves behind besides the state. */
export interface RunRecord {
  /** Classical bits set by mid-circuit measurements (terminal ones are not drawn here). */
  clbits: Uint8Array
  terminal: TerminalMeasure[]
  /** True when the circuit measures or resets before its end, so each shot needs its own run. */
  dynamic: boolean
  gates: number
}

/** Splits the measures of a circuit into terminal (deferred) and mid-circuit ones. */
export function classifyMeasures(circuit: Circuit): { terminal: Set<number>; dynamic: boolean } {
  const touched = new Set<number>()
  const terminal = new Set<number>()
  let dynamic = false
  for (let i = circuit.ops.length - 1; i >= 0; i--) {
    const op = circuit.ops[i]
    if (op.kind === 'gate') for (const q of op.qubits) touched.add(q)
    else if (op.kind === 'reset') { touched.add(op.qubit); dynamic = true }
    else if (op.kind === 'measure') { if (touched.has(op.qubit)) dynamic = true; else terminal.add(i) }
  }
  return { terminal, dynamic }
}

/** Runs `circuit` once on `engine` from |0...0>. */
export function runCircuit(circuit: Circuit, engine: StateEngine, rng: Xoshiro128): RunRecord {
  const { terminal, dynamic } = classifyMeasures(circuit)
  engine.init(circuit.numQubits)
  const clbits = new Uint8Array(circuit.numClbits)
  const deferred: TerminalMeasure[] = []
  let batch: PrimOp[] = []
  let gates = 0
  circuit.ops.forEach((op, i) => {
    if (op.kind === 'gate') { batch.push(...lowerGate(op.name, op.qubits, op.params)); gates++; return }
    if (op.kind === 'barrier') return
    if (op.kind === 'measure' && terminal.has(i)) { deferred.push({ qubit: op.qubit, clbit: op.clbit }); return }
    engine.apply(batch)
    batch = []
    if (op.kind === 'measure') clbits[op.clbit] = measureQubit(engine.state(), op.qubit, rng)
    else measureQubit(engine.state(), op.qubit, rng, true)
    engine.passes += 2
  })
  engine.apply(batch)
  return { clbits, terminal: deferred, dynamic, gates }
}
