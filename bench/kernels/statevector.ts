// Benchmark of the statevector kernel: 3 layers of (H on every qubit, CX chain, RZ on every qubit) at
// 16, 20 and 24 qubits, vs quantum-circuit and jsqubits (16 qubits, once each), the plain TS engine and
// a C++ -O3 reference built with g++ into a temp folder when g++ is present.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { PlainEngine } from '@jaegis/kernels/statevector/plain'
import { parseQasm } from '@jaegis/kernels/statevector/qasm'
import { Xoshiro128 } from '@jaegis/kernels/statevector/rng'
import { runCircuit } from '@jaegis/kernels/statevector/run'
import { WasmEngine, type StateEngine } from '@jaegis/kernels/statevector/engine'
import { projectRoot } from '@jaegis/kernels/wasm-path'

const LAYERS = 3

/** RZ angle of qubit q in layer l (the C++ reference uses the same). */
const angle = (q: number, l: number) => 0.1 * (q + 1) + 0.3 * l

/** The benchmark circuit as OpenQASM 2.0. */
export function benchQasm(n: number): string {
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${n}];`]
  for (let l = 0; l < LAYERS; l++) {
    for (let q = 0; q < n; q++) lines.push(`h q[${q}];`)
    for (let q = 0; q + 1 < n; q++) lines.push(`cx q[${q}],q[${q + 1}];`)
    for (let q = 0; q < n; q++) lines.push(`rz(${angle(q, l)}) q[${q}];`)
  }
  return lines.join('\n')
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

/** Median simulation time (ms) of the benchmark circuit on `engine`, state allocation included, after a warm-up. */
export function timeEngine(engine: StateEngine, n: number, repeats: number): number {
  const circuit = parseQasm(benchQasm(n))
  const rng = new Xoshiro128(1)
  runCircuit(circuit, engine, rng)
  const times: number[] = []
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now()
    runCircuit(circuit, engine, rng)
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function quantumCircuitPeer(n: number): Promise<number | null> {
  try {
    const QuantumCircuit = (await import('quantum-circuit' as string)).default
    const circuit = new QuantumCircuit(n)
    let col = 0
    for (let l = 0; l < LAYERS; l++) {
      for (let q = 0; q < n; q++) circuit.addGate('h', col, q)
      col++
      for (let q = 0; q + 1 < n; q++) circuit.addGate('cx', col++, [q, q + 1])
      for (let q = 0; q < n; q++) circuit.addGate('rz', col, q, { params: { phi: angle(q, l) } })
      col++
    }
    const t0 = performance.now()
    circuit.run()
    return performance.now() - t0
  } catch (err) {
    process.stderr.write(`quantum-circuit peer failed: ${(err as Error).message}\n`)
    return null
  }
}

async function jsqubitsPeer(n: number): Promise<number | null> {
  try {
    const jsqubits = (await import('jsqubits' as string)).default
    const t0 = performance.now()
    let s = jsqubits('0'.repeat(n))
    for (let l = 0; l < LAYERS; l++) {
      s = s.hadamard(jsqubits.ALL)
      for (let q = 0; q + 1 < n; q++) s = s.cnot(q, q + 1)
      for (let q = 0; q < n; q++) s = s.rotateZ(q, angle(q, l))
    }
    return performance.now() - t0
  } catch (err) {
    process.stderr.write(`jsqubits peer failed: ${(err as Error).message}\n`)
    return null
  }
}

function cppPeer(n: number): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'jaegis-sv-'))
  try {
    const exe = join(dir, 'statevector-ref')
    execFileSync('g++', ['-O3', '-std=c++17', '-o', exe, join(projectRoot(), 'bench/kernels/statevector-ref.cpp')], { stdio: 'ignore' })
    const out = execFileSync(exe, [String(n), '5'], { encoding: 'utf8' })
    return Number(out.trim().split(/\s+/)[0])
  } catch (err) {
    process.stderr.write(`C++ reference skipped: ${(err as Error).message.split('\n')[0]}\n`)
    return null
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100)

/** Runs the workload and returns the keys the lead merges into the kernels report. */
export async function run(): Promise<Record<string, number | null>> {
  const wasm = new WasmEngine()
  const sv16 = timeEngine(wasm, 16, 15)
  const sv20 = timeEngine(wasm, 20, 11)
  const sv24 = timeEngine(wasm, 24, 3)
  wasm.init(1) // drops the 256 MiB instance (see engine.ts) before the plain engine allocates its own state
  const plain20 = timeEngine(new PlainEngine(), 20, 3)
  const cpp20 = cppPeer(20)
  const qc16 = await quantumCircuitPeer(16)
  const jsq16 = await jsqubitsPeer(16)
  return {
    statevector_16q_ms: round(sv16),
    statevector_20q_ms: round(sv20),
    statevector_24q_ms: round(sv24),
    quantum_circuit_16q_ms: round(qc16),
    jsqubits_16q_ms: round(jsq16),
    plain_ts_20q_ms: round(plain20),
    cpp_20q_ms: round(cpp20),
    vs_quantum_circuit_16q: qc16 === null ? null : Math.round(qc16 / sv16),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run()))
}
