// Public API of the statevector kernel: simulate an OpenQASM 2.0 program (or a parsed circuit) and get a
// JSON-serializable result: top outcomes, optional probabilities/amplitudes, seeded counts, Pauli expectations.
import { MAX_QUBITS, WasmEngine, type StateEngine } from './engine.js'
import { SimulationError } from './errors.js'
import type { PlanOptions } from './plan.js'
import { PlainEngine } from './plain.js'
import { parseQasm, type Circuit } from './qasm.js'
import { Xoshiro128 } from './rng.js'
import { ShotRunner } from './run.js'
import { expectation, norm, probabilities, sampleIndices, topK, type PauliTerm } from './state-math.js'

export { QasmError, SimulationError, type QasmErrorCode } from './errors.js'
export { parseQasm, type Circuit, type CircuitOp, type Condition, type Register } from './qasm.js'
export { WasmEngine, MAX_QUBITS, type StateEngine } from './engine.js'
export { PlainEngine } from './plain.js'
export { Xoshiro128 } from './rng.js'
export { runCircuit, planShots, ShotRunner, DEFAULT_BRANCH_CACHE_BYTES } from './run.js'
export { expectation, pauliExpectation, probabilities, norm, sampleIndices, topK, type PauliTerm } from './state-math.js'
export { lowerGate, type PrimOp } from './gates.js'
export { planStages, type PlanOptions, type Stage } from './plan.js'

/** Largest circuit whose full probability or amplitude vector a result may carry (2^20 numbers). */
export const MAX_VECTOR_QUBITS = 20

/** Options of simulateQasm / simulateCircuit. */
export interface SimulateOptions extends PlanOptions {
  /** Shots to sample into `counts`; 0 samples nothing. @default 0 */
  shots?: number
  /** Seed of the xoshiro128** generator used for sampling and mid-circuit measurements. @default 1 */
  seed?: number
  /** How many of the most probable basis states to list in `top`. @default 10 */
  topK?: number
  /** Include the probability of every basis state (at most MAX_VECTOR_QUBITS qubits). @default false */
  probabilities?: boolean
  /** Include every amplitude as interleaved re, im (at most MAX_VECTOR_QUBITS qubits). @default false */
  amplitudes?: boolean
  /** A Hamiltonian as a sum of weighted Pauli strings; its expectation value is reported. */
  observables?: PauliTerm[]
  /** 'wasm' (fused, cache-blocked) or 'plain' (the gate-by-gate TS reference). @default 'wasm' */
  engine?: 'wasm' | 'plain'
  /** Bytes of post-measurement states and final distributions kept between shots of a circuit with
   * mid-circuit measurements or resets; past it, shots re-simulate from the nearest kept state. @default 512 MiB */
  branchCacheBytes?: number
}

/** One likely outcome: bitstring with qubit n-1 first (qubit 0 rightmost), and its probability. */
export interface Outcome { bitstring: string; probability: number }

/** JSON-serializable result of a simulation. */
export interface SimulationResult {
  numQubits: number
  numClbits: number
  /** Gate applications after expanding user gates and register broadcast. */
  gates: number
  /** Most probable basis states of the final state (for a circuit with mid-circuit measurements: of the first shot's run). */
  top: Outcome[]
  probabilities?: number[]
  amplitudes?: number[]
  /** Outcome counts keyed by classical bits (highest clbit first); by qubits when the circuit measures nothing.
   * Key order is not meaningful (JavaScript orders integer-like keys numerically). */
  counts?: Record<string, number>
  shots: number
  seed: number
  expectation?: { value: number; terms: number[] }
  /** Sum of probabilities of the final state (1 up to rounding). */
  norm: number
  /** Passes over the full state the engine made (stages plus measurement passes). */
  passes: number
  parseMs: number
  simulateMs: number
}

