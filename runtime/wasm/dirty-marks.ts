// Dirty-chunk marks for a core module that is already metered (or needs no metering): every store,
// memory.fill, memory.copy and memory.init marks the chunks it touches in a mask global, which an
// exported function hands over and clears. What a store is and how it is marked is meterModule's
// (meter.ts, rewriteBody); this pass adds only the marks, so no function or global index moves.
// Components use it (component/reset.ts): their core modules were metered at build time, and the
// tracked copy is made at load, only for functions with fresh state.
import { Reader, SECTION, SECTION_ORDER, Writer, assembleModule, countImports, readSections, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { DIRTY_CHUNKS, functionTypeParams, lebSize, markBody, rewriteBody, type DirtyTracking } from './meter.js'

/** Export added by addDirtyMarks: `() -> i32`, the chunks written since the last call (bit i: chunk i), then cleared. */
export const TAKE_DIRTY_EXPORT = '__jaegis_take_dirty'

/** log2 of the chunk size that splits `memoryBytes` into at most DIRTY_CHUNKS chunks (the same rule as meterModule's). */
export function dirtyChunkShift(memoryBytes: number): number {
  return Math.max(0, Math.ceil(Math.log2(memoryBytes / DIRTY_CHUNKS)))
}

/**
 * The module with marks, or undefined when the marks could not follow every write: atomics or
 * exception handling in a body, a type section with more than plain function types, or more than
 * one memory. Chunks are `1 << shift` bytes of memory 0, the same for every module that writes it.
 */
export function addDirtyMarks(input: Uint8Array, shift: number): Uint8Array | undefined {
  const sections = readSections(input)
  const find = (id: number) => sections.find((s) => s.id === id)
  const typeSec = find(SECTION.type)
  const typeR = typeSec ? new Reader(input, typeSec.start, typeSec.end) : undefined
  const typeCount = typeR ? typeR.u32() : 0
  const paramCounts = typeR ? functionTypeParams(input, typeR.pos, typeSec!.end, typeCount) : []
  if (paramCounts.length !== typeCount) return undefined
  const T_MARK = typeCount // (i32 i32) -> ()
  const T_TAKE = typeCount + 1 // () -> i32
  const types = new Writer().bytes(typeR ? input.subarray(typeR.pos, typeSec!.end) : new Uint8Array())
    .u8(0x60).u32(2).u8(0x7f).u8(0x7f).u32(0)
    .u8(0x60).u32(0).u32(1).u8(0x7f).finish()

  const impSec = find(SECTION.import)
  const imports = impSec ? countImports(new Reader(input, impSec.start, impSec.end)) : { count: 0, funcs: 0, globals: 0, memories: 0 }
  const memSec = find(SECTION.memory)
  const definedMemories = memSec ? new Reader(input, memSec.start, memSec.end).u32() : 0
  if (imports.memories + definedMemories > 1) return undefined

  const funcSec = find(SECTION.function)
  const funcR = funcSec ? new Reader(input, funcSec.start, funcSec.end) : undefined
  const definedFuncs = funcR ? funcR.u32() : 0
  const funcTypes: number[] = []
  for (let i = 0; i < definedFuncs; i++) funcTypes.push(funcR!.u32())
  const MARK = imports.funcs + definedFuncs
  const TAKE = MARK + 1
  const funcs = new Writer().bytes(funcSec ? input.subarray(funcSec.start + lebSize(input, funcSec.start), funcSec.end) : new Uint8Array()).u32(T_MARK).u32(T_TAKE).finish()

  const globSec = find(SECTION.global)
  const definedGlobals = globSec ? new Reader(input, globSec.start, globSec.end).u32() : 0
  const MASK = imports.globals + definedGlobals
  const globals = new Writer().bytes(globSec ? input.subarray(globSec.start + lebSize(input, globSec.start), globSec.end) : new Uint8Array())
    .u8(0x7f).u8(1).u8(0x41).u8(0).u8(0x0b).finish()

  const expSec = find(SECTION.export)
  const exportCount = expSec ? new Reader(input, expSec.start, expSec.end).u32() : 0
  const exports = new Writer().bytes(expSec ? input.subarray(expSec.start + lebSize(input, expSec.start), expSec.end) : new Uint8Array())
    .name(TAKE_DIRTY_EXPORT).u8(0).u32(TAKE).finish()

  const dirty: DirtyTracking = { global: MASK, mark: MARK, shift, untracked: false }
  const code = new Writer()
  const codeSec = find(SECTION.code)
  if (codeSec) {
    const r = new Reader(input, codeSec.start, codeSec.end)
    const n = r.u32()
    for (let i = 0; i < n; i++) {
      const size = r.u32()
      const end = r.pos + size
      const body = rewriteBody(new Reader(input, r.pos, end), new Uint8Array(0), (f) => f, undefined, i, dirty, paramCounts[funcTypes[i]!] ?? 0)
      code.u32(body.length).bytes(body)
      r.pos = end
    }
  }
  if (dirty.untracked) return undefined
  const mark = markBody(dirty)
  code.u32(mark.length).bytes(mark)
  // take(): push the mask, clear it, return it.
  const take = new Writer().u32(0).u8(0x23).u32(MASK).u8(0x41).u8(0).u8(0x24).u32(MASK).u8(0x0b).finish()
  code.u32(take.length).bytes(take)

  const byId = new Map<number, Uint8Array>()
  const custom: Uint8Array[] = []
  for (const s of sections) {
    if (s.id === SECTION.custom) custom.push(input.subarray(s.start, s.end))
    else byId.set(s.id, input.subarray(s.start, s.end))
  }
  byId.set(SECTION.type, vectorPayload(typeCount + 2, types))
  byId.set(SECTION.function, vectorPayload(definedFuncs + 2, funcs))
  byId.set(SECTION.global, vectorPayload(definedGlobals + 1, globals))
  byId.set(SECTION.export, vectorPayload(exportCount + 1, exports))
  byId.set(SECTION.code, vectorPayload(definedFuncs + 2, code.finish()))
  const out: Array<[number, Uint8Array]> = SECTION_ORDER.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!])
  for (const c of custom) out.push([SECTION.custom, c])
  return assembleModule(out)
}
