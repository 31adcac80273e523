// Dirty-chunk tracking of the metering pass, on a hand-assembled module: every kind of memory write
// marks the chunks it touches, the reset function hands the mask over and clears it, and restoring
// only the marked chunks brings memory back to the image after any sequence of writes.
import { describe, expect, it } from 'vitest'
import { SECTION, Writer, assembleModule, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { b, concat, name, vec } from '../../test/wasm-builders.js'
import { DIRTY_CHUNKS, MEMORY_IMPORT, METER_IMPORT, RESET_GLOBALS_EXPORT, meterModule } from './meter.js'
import { TAKE_DIRTY_EXPORT, addDirtyMarks } from './dirty-marks.js'

const body = (code: number[], locals: number[] = []) => {
  const inner = concat([vec(locals.map((t) => b(1, t))), b(...code, 0x0b)])
  return new Writer().u32(inner.length).bytes(inner).finish()
}
const I32 = 0x7f
const I64 = 0x7e
const F32 = 0x7d
const F64 = 0x7c

/** Two pages (chunks of 4 KiB), a data segment at 5000, and one exported function per kind of write. */
function writerModule(options: { atomics?: boolean } = {}): Uint8Array {
  const types = vec([
    b(0x60, 2, I32, I32, 0), // 0 (addr, v)
    b(0x60, 2, I32, I64, 0), // 1 (addr, v64)
    b(0x60, 2, I32, F64, 0), // 2 (addr, f)
    b(0x60, 3, I32, I32, I32, 0), // 3 (a, b, n)
    b(0x60, 1, I32, 0), // 4 (addr)
    b(0x60, 0, 0), // 5 ()
  ])
  const fns: Array<[string, number, Uint8Array]> = [
    ['st32', 0, body([0x20, 0, 0x20, 1, 0x36, 2, 0])],
    ['st8_off', 0, body([0x20, 0, 0x20, 1, 0x3a, 0, 0x90, 0x03])], // i32.store8 offset=400
    ['st64_off', 1, body([0x20, 0, 0x20, 1, 0x37, 3, 0xe4, 0x00])], // i64.store offset=100
    ['st64_32', 1, body([0x20, 0, 0x20, 1, 0x3e, 2, 0])], // i64.store32
    ['stf64', 2, body([0x20, 0, 0x20, 1, 0x39, 3, 0])],
    // f32.store of a demoted f64, with a local of its own before the scratch locals
    ['stf32', 2, body([0x20, 1, 0xb6, 0x21, 2, 0x20, 0, 0x20, 2, 0x38, 2, 0], [F32])],
    ['v128', 4, body([0x20, 0, 0x41, 0x7f, 0xfd, 17, 0xfd, 11, 4, 0])], // v128.store (i32x4.splat -1)
    ['lane', 4, body([0x20, 0, 0x41, 0x7f, 0xfd, 17, 0xfd, 91, 3, 0, 1])], // v128.store64_lane lane 1
    ['fill', 3, body([0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 11, 0])],
    ['copy', 3, body([0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 10, 0, 0])],
    ['nothing', 5, body([])],
  ]
  if (options.atomics) fns.push(['atomic', 0, body([0x20, 0, 0x20, 1, 0xfe, 0x17, 2, 0])]) // i32.atomic.store
  const funcs = vec(fns.map(([, t]) => b(t)))
  const memory = vec([b(1, 2, 4)])
  const globals = vec([b(I32, 1, 0x41, 5, 0x0b)]) // one mutable global, reset to 5
  const exports = vec([...fns.map(([n], i) => concat([name(n), b(0, i)])), concat([name('memory'), b(2, 0)]), concat([name('g'), b(3, 0)])])
  const data = vec([concat([b(0, 0x41, 0x88, 0x27, 0x0b), vec([...'snapshot'].map((c) => b(c.charCodeAt(0))))])]) // at 5000
  return assembleModule([
    [SECTION.type, types],
    [SECTION.function, funcs],
    [SECTION.memory, memory],
    [SECTION.global, globals],
    [SECTION.export, exports],
    [SECTION.code, vec(fns.map(([, , c]) => c))],
    [SECTION.data, data],
  ])
}

function load(options: { atomics?: boolean } = {}) {
  const metered = meterModule(writerModule(options), { importMemory: true, resetFunction: true, dirtyChunks: true })
  const memory = new WebAssembly.Memory({ initial: metered.initialMemoryPages, maximum: metered.maxMemoryPages! })
  const image = metered.memoryImage!
  const mem = new Uint8Array(memory.buffer)
  mem.set(image)
  const module = new WebAssembly.Module(metered.bytes as Uint8Array<ArrayBuffer>)
  const signal = () => 10_000
  const exports = new WebAssembly.Instance(module, { [METER_IMPORT.module]: { [METER_IMPORT.name]: signal, [MEMORY_IMPORT]: memory } }).exports as Record<string, any>
  const take = () => exports[RESET_GLOBALS_EXPORT]() as number
  return { metered, exports, mem, image, take }
}

const bitsOf = (mask: number) => [...Array(DIRTY_CHUNKS).keys()].filter((i) => mask & (1 << i))

describe('dirty-chunk tracking', () => {
  it('picks the chunk size from the initial memory and starts clean', () => {
    const { metered, take } = load()
    expect(metered.dirtyChunkShift).toBe(12) // 128 KiB / 32 = 4 KiB
    expect(take()).toBe(0)
  })

  it('marks the chunk of every store, including its offset, and the reset clears the mask', () => {
    const { exports, take } = load()
    exports.st32(4096 * 3 + 10, 1)
    expect(bitsOf(take())).toEqual([3])
    expect(take()).toBe(0)
    exports.st8_off(4096 * 5 - 100, 1) // +400 lands in chunk 5
    expect(bitsOf(take())).toEqual([5])
    exports.st64_off(4096 * 7 - 50, 1n) // +100 -> chunk 7
    exports.st64_32(0, 2n)
    expect(bitsOf(take())).toEqual([0, 7])
    exports.stf64(4096 * 31 + 8, 1.5)
    exports.stf32(4096 * 30, 2.5)
    expect(bitsOf(take())).toEqual([30, 31])
    exports.v128(4096 * 9)
    exports.lane(4096 * 10 + 8)
    expect(bitsOf(take())).toEqual([9, 10])
    exports.nothing()
    expect(take()).toBe(0)
  })

  it('marks every chunk a memory.fill or memory.copy covers, and nothing for length 0', () => {
    const { exports, take } = load()
    exports.fill(4096 * 2 + 4000, 7, 4096 * 3) // bytes 12192 .. 24479: chunks 2..5
    expect(bitsOf(take())).toEqual([2, 3, 4, 5])
    exports.copy(4096 * 20, 0, 1)
    expect(bitsOf(take())).toEqual([20])
    exports.fill(4096 * 12, 1, 0)
    expect(take()).toBe(0)
    exports.fill(0, 1, 131072)
    expect(take()).toBe(-1) // all 32 chunks
  })

  it('resets the globals in the same call', () => {
    const { exports, take } = load()
    exports.g.value = 99
    take()
    expect(exports.g.value).toBe(5)
  })

  it('restoring only the marked chunks brings memory back to the image after random writes', () => {
    const { exports, take, mem, image, metered } = load()
    const shift = metered.dirtyChunkShift!
    let seed = 42
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n)
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 1 + rand(6); k++) {
        const addr = rand(131072 - 512)
        const op = rand(8)
        if (op === 0) exports.st32(addr, rand(1000) + 1)
        else if (op === 1) exports.st64_off(addr, BigInt(rand(1000) + 1))
        else if (op === 2) exports.stf64(addr, rand(1000) + 0.5)
        else if (op === 3) exports.v128(addr)
        else if (op === 4) exports.lane(addr)
        else if (op === 5) exports.fill(addr, rand(255) + 1, rand(512))
        else if (op === 6) exports.copy(addr, rand(131072 - 512), rand(512))
        else exports.st8_off(addr, rand(255) + 1)
      }
      const mask = take()
      for (const i of bitsOf(mask)) {
        const start = i << shift
        const end = Math.min(mem.length, ((i + 1) << shift) + 15)
        mem.set(image.subarray(start, end), start)
      }
      expect(Buffer.compare(mem, image)).toBe(0)
    }
  })

  it('leaves a module with atomics untracked: no chunk shift, and its reset reports every chunk', () => {
    const { metered, exports, take } = load({ atomics: true })
    expect(metered.dirtyChunkShift).toBeUndefined()
    exports.atomic(64, 1)
    expect(take()).toBe(-1)
  })
})

