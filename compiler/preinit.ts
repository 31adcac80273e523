// Pre-initialization, Wizer-style, done with V8 itself: instantiate the module at build time, run
// its init(), then write a new module whose data segments are the resulting memory and whose mutable
// globals start at their resulting values. (Wizer cannot provide our host imports; see docs/runtime.md.)
import { performance } from 'node:perf_hooks'
import { GLOBAL_EXPORT_PREFIX, JaegisError, compileModule, instantiate, meterModule, type InvocationContext } from '@jaegis/runtime'
import { wasmBinary } from '@jaegis/artifact'

const { Reader, Writer, SECTION, SECTION_ORDER, assembleModule, readSections, vectorPayload, readLimits, skipConstExpr, countImports } = wasmBinary

export interface PreinitOptions {
  /** Call the module's __jaegis_init export (heap set-up, then the user's init() if any). */
  runInit: boolean
  memoryLimitBytes: number
  env: Record<string, string>
  /** Deadline for the start function plus init(). @default 60000 */
  timeoutMs?: number
  /** Receives init's log lines. */
  onLog?: (level: string, message: string) => void
}

export interface PreinitResult {
  wasm: Uint8Array
  /** Memory captured, in bytes. */
  memoryBytes: number
  initMs: number
}

/** Runs start + init once and snapshots memory and globals into a new module without a start function. */
export function preinitialize(wasm: Uint8Array, options: PreinitOptions): PreinitResult {
  const timeoutMs = options.timeoutMs ?? 60_000
  const probe = meterModule(wasm, { maxMemoryPages: Math.floor(options.memoryLimitBytes / 65536) })
  const ctx: InvocationContext = {
    deadline: performance.now() + timeoutMs,
    timeoutMs,
    memoryLimitBytes: options.memoryLimitBytes,
    fuelPerCheck: 10_000,
    env: options.env,
    log: (level, message) => options.onLog?.(level, message),
    seed: () => 0x5eed, // a fixed seed keeps builds reproducible
  }
  const t0 = performance.now()
  let memory: Uint8Array
  const globals = new Map<number, number | bigint>()
  try {
    const exports = instantiate(compileModule(probe.bytes), ctx)
    if (options.runInit) (exports.__jaegis_init as () => void)()
    memory = new Uint8Array(exports.memory.buffer)
    for (const g of probe.mutableGlobals) globals.set(g, (exports[GLOBAL_EXPORT_PREFIX + g] as WebAssembly.Global).value as number | bigint)
  } catch (err) {
    const e = err as Error & { code?: string }
    throw new JaegisError('PREINIT_FAILED', `init() failed at build time: ${e.code ? `${e.code}: ` : ''}${e.message}`, { cause: err })
  }
  const initMs = performance.now() - t0
  return { wasm: snapshotModule(wasm, memory, globals), memoryBytes: memory.byteLength, initMs }
}

/** Rewrites `wasm` so that a new instance starts with `memory` and `globals` (by global index). */
export function snapshotModule(wasm: Uint8Array, memory: Uint8Array, globals: Map<number, number | bigint>): Uint8Array {
  const sections = readSections(wasm)
  const byId = new Map<number, Uint8Array>()
  const custom: Uint8Array[] = []
  let importedGlobals = 0
  for (const s of sections) {
    const payload = wasm.subarray(s.start, s.end)
    if (s.id === SECTION.custom) custom.push(payload)
    else byId.set(s.id, payload)
    if (s.id === SECTION.import) importedGlobals = countImports(new Reader(wasm, s.start, s.end)).globals
  }
  const pages = memory.byteLength / 65536

  // Memory: the snapshot's size becomes the initial size.
  const mem = byId.get(SECTION.memory)
  if (!mem) throw new JaegisError('PREINIT_FAILED', 'module has no memory section to snapshot')
  const lim = readLimits(new Reader(mem, 1))
  byId.set(SECTION.memory, lim.max === undefined ? new Writer().u32(1).u8(0).u32(pages).finish() : new Writer().u32(1).u8(1).u32(pages).u32(lim.max).finish())

  // Globals: mutable ones start at their captured values.
  const glob = byId.get(SECTION.global)
  if (glob) {
    const r = new Reader(glob)
    const n = r.u32()
    const w = new Writer()
    for (let i = 0; i < n; i++) {
      const type = r.u8()
      const mut = r.u8()
      const exprStart = r.pos
      skipConstExpr(r)
      w.u8(type).u8(mut)
      const value = globals.get(importedGlobals + i)
      if (mut === 1 && value !== undefined) writeConst(w, type, value)
      else w.bytes(glob.subarray(exprStart, r.pos))
    }
    byId.set(SECTION.global, vectorPayload(n, w.finish()))
  }

  // Data: the non-zero runs of memory replace the original segments.
  const data = byId.get(SECTION.data)
  if (data) checkActiveOnly(data)
  const segments = dataSegments(memory)
  byId.set(SECTION.data, segments.payload)
  if (byId.has(SECTION.dataCount)) byId.set(SECTION.dataCount, new Writer().u32(segments.count).finish())
  byId.delete(SECTION.start) // it already ran; its effects are in the snapshot

  const out: Array<[number, Uint8Array]> = SECTION_ORDER.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!])
  for (const c of custom) out.push([SECTION.custom, c])
  return assembleModule(out)
}

function writeConst(w: InstanceType<typeof Writer>, type: number, value: number | bigint): void {
  const view = new DataView(new ArrayBuffer(8))
  switch (type) {
    case 0x7f: w.u8(0x41).s32(Number(value)); break
    case 0x7e: w.u8(0x42).s64(BigInt(value)); break
    case 0x7d: view.setFloat32(0, Number(value), true); w.u8(0x43).bytes(new Uint8Array(view.buffer, 0, 4)); break
    case 0x7c: view.setFloat64(0, Number(value), true); w.u8(0x44).bytes(new Uint8Array(view.buffer, 0, 8)); break
    default: throw new JaegisError('PREINIT_FAILED', `cannot snapshot a mutable global of type 0x${type.toString(16)}`)
  }
  w.u8(0x0b)
}

function checkActiveOnly(data: Uint8Array): void {
  const r = new Reader(data)
  const n = r.u32()
  for (let i = 0; i < n; i++) {
    const flags = r.u32()
    if (flags === 1) throw new JaegisError('PREINIT_FAILED', 'passive data segments cannot be snapshotted')
    if (flags === 2) r.u32()
    skipConstExpr(r)
    r.skip(r.u32())
  }
}

/** Active segments for the non-zero runs of `memory`; runs closer than 32 bytes are merged. */
function dataSegments(memory: Uint8Array): { payload: Uint8Array; count: number } {
  const w = new Writer()
  let count = 0
  let i = 0
  const n = memory.length
  while (i < n) {
    while (i < n && memory[i] === 0) i++
    if (i >= n) break
    const start = i
    let end = i
    while (i < n) {
      if (memory[i] !== 0) {
        end = ++i
        continue
      }
      let j = i
      while (j < n && memory[j] === 0 && j - end < 32) j++
      if (j < n && memory[j] !== 0) i = j
      else break
    }
    w.u8(0).u8(0x41).s32(start).u8(0x0b).u32(end - start).bytes(memory.subarray(start, end))
    count++
    i = end
  }
  return { payload: vectorPayload(count, w.finish()), count }
}
