// Byte-level reading and writing of the WebAssembly binary format: LEB128, vectors, sections.
// Shared by the runtime's metering pass and the compiler's pre-initializer.
import { JaegisError } from '../errors.js'

/** Cursor over wasm bytes. Every read throws INVALID_WASM past the end, never returns garbage. */
export class Reader {
  pos: number
  constructor(readonly bytes: Uint8Array, pos = 0, readonly end = bytes.length) {
    this.pos = pos
  }
  private need(n: number): void {
    if (this.pos + n > this.end) throw invalid(`unexpected end of data at byte ${this.pos}`)
  }
  u8(): number {
    this.need(1)
    return this.bytes[this.pos++]!
  }
  u32(): number {
    let result = 0
    let shift = 0
    for (;;) {
      const b = this.u8()
      if (shift < 28) result |= (b & 0x7f) << shift
      else result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result >>> 0 === result ? result >>> 0 : result
      shift += 7
      if (shift > 35) throw invalid(`LEB128 too long at byte ${this.pos}`)
    }
  }
  /** Signed LEB128 up to 32 bits. */
  s32(): number {
    let result = 0
    let shift = 0
    let b: number
    do {
      b = this.u8()
      result |= (b & 0x7f) << shift
      shift += 7
    } while (b & 0x80 && shift < 35)
    if (b & 0x80) throw invalid(`LEB128 too long at byte ${this.pos}`)
    if (shift < 32 && b & 0x40) result |= -1 << shift
    return result | 0
  }
  /** Skips a LEB128 of any width (i64 constants, s33 block types). */
  skipLeb(): void {
    while (this.u8() & 0x80) {
      /* continue */
    }
  }
  skip(n: number): void {
    this.need(n)
    this.pos += n
  }
  name(): string {
    const len = this.u32()
    this.need(len)
    const s = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + len))
    this.pos += len
    return s
  }
  get done(): boolean {
    return this.pos >= this.end
  }
}

/** Growable byte buffer for assembling wasm. */
export class Writer {
  private buf = new Uint8Array(1024)
  length = 0
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }
  u8(b: number): this {
    this.grow(1)
    this.buf[this.length++] = b
    return this
  }
  u32(v: number): this {
    do {
      let b = v & 0x7f
      v = Math.floor(v / 128)
      if (v !== 0) b |= 0x80
      this.u8(b)
    } while (v !== 0)
    return this
  }
  s32(v: number): this {
    v |= 0
    for (;;) {
      const b = v & 0x7f
      v >>= 7
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.u8(b)
      this.u8(b | 0x80)
    }
  }
  /** Signed LEB128 of a 64-bit value. */
  s64(v: bigint): this {
    for (;;) {
      const b = Number(v & 0x7fn)
      v >>= 7n
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return this.u8(b)
      this.u8(b | 0x80)
    }
  }
  bytes(data: Uint8Array): this {
    this.grow(data.length)
    this.buf.set(data, this.length)
    this.length += data.length
    return this
  }
  name(s: string): this {
    const data = new TextEncoder().encode(s)
    return this.u32(data.length).bytes(data)
  }
  /** Appends a section: id, byte size, payload. */
  section(id: number, payload: Uint8Array): this {
    return this.u8(id).u32(payload.length).bytes(payload)
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}

export const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13 } as const

/** The order non-custom sections must appear in. */
export const SECTION_ORDER: readonly number[] = [SECTION.type, SECTION.import, SECTION.function, SECTION.table, SECTION.memory, SECTION.tag, SECTION.global, SECTION.export, SECTION.start, SECTION.element, SECTION.dataCount, SECTION.code, SECTION.data]

/** One top-level section: its id and where its payload lies in the module's bytes. */
export interface Section {
  id: number
  start: number
  end: number
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

/** Splits a module into sections. Checks the header, not the contents. */
export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw invalid('not a WebAssembly module (bad magic number or version; components are not core modules)')
  const r = new Reader(bytes, 8)
  const sections: Section[] = []
  while (!r.done) {
    const id = r.u8()
    const size = r.u32()
    const start = r.pos
    r.skip(size)
    sections.push({ id, start, end: start + size })
  }
  return sections
}

/** Writes the wasm header followed by `sections` given as [id, payload] pairs. */
export function assembleModule(sections: Array<[number, Uint8Array]>): Uint8Array {
  const w = new Writer()
  for (const b of MAGIC) w.u8(b)
  for (const [id, payload] of sections) w.section(id, payload)
  return w.finish()
}

/** A vector section rebuilt from a new count and already-encoded entries. */
export function vectorPayload(count: number, entries: Uint8Array): Uint8Array {
  return new Writer().u32(count).bytes(entries).finish()
}

/** Reads resizable limits (tables, memories). */
export function readLimits(r: Reader): { flags: number; min: number; max?: number } {
  const flags = r.u8()
  if (flags & 0x04) throw invalid('64-bit memories are not supported')
  const min = r.u32()
  const max = flags & 1 ? r.u32() : undefined
  return { flags, min, max }
}

/** What an import section declares, by kind. */
export interface ImportCounts {
  /** Entries in the section. */
  count: number
  funcs: number
  globals: number
  memories: number
}

/** Walks an import section (reader at its start), counting entries by kind. */
export function countImports(r: Reader): ImportCounts {
  const counts = { count: r.u32(), funcs: 0, globals: 0, memories: 0 }
  for (let i = 0; i < counts.count; i++) {
    r.name()
    r.name()
    const kind = r.u8()
    if (kind === 0) {
      r.u32()
      counts.funcs++
    } else if (kind === 1) {
      r.u8()
      readLimits(r)
    } else if (kind === 2) {
      readLimits(r)
      counts.memories++
    } else if (kind === 3) {
      r.u8()
      r.u8()
      counts.globals++
    } else if (kind === 4) {
      r.u8()
      r.u32()
    } else throw invalid(`unknown import kind ${kind}`)
  }
  return counts
}

export function invalid(message: string): JaegisError {
  return new JaegisError('INVALID_WASM', `not a valid WebAssembly module: ${message}`)
}

/** Skips a constant expression (through its `end`), returning nothing; used for global/elem/data offsets. */
export function skipConstExpr(r: Reader): void {
  for (;;) {
    const op = r.u8()
    switch (op) {
      case 0x0b:
        return
      case 0x41:
        r.s32()
        break
      case 0x42:
        r.skipLeb()
        break
      case 0x43:
        r.skip(4)
        break
      case 0x44:
        r.skip(8)
        break
      case 0x23:
      case 0xd2:
        r.u32()
        break
      case 0xd0:
        r.skipLeb()
        break
      case 0xfd:
        if (r.u32() !== 12) throw invalid('unsupported SIMD instruction in a constant expression')
        r.skip(16)
        break
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: // extended-const arithmetic
        break
      default:
        throw invalid(`unsupported instruction 0x${op.toString(16)} in a constant expression`)
    }
  }
}
