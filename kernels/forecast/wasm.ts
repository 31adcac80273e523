// Loads the forecast kernel once per process and exposes its exports with types.
// The instance is reused for every call; inputs are written straight into its memory.
import { readKernelWasm } from '../wasm-path.js'
import { defaultModuleCache } from '@jaegis/runtime'

/** The raw exports of build/kernels/forecast.wasm (see assembly/index.ts). */
export interface ForecastExports {
  memory: WebAssembly.Memory
  prepare(n: number, horizon: number): number
  scan(n: number): void
  nanCount: WebAssembly.Global
  infCount: WebAssembly.Global
  zeroCount: WebAssembly.Global
  minValue: WebAssembly.Global
  yPtr: WebAssembly.Global
  meanPtr: WebAssembly.Global
  lowerPtr: WebAssembly.Global
  upperPtr: WebAssembly.Global
  acfPtr: WebAssembly.Global
  /** Initial seasonal indices of the last ETS fit (M1 and M2 values) and its initial level and slope. */
  s1InitPtr: WebAssembly.Global
  s2InitPtr: WebAssembly.Global
  L0: WebAssembly.Global
  B0: WebAssembly.Global
  acf(n: number, maxLag: number, diff: number): number
  detectSeasons(n: number, maxPeriods: number, minR: number, out: number): number
  seasonsOut(): number
  fitEts(n: number, m1: number, m2: number, trend: number, multiplicative: number, maxEval: number, relTol: number,
    ua: number, ub: number, ug1: number, ug2: number, uphi: number): number
  forecastEts(h: number, z: number, sigma: number): void
  unitParam(k: number): number
  setSimplexStep(step: number): void
  setUseLm(on: number): void
  alpha: WebAssembly.Global
  beta: WebAssembly.Global
  gamma1: WebAssembly.Global
  gamma2: WebAssembly.Global
  phi: WebAssembly.Global
  level: WebAssembly.Global
  slope: WebAssembly.Global
  evaluations: WebAssembly.Global
  fitTsb(n: number): number
  fitCroston(n: number): number
  forecastFlat(h: number, z: number): void
  seasonalNaive(n: number, m: number, h: number, z: number): number
  sizeEst: WebAssembly.Global
  probEst: WebAssembly.Global
  alphaI: WebAssembly.Global
  betaI: WebAssembly.Global
  sigmaI: WebAssembly.Global
}

/** A kernel instance plus cached views of its memory. */
export class ForecastKernel {
  readonly exports: ForecastExports
  private f64: Float64Array
  private i32: Int32Array

  constructor() {
    const { module } = defaultModuleCache.get(readKernelWasm('forecast'))
    const instance = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('forecast kernel aborted') } } })
    this.exports = instance.exports as unknown as ForecastExports
    this.f64 = new Float64Array(this.exports.memory.buffer)
    this.i32 = new Int32Array(this.exports.memory.buffer)
  }

  /** Float64 view of the whole memory, refreshed after growth. */
  heapF64(): Float64Array {
    if (this.f64.buffer !== this.exports.memory.buffer) this.f64 = new Float64Array(this.exports.memory.buffer)
    return this.f64
  }

  heapI32(): Int32Array {
    if (this.i32.buffer !== this.exports.memory.buffer) this.i32 = new Int32Array(this.exports.memory.buffer)
    return this.i32
  }

  /** Copies `values` into the kernel's input buffer (sized for `horizon` outputs too). */
  load(values: ArrayLike<number>, horizon: number): void {
    const ptr = this.exports.prepare(values.length, horizon)
    const heap = this.heapF64()
    if (values instanceof Float64Array) heap.set(values, ptr >>> 3)
    else for (let i = 0, o = ptr >>> 3; i < values.length; i++) heap[o + i] = values[i]
  }

  /** Copies h outputs (mean, lower, upper) out of the kernel: one allocation, three views. */
  outputs(h: number): { mean: Float64Array; lower: Float64Array; upper: Float64Array } {
    const heap = this.heapF64()
    const m = (this.exports.meanPtr.value as number) >>> 3
    const l = (this.exports.lowerPtr.value as number) >>> 3
    const u = (this.exports.upperPtr.value as number) >>> 3
    const out = new Float64Array(3 * h)
    out.set(heap.subarray(m, m + h), 0)
    out.set(heap.subarray(l, l + h), h)
    out.set(heap.subarray(u, u + h), 2 * h)
    return { mean: out.subarray(0, h), lower: out.subarray(h, 2 * h), upper: out.subarray(2 * h) }
  }
}

let shared: ForecastKernel | undefined

/** The process-wide kernel instance (created on first use). */
export function sharedKernel(): ForecastKernel {
  return (shared ??= new ForecastKernel())
}
