// The wasm statevector engine: one kernel instance per process, reused and grown on demand. It owns
// the state (2^n interleaved complex128 amplitudes in wasm memory) and applies planned stages to it.
import { defaultModuleCache } from '@jaegis/runtime'
import { readKernelWasm } from '../wasm-path.js'
import { SimulationError } from './errors.js'
import type { PrimOp } from './gates.js'
import { MAX_TILE_QUBITS, planStages, type PlanOptions } from './plan.js'

/** Most qubits the engines accept: 2^26 complex128 = 1 GiB. */
export const MAX_QUBITS = 26

/** What a simulator engine offers the circuit runner. Both the wasm and the plain TS engine implement it. */
export interface StateEngine {
  /** Resets to |0...0> on n qubits. */
  init(n: number): void
  /** Applies primitive ops in order. */
  apply(ops: PrimOp[]): void
  /** The live amplitudes, interleaved (re, im); valid until the next init. */
  state(): Float64Array
  /** Passes over the full state made so far (a pass reads and writes every amplitude once). */
  passes: number
}

interface KernelExports {
  memory: WebAssembly.Memory
  alloc(bytes: number): number
  resetArena(): void
  initState(state: number, n: number): void
  setPermBuffer(p: number): void
  runStage(state: number, n: number, scratch: number, c: number, sPos: number, m: number, oPos: number, prog: number, progLen: number, dbl: number): void
}

let kernel: KernelExports | undefined

/** Wasm memory never shrinks: past this size, a run that needs under a quarter of it starts a fresh instance. */
const SHRINK_ABOVE_BYTES = 256 * 1024 * 1024

function instance(neededBytes = 0): KernelExports {
  if (kernel && kernel.memory.buffer.byteLength > SHRINK_ABOVE_BYTES && neededBytes * 4 < kernel.memory.buffer.byteLength) kernel = undefined
  if (kernel) return kernel
  const { module } = defaultModuleCache.get(readKernelWasm('statevector'))
  kernel = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports
  return kernel
}

/**
 * Fused, cache-blocked simulation in the wasm kernel (see docs/kernel-statevector.md). All engines in a
 * process share one kernel instance (its memory grows on demand), so only the engine that called init
 * last holds a valid state: run simulations one after another, as the synchronous API does.
 */
export class WasmEngine implements StateEngine {
  passes = 0
  /** Stages run so far (each is one pass over the state). */
  stages = 0
  private k: KernelExports
  private n = 0
  private statePtr = 0
  private scratchPtr = 0
  private progPtr = 0
  private progCap = 0
  private dblPtr = 0
  private dblCap = 0
  private posPtr = 0

  constructor(private readonly planOptions: PlanOptions = {}) {
    this.k = instance(Infinity)
  }

  init(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > MAX_QUBITS) throw new SimulationError(`a circuit needs 1 to ${MAX_QUBITS} qubits, got ${n}`)
    const tileBytes = 2 ** Math.min(n, MAX_TILE_QUBITS) * 16
    const k = (this.k = instance(2 ** n * 16 + 2 * tileBytes))
    k.resetArena()
    this.n = n
    this.statePtr = this.mustAlloc(2 ** n * 16)
    this.scratchPtr = this.mustAlloc(tileBytes)
    k.setPermBuffer(this.mustAlloc(tileBytes))
    this.posPtr = this.mustAlloc(3 * 32 * 4)
    this.progCap = 1 << 16
    this.progPtr = this.mustAlloc(this.progCap * 4)
    this.dblCap = 1 << 16
    this.dblPtr = this.mustAlloc(this.dblCap * 8)
    k.initState(this.statePtr, n)
    this.passes = 0
    this.stages = 0
  }

  private mustAlloc(bytes: number): number {
    const p = this.k.alloc(bytes)
    if (p === 0) throw new SimulationError(`cannot grow wasm memory to hold ${bytes} more bytes`)
    return p
  }

  apply(ops: PrimOp[]): void {
    if (ops.length === 0) return
    const k = this.k
    for (const st of planStages(this.n, ops, this.planOptions)) {
      if (st.prog.length > this.progCap) { this.progCap = st.prog.length; this.progPtr = this.mustAlloc(this.progCap * 4) }
      if (st.dbl.length > this.dblCap) { this.dblCap = st.dbl.length; this.dblPtr = this.mustAlloc(this.dblCap * 8) }
      const buf = k.memory.buffer
      new Int32Array(buf, this.progPtr, st.prog.length).set(st.prog)
      new Float64Array(buf, this.dblPtr, st.dbl.length).set(st.dbl)
      const pos = new Int32Array(buf, this.posPtr, 64)
      pos.set(st.s, 0)
      pos.set(st.o, 32)
      k.runStage(this.statePtr, this.n, this.scratchPtr, st.c, this.posPtr, st.s.length, this.posPtr + 128, this.progPtr, st.prog.length, this.dblPtr)
      this.passes++
      this.stages++
    }
  }

  state(): Float64Array {
    return new Float64Array(this.k.memory.buffer, this.statePtr, 2 ** this.n * 2)
  }
}