describe('dirty marks added to a module as it is (addDirtyMarks, for components)', () => {
  function loadMarked() {
    const marked = addDirtyMarks(writerModule(), 12)!
    const exports = new WebAssembly.Instance(new WebAssembly.Module(marked as Uint8Array<ArrayBuffer>)).exports as Record<string, any>
    const mem = new Uint8Array((exports.memory as WebAssembly.Memory).buffer)
    return { exports, mem, image: mem.slice(), take: () => exports[TAKE_DIRTY_EXPORT]() as number }
  }

  it('marks what the module writes, keeps its own functions and globals where they were, and clears the mask on take', () => {
    const { exports, take } = loadMarked()
    expect(take()).toBe(0)
    exports.st8_off(4096 * 5 - 100, 1)
    exports.fill(4096 * 2 + 4000, 7, 4096 * 3)
    expect(bitsOf(take())).toEqual([2, 3, 4, 5])
    expect(take()).toBe(0)
    exports.g.value = 9 // the module's own global, not the mask
    exports.nothing()
    expect(take()).toBe(0)
  })

  it('restoring only the marked chunks brings memory back after random writes', () => {
    const { exports, take, mem, image } = loadMarked()
    let seed = 7
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n)
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 1 + rand(6); k++) {
        const addr = rand(131072 - 512)
        const op = rand(5)
        if (op === 0) exports.st32(addr, rand(1000) + 1)
        else if (op === 1) exports.v128(addr)
        else if (op === 2) exports.fill(addr, rand(255) + 1, rand(512))
        else if (op === 3) exports.copy(addr, rand(131072 - 512), rand(512))
        else exports.stf64(addr, rand(1000) + 0.5)
      }
      for (const i of bitsOf(take())) mem.set(image.subarray(i << 12, Math.min(mem.length, ((i + 1) << 12) + 15)), i << 12)
      expect(Buffer.compare(mem, image)).toBe(0)
    }
  })

  it('refuses a module whose writes it cannot follow (atomics)', () => {
    expect(addDirtyMarks(writerModule({ atomics: true }), 12)).toBeUndefined()
  })
})
