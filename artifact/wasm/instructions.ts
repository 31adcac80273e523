// Walks the instructions of a function body, skipping immediates. It knows every opcode of
// WebAssembly 2.0 plus SIMD, threads, tail calls and exception handling; anything else is rejected.
import { Reader, invalid } from './binary.js'

/** Opcodes a rewriting pass cares about; everything else is copied through unchanged. */
export const OP = { loop: 0x03, call: 0x10, returnCall: 0x12, memoryGrow: 0x40, refFunc: 0xd2 } as const

/** Prefixed opcodes are returned as PREFIX.x | sub-opcode (sub-opcodes go up to 0x113, so 16 bits apart). */
export const PREFIX = { misc: 0xfc0000, simd: 0xfd0000, atomic: 0xfe0000 } as const

/**
 * Reads one instruction at r.pos. Returns its opcode (prefixed opcodes as PREFIX.x | sub).
 * For OP.call/returnCall/refFunc the caller reads the index itself: this returns before it.
 */
export function readInstruction(r: Reader): number {
  const op = r.u8()
  switch (op) {
    case 0x02: case 0x03: case 0x04: case 0x06: // block loop if try: blocktype
      readBlockType(r)
      return op
    case 0x1f: { // try_table blocktype vec(catch)
      readBlockType(r)
      const n = r.u32()
      for (let i = 0; i < n; i++) {
        const kind = r.u8()
        if (kind === 0 || kind === 1) r.u32()
        r.u32()
      }
      return op
    }
    case 0x10: case 0x12: case 0xd2:
      return op // index read by the caller
    case 0x07: case 0x08: case 0x09: case 0x18: // catch throw rethrow delegate
    case 0x0c: case 0x0d: // br br_if
    case 0x14: case 0x15: // call_ref return_call_ref
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: // locals, globals
    case 0x25: case 0x26: // table.get/set
    case 0xd5: case 0xd6: // br_on_null br_on_non_null
      r.u32()
      return op
    case 0x0e: { // br_table
      const n = r.u32()
      for (let i = 0; i <= n; i++) r.u32()
      return op
    }
    case 0x11: case 0x13: // call_indirect return_call_indirect: typeidx tableidx
      r.u32()
      r.u32()
      return op
    case 0x1c: { // select t*
      const n = r.u32()
      for (let i = 0; i < n; i++) readValType(r)
      return op
    }
    case 0x3f: case 0x40: // memory.size memory.grow
      r.u32()
      return op
    case 0x41: r.s32(); return op
    case 0x42: r.skipLeb(); return op
    case 0x43: r.skip(4); return op
    case 0x44: r.skip(8); return op
    case 0xd0: readHeapType(r); return op
    case 0xfc: return PREFIX.misc | readPrefixFC(r)
    case 0xfd: return PREFIX.simd | readPrefixFD(r)
    case 0xfe: return PREFIX.atomic | readPrefixFE(r)
    default:
      if (op >= 0x28 && op <= 0x3e) { // loads and stores
        readMemArg(r)
        return op
      }
      if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x0a || op === 0x1a || op === 0x1b) return op
      if (op >= 0x45 && op <= 0xc4) return op // numeric
      if (op === 0xd1 || op === 0xd3 || op === 0xd4) return op
      throw invalid(`unsupported instruction opcode 0x${op.toString(16)} at byte ${r.pos - 1}`)
  }
}

function readBlockType(r: Reader): void {
  const b = r.bytes[r.pos]
  if (b === undefined) throw invalid('unexpected end of data in a block type')
  if (b === 0x40 || (b >= 0x6f && b <= 0x7f) || b === 0x63 || b === 0x64 || (b >= 0x69 && b <= 0x6e)) {
    if (b === 0x63 || b === 0x64) {
      r.u8()
      readHeapType(r)
    } else r.u8()
    return
  }
  r.skipLeb() // s33 type index
}

function readValType(r: Reader): void {
  const b = r.u8()
  if (b === 0x63 || b === 0x64) readHeapType(r)
}

function readHeapType(r: Reader): void {
  r.skipLeb()
}

/** Reads a memarg (alignment, optional memory index, offset); returns the offset. */
export function readMemArg(r: Reader): number {
  const align = r.u32()
  if (align & 0x40) r.u32() // multi-memory index
  return r.u32()
}

function readPrefixFC(r: Reader): number {
  const sub = r.u32()
  if (sub <= 7) return sub
  switch (sub) {
    case 8: r.u32(); r.u32(); return sub // memory.init data mem
    case 9: r.u32(); return sub // data.drop
    case 10: r.u32(); r.u32(); return sub // memory.copy
    case 11: r.u32(); return sub // memory.fill
    case 12: r.u32(); r.u32(); return sub // table.init
    case 13: r.u32(); return sub // elem.drop
    case 14: r.u32(); r.u32(); return sub // table.copy
    case 15: case 16: case 17: r.u32(); return sub // table.grow size fill
    default: throw invalid(`unsupported instruction 0xfc ${sub}`)
  }
}

function readPrefixFD(r: Reader): number {
  const sub = r.u32()
  if (sub <= 11 || sub === 92 || sub === 93) readMemArg(r)
  else if (sub === 12 || sub === 13) r.skip(16)
  else if (sub >= 21 && sub <= 34) r.u8()
  else if (sub >= 84 && sub <= 91) {
    readMemArg(r)
    r.u8()
  } else if (sub > 0x113) throw invalid(`unsupported SIMD instruction 0xfd ${sub}`)
  return sub
}

function readPrefixFE(r: Reader): number {
  const sub = r.u32()
  if (sub === 0x03) r.u8() // atomic.fence
  else if (sub <= 0x4e) readMemArg(r)
  else throw invalid(`unsupported atomic instruction 0xfe ${sub}`)
  return sub
}
