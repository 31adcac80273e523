// The metering pass (Wasmtime's epoch interruption, done in the module): a fuel counter is
// decremented at every function entry and loop header; when it runs out the module calls the host,
// which checks the invocation's deadline and either refuels or throws. memory.grow is wrapped: the
// host hears of every grow before it happens, and a refused grow reports a memory-limit error. Mutable globals are exported so the host can reset them.
import { Reader, SECTION, SECTION_ORDER, Writer, countImports, assembleModule, invalid, readLimits, readSections, skipConstExpr, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { OP, PREFIX, readInstruction, readMemArg } from '@jaegis/artifact/wasm/instructions'

/** Import the metered module needs: `(func (param kind i32) (param arg i32) (result i32))`. */
export const METER_IMPORT = { module: 'jaegis:meter', name: 'signal' } as const
/** `kind` values passed to the signal import. */
export const SIGNAL_FUEL = 0
export const SIGNAL_GROW_FAILED = 1
/** Before every memory.grow, with the pages asked for: the host may stop the invocation there (an inline attempt's slice). */
export const SIGNAL_GROW = 2
/** Prefix of the exports through which the host resets mutable globals: `${prefix}${globalIndex}`. */
export const GLOBAL_EXPORT_PREFIX = '__jaegis_g'

export interface MeterOptions {
  /** Checks between two calls to the host. Smaller reacts sooner, larger costs less. @default 10000 */
  fuelPerCheck?: number
  /** Caps the module's maximum memory at this many 64 KiB pages. @default no cap beyond the module's own */
  maxMemoryPages?: number
  /**
   * Turn the module's memory into an import (`jaegis:meter`.`memory`) and move its active data
   * segments out into `memoryImage`, so the host can hand each instance a recycled, already-faulted
   * memory filled from the image (Wasmtime's pooling allocator, in spirit). @default false
   */
  importMemory?: boolean
  /**
   * Add an exported function RESET_GLOBALS_EXPORT that sets every mutable global back to its
   * constant initial value (the snapshot's), instead of exporting the globals one by one. One call
   * per reset, and no WebAssembly.Global objects per instance. Falls back to exports when an initial
   * value is not a constant. @default false
   */
  resetFunction?: boolean
  /**
   * With resetFunction and importMemory: record which 1/32nd parts ("chunks") of the initial memory
   * the module writes (every store, memory.fill, memory.copy and memory.init marks its chunks in a
   * bitmask global), and make RESET_GLOBALS_EXPORT return that mask and clear it. The host then
   * restores only those chunks from the image instead of the whole memory. Modules using atomics or
   * exception handling are left untracked (dirtyChunkShift undefined). @default false
   */
  dirtyChunks?: boolean
}

/** Chunks a tracked memory is split into (one bit each in an i32 mask). */
export const DIRTY_CHUNKS = 32

/** Name of the exported function added by `resetFunction`. */
export const RESET_GLOBALS_EXPORT = '__jaegis_reset_globals'

/** Name of the memory import added by `importMemory`. */
export const MEMORY_IMPORT = 'memory'

export interface MeteredModule {
  bytes: Uint8Array
  /** With importMemory: the initial memory contents (initial pages long) a new instance must start from. */
  memoryImage?: Uint8Array
  /** Initial memory pages. */
  initialMemoryPages: number
  /** Indices of defined mutable globals exported as GLOBAL_EXPORT_PREFIX + index (none when a reset function was added). */
  mutableGlobals: number[]
  /** True when the module exports RESET_GLOBALS_EXPORT. */
  resetFunction: boolean
  /** Maximum memory pages after capping (undefined when unbounded). */
  maxMemoryPages: number | undefined
  /**
   * With dirtyChunks, when tracking applies: log2 of the chunk size in bytes. RESET_GLOBALS_EXPORT
   * then returns a mask whose bit i means bytes [i << shift, (i + 1) << shift) (plus up to 15 bytes
   * past that end, from a wide store at a chunk's edge) were written since the last reset.
   */
  dirtyChunkShift?: number
}

/** Rewrites a core module with deadline checks and a memory-limit hook. Throws INVALID_WASM on bad input. */
export function meterModule(input: Uint8Array, options: MeterOptions = {}): MeteredModule {
  const fuel = options.fuelPerCheck ?? 10_000
  const sections = readSections(input)
  const payload = (s: { start: number; end: number }) => input.subarray(s.start, s.end)
  const find = (id: number) => sections.find((s) => s.id === id)

  // Types: append signal (i32 i32 -> i32) and grow (i32 -> i32).
  const typeSec = find(SECTION.type)
  const typeR = typeSec ? new Reader(input, typeSec.start, typeSec.end) : undefined
  const typeCount = typeR ? typeR.u32() : 0
  const typeRest = typeR ? input.subarray(typeR.pos, typeSec!.end) : new Uint8Array()
  const T_SIGNAL = typeCount
  const T_GROW = typeCount + 1
  const T_VOID = typeCount + 2
  const T_MARK = typeCount + 3 // (i32 i32) -> ()
  const T_I32 = typeCount + 4 // () -> i32
  const newTypes = new Writer().bytes(typeRest).u8(0x60).u32(2).u8(0x7f).u8(0x7f).u32(1).u8(0x7f).u8(0x60).u32(1).u8(0x7f).u32(1).u8(0x7f).u8(0x60).u32(0).u32(0)
    .u8(0x60).u32(2).u8(0x7f).u8(0x7f).u32(0).u8(0x60).u32(0).u32(1).u8(0x7f).finish()
  const paramCounts = typeR ? functionTypeParams(input, typeR.pos, typeSec!.end, typeCount) : []

  // Memory: cap the maximum.
  let maxMemoryPages: number | undefined
  let initialMemoryPages = 0
  let newMemory: Uint8Array | undefined
  const memSec = find(SECTION.memory)
  if (memSec) {
    const r = new Reader(input, memSec.start, memSec.end)
    const n = r.u32()
    if (n !== 1) throw invalid(`expected one memory, found ${n}`)
    const lim = readLimits(r)
    if (lim.flags & 2) throw invalid('shared memories are not supported')
    maxMemoryPages = lim.max
    if (options.maxMemoryPages !== undefined) maxMemoryPages = Math.min(maxMemoryPages ?? Infinity, options.maxMemoryPages)
    if (maxMemoryPages !== undefined && lim.min > maxMemoryPages) throw invalid(`initial memory of ${lim.min} pages is over the limit of ${maxMemoryPages} pages`)
    initialMemoryPages = lim.min
    const w = new Writer().u32(1)
    if (maxMemoryPages === undefined) w.u8(0).u32(lim.min)
    else w.u8(1).u32(lim.min).u32(maxMemoryPages)
    newMemory = w.finish()
  }

  // Imports: count functions and globals, append ours after the existing ones.
  const impSec = find(SECTION.import)
  const imports = impSec ? countImports(new Reader(input, impSec.start, impSec.end)) : { count: 0, funcs: 0, globals: 0, memories: 0 }
  const importedFuncs = imports.funcs
  const importedGlobals = imports.globals
  const importsMemory = imports.memories > 0
  let importCount = imports.count
  const impW = new Writer()
  if (impSec) impW.bytes(input.subarray(impSec.start + lebSize(input, impSec.start), impSec.end))
  if (importsMemory) throw invalid('the module imports its memory; Jaegis modules must define and export it')
  impW.name(METER_IMPORT.module).name(METER_IMPORT.name).u8(0).u32(T_SIGNAL)
  // Memory as an import, data segments as an image the host copies in.
  const dataSec = find(SECTION.data)
  const image = options.importMemory && newMemory ? memoryImage(input, dataSec, initialMemoryPages) : undefined
  if (image) {
    const lim = newMemory!.subarray(1) // skip the count: flags, min[, max]
    impW.name(METER_IMPORT.module).name(MEMORY_IMPORT).u8(2).bytes(lim)
    importCount++
  }
  const SIGNAL = importedFuncs
  const shift = (f: number) => (f >= importedFuncs ? f + 1 : f)

  // Functions: append grow.
  const funcSec = find(SECTION.function)
  const funcR = funcSec ? new Reader(input, funcSec.start, funcSec.end) : undefined
  const definedFuncs = funcR ? funcR.u32() : 0
  const GROW = importedFuncs + 1 + definedFuncs
  const RESET = GROW + 1
  const MARK = GROW + 2
  const funcTypes: number[] = []
  if (funcR) {
    const probe = new Reader(input, funcR.pos, funcSec!.end)
    for (let i = 0; i < definedFuncs; i++) funcTypes.push(probe.u32())
  }
  const funcW = new Writer().bytes(funcR ? input.subarray(funcR.pos, funcSec!.end) : new Uint8Array()).u32(T_GROW)

  // Globals: find mutable ones, shift ref.func in init expressions, append the fuel counter.
  const globSec = find(SECTION.global)
  const mutableGlobals: number[] = []
  /** Body of the reset function: `<const>; global.set g` per mutable global; undefined once one is not a constant. */
  let resetBody: Writer | undefined = options.resetFunction ? new Writer() : undefined
  const globW = new Writer()
  let definedGlobals = 0
  if (globSec) {
    const r = new Reader(input, globSec.start, globSec.end)
    definedGlobals = r.u32()
    for (let i = 0; i < definedGlobals; i++) {
      const start = r.pos
      r.u8()
      const mut = r.u8()
      if (mut === 1) mutableGlobals.push(importedGlobals + i)
      globW.bytes(input.subarray(start, r.pos))
      const exprStart = r.pos
      copyConstExpr(r, globW, shift)
      if (mut === 1 && resetBody) {
        const expr = input.subarray(exprStart, r.pos)
        const op = expr[0]
        if ((op === 0x41 || op === 0x42 || op === 0x43 || op === 0x44) && singleConst(expr)) {
          resetBody.bytes(expr.subarray(0, expr.length - 1)).u8(0x24).u32(importedGlobals + i)
        } else resetBody = undefined
      }
    }
  }
  const FUEL = importedGlobals + definedGlobals
  const DIRTY = FUEL + 1
  globW.u8(0x7f).u8(1).u8(0x41).s32(fuel).u8(0x0b)
  globW.u8(0x7f).u8(1).u8(0x41).s32(0).u8(0x0b)
  // Dirty tracking needs the reset function (which hands the mask over), an imported memory and
  // parameter counts for every function type (plain function types only).
  const initialBytes = initialMemoryPages * 65536
  let dirty: DirtyTracking | undefined =
    options.dirtyChunks && resetBody && image && initialBytes > 0 && paramCounts.length === typeCount
      ? { global: DIRTY, mark: MARK, shift: Math.max(0, Math.ceil(Math.log2(initialBytes / DIRTY_CHUNKS))), untracked: false }
      : undefined

  // Exports: shift function indices; export mutable globals for reset.
  const expSec = find(SECTION.export)
  const expW = new Writer()
  let exportCount = 0
  if (expSec) {
    const r = new Reader(input, expSec.start, expSec.end)
    exportCount = r.u32()
    for (let i = 0; i < exportCount; i++) {
      const start = r.pos
      r.name()
      const kind = r.u8()
      expW.bytes(input.subarray(start, r.pos))
      const idx = r.u32()
      expW.u32(kind === 0 ? shift(idx) : idx)
    }
  }
  const exportedGlobals = resetBody ? [] : mutableGlobals
  for (const g of exportedGlobals) expW.name(GLOBAL_EXPORT_PREFIX + g).u8(3).u32(g)
  if (resetBody) {
    funcW.u32(dirty ? T_I32 : T_VOID)
    expW.name(RESET_GLOBALS_EXPORT).u8(0).u32(RESET)
  }
  if (dirty) funcW.u32(T_MARK)
  const newFuncs = funcW.finish()
  const addedFuncs = (resetBody ? 2 : 1) + (dirty ? 1 : 0)

  // Code: rewrite every body, then append grow's.
  const codeSec = find(SECTION.code)
  const codeW = new Writer()
  const check = new Writer().u8(0x23).u32(FUEL).u8(0x41).u8(0x01).u8(0x6b).u8(0x24).u32(FUEL)
    .u8(0x23).u32(FUEL).u8(0x41).u8(0x00).u8(0x48).u8(0x04).u8(0x40)
    .u8(0x41).s32(SIGNAL_FUEL).u8(0x41).u8(0x00).u8(0x10).u32(SIGNAL).u8(0x24).u32(FUEL).u8(0x0b).finish()
  if (codeSec) {
    const r = new Reader(input, codeSec.start, codeSec.end)
    const n = r.u32()
    if (n !== definedFuncs) throw invalid(`function and code section counts differ (${definedFuncs} vs ${n})`)
    for (let i = 0; i < n; i++) {
      const size = r.u32()
      const end = r.pos + size
      const body = rewriteBody(new Reader(input, r.pos, end), check, shift, GROW, i, dirty, paramCounts[funcTypes[i]!] ?? 0)
      codeW.u32(body.length).bytes(body)
      r.pos = end
    }
  }
  // A module without a memory cannot contain memory.grow: its wrapper is never called, so it traps.
  const growBody = !newMemory && !importsMemory
    ? new Writer().u32(0).u8(0x00).u8(0x0b).finish()
    : new Writer().u32(1).u32(1).u8(0x7f)
        .u8(0x41).s32(SIGNAL_GROW).u8(0x20).u8(0).u8(0x10).u32(SIGNAL).u8(0x1a)
        .u8(0x20).u8(0).u8(0x40).u8(0).u8(0x22).u8(1).u8(0x41).s32(-1).u8(0x46).u8(0x04).u8(0x40)
        .u8(0x41).s32(SIGNAL_GROW_FAILED).u8(0x20).u8(0).u8(0x10).u32(SIGNAL).u8(0x1a).u8(0x0b)
        .u8(0x20).u8(1).u8(0x0b).finish()
  codeW.u32(growBody.length).bytes(growBody)
  if (resetBody) {
    const w = new Writer().u32(0)
    // The mask is pushed first and returned after the resets. A module found untracked while its
    // bodies were rewritten (atomics, exceptions) reports every chunk dirty.
    if (dirty) {
      if (dirty.untracked) w.u8(0x41).s32(-1)
      else w.u8(0x23).u32(DIRTY)
    }
    w.bytes(resetBody.finish())
    if (dirty) w.u8(0x41).u8(0).u8(0x24).u32(DIRTY)
    const body = w.u8(0x0b).finish()
    codeW.u32(body.length).bytes(body)
  }
  if (dirty) {
    const body = markBody(dirty)
    codeW.u32(body.length).bytes(body)
  }

  // Reassemble in canonical order; custom sections go last (the name section is dropped: its
  // function indices would need shifting, and V8 runs fine without it).
  const byId = new Map<number, Uint8Array>()
  const custom: Uint8Array[] = []
  for (const s of sections) {
    if (s.id === SECTION.custom) {
      if (new Reader(input, s.start, s.end).name() !== 'name') custom.push(payload(s))
    } else byId.set(s.id, payload(s))
  }
  byId.set(SECTION.type, vectorPayload(typeCount + 5, newTypes))
  byId.set(SECTION.import, vectorPayload(importCount + 1, impW.finish()))
  byId.set(SECTION.function, vectorPayload(definedFuncs + addedFuncs, newFuncs))
  if (image) {
    byId.delete(SECTION.memory)
    byId.delete(SECTION.data)
    byId.delete(SECTION.dataCount)
  } else if (newMemory) byId.set(SECTION.memory, newMemory)
  byId.set(SECTION.global, vectorPayload(definedGlobals + 2, globW.finish()))
  byId.set(SECTION.export, vectorPayload(exportCount + exportedGlobals.length + (resetBody ? 1 : 0), expW.finish()))
  byId.set(SECTION.code, vectorPayload(definedFuncs + addedFuncs, codeW.finish()))
  const start = find(SECTION.start)
  if (start) byId.set(SECTION.start, new Writer().u32(shift(new Reader(input, start.start, start.end).u32())).finish())
  const elem = find(SECTION.element)
  if (elem) byId.set(SECTION.element, rewriteElements(input, elem, shift))
  const out: Array<[number, Uint8Array]> = SECTION_ORDER.filter((id) => byId.has(id)).map((id) => [id, byId.get(id)!])
  for (const c of custom) out.push([SECTION.custom, c])
  return {
    bytes: assembleModule(out),
    mutableGlobals: exportedGlobals,
    resetFunction: resetBody !== undefined,
    maxMemoryPages,
    initialMemoryPages,
    ...(image ? { memoryImage: image } : {}),
    ...(dirty && !dirty.untracked ? { dirtyChunkShift: dirty.shift } : {}),
  }
}

/**
 * The initial memory a module's active data segments produce, or undefined when they cannot be
 * moved out of the module (passive segments, or offsets that are not constants).
 */
function memoryImage(input: Uint8Array, dataSec: { start: number; end: number } | undefined, pages: number): Uint8Array | undefined {
  const image = new Uint8Array(pages * 65536)
  if (!dataSec) return image
  const r = new Reader(input, dataSec.start, dataSec.end)
  const n = r.u32()
  for (let i = 0; i < n; i++) {
    const flags = r.u32()
    if (flags === 1) return undefined
    if (flags === 2 && r.u32() !== 0) return undefined
    if (r.u8() !== 0x41) return undefined
    const offset = r.s32() >>> 0
    if (r.u8() !== 0x0b) return undefined
    const len = r.u32()
    if (offset + len > image.length) throw invalid(`data segment ${i} (${len} bytes at ${offset}) is outside the initial memory`)
    image.set(input.subarray(r.pos, r.pos + len), offset)
    r.skip(len)
  }
  return image
}

/** True when a constant expression is exactly one numeric constant followed by `end`. */
function singleConst(expr: Uint8Array): boolean {
  const r = new Reader(expr)
  readInstruction(r)
  return r.pos === expr.length - 1 && expr[r.pos] === 0x0b
}

export function lebSize(bytes: Uint8Array, pos: number): number {
  let n = 1
  while (bytes[pos + n - 1]! & 0x80) n++
  return n
}

/** Dirty-chunk tracking state shared by the body rewrites of one module. */
export interface DirtyTracking {
  /** Index of the i32 mask global. */
  global: number
  /** Index of the generated mark(start, length) function. */
  mark: number
  /** log2 of the chunk size. */
  shift: number
  /** Set when a body uses something the marks cannot follow (atomics, exceptions). */
  untracked: boolean
}

/** Value type a store instruction takes from the stack (0 when `op` is not a plain store). */
function storeValueType(op: number): number {
  if (op === 0x36 || op === 0x3a || op === 0x3b) return 0x7f
  if (op === 0x37 || op === 0x3c || op === 0x3d || op === 0x3e) return 0x7e
  if (op === 0x38) return 0x7d
  if (op === 0x39) return 0x7c
  if (op === OP_V128_STORE || (op >= OP_V128_STORE_LANE_FIRST && op <= OP_V128_STORE_LANE_LAST)) return 0x7b
  return 0
}
const OP_V128_STORE = PREFIX.simd | 11
const OP_V128_STORE_LANE_FIRST = PREFIX.simd | 88
const OP_V128_STORE_LANE_LAST = PREFIX.simd | 91
const OP_MEMORY_INIT = PREFIX.misc | 8
const OP_MEMORY_COPY = PREFIX.misc | 10
const OP_MEMORY_FILL = PREFIX.misc | 11
/** Scratch locals appended to a body that writes memory, in this order. */
const SCRATCH_TYPES = [0x7f, 0x7f, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b] as const

/** The memarg offset of the load/store instruction in `bytes` (opcode included). */
function memargOffset(bytes: Uint8Array, prefixed: boolean): number {
  const r = new Reader(bytes, 1)
  if (prefixed) r.u32()
  return readMemArg(r)
}

/**
 * One function body with a fuel check at its entry and loop headers (`check`, empty for none), call and
 * ref.func indices shifted, memory.grow turned into a call of `grow` (left alone when undefined) and, with
 * `dirty`, every memory write marked. Shared by meterModule and addDirtyMarks (dirty-marks.ts).
 */
export function rewriteBody(r: Reader, check: Uint8Array, shift: (f: number) => number, grow: number | undefined, index: number, dirty: DirtyTracking | undefined, params: number): Uint8Array {
  const w = new Writer()
  const localStart = r.pos
  const groups = r.u32()
  let locals = 0
  for (let i = 0; i < groups; i++) {
    locals += r.u32()
    const t = r.u8()
    if (t === 0x63 || t === 0x64) r.skipLeb()
  }
  const localsEnd = r.pos
  // Scratch locals for the marks: a (address), b (length), then one per value type.
  const base = params + locals
  const scratch = (type: number) => base + SCRATCH_TYPES.indexOf(type as never, 2)
  const A = base
  const B = base + 1
  let wrote = false
  w.bytes(check)
  let copyFrom = r.pos
  try {
    while (!r.done) {
      const at = r.pos
      const op = readInstruction(r)
      if (dirty) {
        const valueType = storeValueType(op)
        if (valueType) {
          wrote = true
          const v = scratch(valueType)
          const offset = memargOffset(r.bytes.subarray(at, r.pos), op > 0xff)
          w.bytes(r.bytes.subarray(copyFrom, at))
          w.u8(0x21).u32(v).u8(0x22).u32(A).u8(0x20).u32(v) // local.set v; local.tee a; local.get v
          w.bytes(r.bytes.subarray(at, r.pos))
          // mask |= 1 << ((a + offset) >>> shift)
          w.u8(0x23).u32(dirty.global).u8(0x41).u8(1).u8(0x20).u32(A)
          if (offset !== 0) w.u8(0x41).s32(offset | 0).u8(0x6a)
          w.u8(0x41).u32(dirty.shift).u8(0x76).u8(0x74).u8(0x72).u8(0x24).u32(dirty.global)
          copyFrom = r.pos
          continue
        }
        if (op === OP_MEMORY_FILL || op === OP_MEMORY_COPY || op === OP_MEMORY_INIT) {
          wrote = true
          const v = scratch(0x7f)
          w.bytes(r.bytes.subarray(copyFrom, at))
          w.u8(0x21).u32(B).u8(0x21).u32(v).u8(0x22).u32(A).u8(0x20).u32(v).u8(0x20).u32(B)
          w.bytes(r.bytes.subarray(at, r.pos))
          w.u8(0x20).u32(A).u8(0x20).u32(B).u8(0x10).u32(dirty.mark)
          copyFrom = r.pos
          continue
        }
        // Atomics write memory without the marks; exceptions could skip them: leave the module untracked.
        if (op >= PREFIX.atomic || op === 0x06 || op === 0x07 || op === 0x08 || op === 0x09 || op === 0x18 || op === 0x19 || op === 0x1f || op === 0x0a) dirty.untracked = true
      }
      if (op === OP.loop && check.length > 0) {
        w.bytes(r.bytes.subarray(copyFrom, r.pos)).bytes(check)
        copyFrom = r.pos
      } else if (op === OP.call || op === OP.returnCall || op === OP.refFunc) {
        w.bytes(r.bytes.subarray(copyFrom, r.pos))
        w.u32(shift(r.u32()))
        copyFrom = r.pos
      } else if (op === OP.memoryGrow && grow !== undefined) {
        w.bytes(r.bytes.subarray(copyFrom, at)).u8(0x10).u32(grow)
        copyFrom = r.pos
      }
    }
  } catch (err) {
    throw invalid(`function ${index}: ${(err as Error).message.replace(/^not a valid WebAssembly module: /, '')}`)
  }
  w.bytes(r.bytes.subarray(copyFrom, r.pos))
  const code = w.finish()
  const head = new Writer()
  if (wrote) {
    head.u32(groups + 5).bytes(r.bytes.subarray(localStart + lebSize(r.bytes, localStart), localsEnd))
    head.u32(3).u8(0x7f).u32(1).u8(0x7e).u32(1).u8(0x7d).u32(1).u8(0x7c).u32(1).u8(0x7b)
  } else head.bytes(r.bytes.subarray(localStart, localsEnd))
  return head.bytes(code).finish()
}

/** Body of mark(start, length): sets the mask bits of every chunk the range touches. */
export function markBody(dirty: DirtyTracking): Uint8Array {
  const S = dirty.shift
  return new Writer()
    .u32(0)
    .u8(0x20).u8(1).u8(0x45).u8(0x04).u8(0x40).u8(0x0f).u8(0x0b) // if (len == 0) return
    .u8(0x23).u32(dirty.global)
    .u8(0x41).s32(-1).u8(0x20).u8(0).u8(0x41).u32(S).u8(0x76).u8(0x74) // -1 << (start >>> S)
    .u8(0x41).s32(-1).u8(0x41).u8(31)
    .u8(0x20).u8(0).u8(0x20).u8(1).u8(0x6a).u8(0x41).u8(1).u8(0x6b).u8(0x41).u32(S).u8(0x76) // last = (start + len - 1) >>> S
    .u8(0x6b).u8(0x76) // -1 >>> (31 - last)
    .u8(0x71).u8(0x72).u8(0x24).u32(dirty.global) // mask |= both
    .u8(0x0b)
    .finish()
}

/** Parameter counts of the entries of a type section (stops early at anything but a plain function type). */
export function functionTypeParams(bytes: Uint8Array, start: number, end: number, count: number): number[] {
  const r = new Reader(bytes, start, end)
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    if (r.u8() !== 0x60) return out
    const params = r.u32()
    for (let j = 0; j < params; j++) if (!skipValType(r)) return out
    const results = r.u32()
    for (let j = 0; j < results; j++) if (!skipValType(r)) return out
    out.push(params)
  }
  return out
}