/** Parses and simulates an OpenQASM 2.0 program. Throws QasmError for bad programs, SimulationError for bad options. */
export function simulateQasm(source: string, options: SimulateOptions = {}): SimulationResult {
  const t0 = performance.now()
  const circuit = parseQasm(source)
  const parseMs = performance.now() - t0
  return { ...simulateCircuit(circuit, options), parseMs }
}

function checkCount(name: string, v: number | undefined, def: number, max: number): number {
  const x = v ?? def
  if (!Number.isInteger(x) || x < 0 || x > max) throw new SimulationError(`${name} must be an integer from 0 to ${max}, got ${v}`)
  return x
}

/** Simulates a parsed circuit. */
export function simulateCircuit(circuit: Circuit, options: SimulateOptions = {}): SimulationResult {
  const n = circuit.numQubits
  if (n < 1 || n > MAX_QUBITS) throw new SimulationError(`a circuit needs 1 to ${MAX_QUBITS} qubits, got ${n}`)
  const shots = checkCount('shots', options.shots, 0, 100_000_000)
  const seed = checkCount('seed', options.seed, 1, 0xffffffff)
  const k = checkCount('topK', options.topK, 10, 1 << 20)
  if ((options.probabilities || options.amplitudes) && n > MAX_VECTOR_QUBITS) throw new SimulationError(`full probability/amplitude output is limited to ${MAX_VECTOR_QUBITS} qubits; this circuit has ${n}`)
  const cacheBytes = options.branchCacheBytes
  if (cacheBytes !== undefined && !(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0)) throw new SimulationError(`branchCacheBytes must be an integer >= 0, got ${cacheBytes}`)
  const t0 = performance.now()
  const engine: StateEngine = options.engine === 'plain' ? new PlainEngine() : new WasmEngine(options)
  const rng = new Xoshiro128(seed)
  const runner = new ShotRunner(circuit, engine, { cacheBytes: options.branchCacheBytes })
  // The first shot's run gives the reported state; its draws come first, as in a per-shot re-run.
  const first = runner.walk(rng)
  const psi = runner.state(first)
  const fmt = (i: number) => i.toString(2).padStart(n, '0')
  const result: SimulationResult = {
    numQubits: n, numClbits: circuit.numClbits, gates: runner.plan.gates,
    top: topK(psi, k).map((o) => ({ bitstring: fmt(o.index), probability: o.probability })),
    shots, seed, norm: norm(psi), passes: 0, parseMs: 0, simulateMs: 0,
  }
  if (options.probabilities) result.probabilities = Array.from(probabilities(psi))
  if (options.amplitudes) result.amplitudes = Array.from(psi)
  if (options.observables) result.expectation = expectation(psi, options.observables)
  if (shots > 0) {
    const measures = circuit.ops.some((o) => o.kind === 'measure')
    const terminal = runner.plan.terminal
    const counts = new Map<string, number>()
    const add = (key: string, c: number) => counts.set(key, (counts.get(key) ?? 0) + c)
    const key = (clbits: Uint8Array, index: number) => {
      const bits = Uint8Array.from(clbits)
      for (const m of terminal) bits[m.clbit] = (index >> m.qubit) & 1
      return Array.from(bits).reverse().join('')
    }
    if (!runner.dynamic) {
      const idx = sampleIndices(psi, shots, rng)
      const perIndex = new Map<number, number>()
      for (const i of idx) perIndex.set(i, (perIndex.get(i) ?? 0) + 1)
      const clbits = runner.clbits(first)
      for (const [i, c] of perIndex) add(measures ? key(clbits, i) : fmt(i), c)
    } else {
      // Each shot walks the branch tree: states after outcomes drawn before are reused, not re-simulated.
      for (let s = 0; s < shots; s++) {
        const path = s === 0 ? first : runner.walk(rng)
        const index = runner.sample(path, rng)
        add(measures ? key(runner.clbits(path), index) : fmt(index), 1)
      }
    }
    result.counts = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)))
  }
  result.passes = runner.passes
  result.simulateMs = performance.now() - t0
  return result
}