function skipValType(r: Reader): boolean {
  const t = r.u8()
  if (t === 0x63 || t === 0x64) {
    r.skipLeb()
    return true
  }
  return t >= 0x7b && t <= 0x7f ? true : t === 0x70 || t === 0x6f
}

/** Copies a constant expression, shifting ref.func indices. */
function copyConstExpr(r: Reader, w: Writer, shift: (f: number) => number): void {
  const start = r.pos
  const probe = new Reader(r.bytes, r.pos, r.end)
  skipConstExpr(probe)
  const expr = r.bytes.subarray(start, probe.pos)
  if (!expr.includes(0xd2)) {
    w.bytes(expr)
    r.pos = probe.pos
    return
  }
  for (;;) {
    const at = r.pos
    const op = readInstruction(r)
    if (op === OP.refFunc) w.bytes(r.bytes.subarray(at, r.pos)).u32(shift(r.u32()))
    else w.bytes(r.bytes.subarray(at, r.pos))
    if (op === 0x0b) return
  }
}

function rewriteElements(input: Uint8Array, s: { start: number; end: number }, shift: (f: number) => number): Uint8Array {
  const r = new Reader(input, s.start, s.end)
  const n = r.u32()
  const w = new Writer().u32(n)
  for (let i = 0; i < n; i++) {
    const flags = r.u32()
    w.u32(flags)
    if (flags > 7) throw invalid(`unknown element segment kind ${flags}`)
    if (flags & 2 && !(flags & 1)) w.u32(r.u32()) // explicit table index (kinds 2 and 6)
    if (!(flags & 1)) copyConstExpr(r, w, shift) // active: offset
    if (flags & 3 && !(flags & 4)) w.u8(r.u8()) // elemkind
    if (flags & 3 && flags & 4) {
      const t = r.u8()
      w.u8(t)
      if (t === 0x63 || t === 0x64) w.u32(r.u32())
    }
    const count = r.u32()
    w.u32(count)
    for (let j = 0; j < count; j++) {
      if (flags & 4) copyConstExpr(r, w, shift)
      else w.u32(shift(r.u32()))
    }
  }
  return w.finish()
}
