// The metering pass on hand-assembled modules: behaviour is preserved, every loop is interruptible,
// refused grows are reported, function indices shift correctly everywhere they appear.
import { describe, expect, it } from 'vitest'
import { SECTION, Writer, assembleModule, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { GLOBAL_EXPORT_PREFIX, METER_IMPORT, RESET_GLOBALS_EXPORT, SIGNAL_FUEL, SIGNAL_GROW, SIGNAL_GROW_FAILED, meterModule } from './meter.js'

const vec = (items: Uint8Array[]) => vectorPayload(items.length, concat(items))
const concat = (parts: Uint8Array[]) => {
  const w = new Writer()
  for (const p of parts) w.bytes(p)
  return w.finish()
}
const b = (...bytes: number[]) => Uint8Array.from(bytes)
const name = (s: string) => new Writer().name(s).finish()
const body = (code: number[], locals: number[] = []) => {
  const inner = concat([vec(locals.map((t) => b(1, t))), b(...code, 0x0b)])
  return new Writer().u32(inner.length).bytes(inner).finish()
}

/**
 * Imports host.add1 (func 0). Defines: 1 run(n): loop summing add1 via call_indirect, n times;
 * 2 twice(x) = x*2; 3 start: g = 7; 4 grow(n) = memory.grow(n); 5 spin(): loops forever.
 */
function sampleModule(): Uint8Array {
  const types = vec([b(0x60, 1, 0x7f, 1, 0x7f), b(0x60, 0, 0), b(0x60, 0, 1, 0x7f)])
  const imports = vec([concat([name('host'), name('add1'), b(0, 0)])])
  const funcs = vec([b(0), b(0), b(1), b(0), b(2)])
  const table = vec([b(0x70, 0, 2)])
  const memory = vec([b(1, 1, 4)])
  const globals = vec([b(0x7f, 1, 0x41, 0, 0x0b)])
  const exports = vec([
    concat([name('run'), b(0, 1)]),
    concat([name('twice'), b(0, 2)]),
    concat([name('grow'), b(0, 4)]),
    concat([name('spin'), b(0, 5)]),
    concat([name('g'), b(3, 0)]),
    concat([name('memory'), b(2, 0)]),
  ])
  const start = b(3)
  // table[0] = twice (func 2), table[1] = host add1 (func 0)
  const elems = vec([b(0, 0x41, 0, 0x0b, 2, 2, 0)])
  // run(n): acc = 0; loop { acc = table[0](acc) ... } — acc += 1 via call_indirect of add1 (slot 1), n times; returns twice(acc)
  const run = body(
    [
      0x02, 0x40, // block
      0x03, 0x40, // loop
      0x20, 0, 0x45, 0x0d, 1, // br_if 1 when n == 0
      0x20, 1, 0x41, 1, 0x11, 0, 0, 0x21, 1, // acc = call_indirect type0 table0 (slot 1 = add1)
      0x20, 0, 0x41, 1, 0x6b, 0x21, 0, // n--
      0x0c, 0, // br loop
      0x0b, 0x0b,
      0x20, 1, 0x10, 2, // twice(acc)
    ],
    [0x7f],
  )
  const twice = body([0x20, 0, 0x41, 2, 0x6c])
  const startFn = body([0x41, 7, 0x24, 0])
  const grow = body([0x20, 0, 0x40, 0])
  const spin = body([0x03, 0x40, 0x0c, 0, 0x0b, 0x41, 0])
  const code = vec([run, twice, startFn, grow, spin])
  return assembleModule([
    [SECTION.type, types],
    [SECTION.import, imports],
    [SECTION.function, funcs],
    [SECTION.table, table],
    [SECTION.memory, memory],
    [SECTION.global, globals],
    [SECTION.export, exports],
    [SECTION.start, start],
    [SECTION.element, elems],
    [SECTION.code, code],
  ])
}

function instantiate(bytes: Uint8Array, signal: (kind: number, arg: number) => number) {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)
  return new WebAssembly.Instance(module, { host: { add1: (x: number) => x + 1 }, [METER_IMPORT.module]: { [METER_IMPORT.name]: signal } }).exports as Record<string, any>
}

describe('meterModule', () => {
  const original = sampleModule()

  it('leaves the original module valid and its behaviour unchanged', () => {
    const plain = new WebAssembly.Instance(new WebAssembly.Module(original as Uint8Array<ArrayBuffer>), { host: { add1: (x: number) => x + 1 } }).exports as Record<string, any>
    const { bytes } = meterModule(original)
    const metered = instantiate(bytes, () => 10_000)
    expect(metered.run(1000)).toBe(plain.run(1000))
    expect(metered.run(1000)).toBe(2000)
    expect(metered.twice(21)).toBe(42)
    expect(metered.g.value).toBe(7) // the start function ran, through its shifted index
  })

  it('exports mutable globals for reset', () => {
    const { bytes, mutableGlobals } = meterModule(original)
    expect(mutableGlobals).toEqual([0])
    const e = instantiate(bytes, () => 10_000)
    expect(e[GLOBAL_EXPORT_PREFIX + '0'].value).toBe(7)
    e[GLOBAL_EXPORT_PREFIX + '0'].value = 9
    expect(e.g.value).toBe(9)
  })

  it('can reset mutable globals with one exported function instead of exporting them', () => {
    const { bytes, mutableGlobals, resetFunction } = meterModule(original, { resetFunction: true })
    expect(resetFunction).toBe(true)
    expect(mutableGlobals).toEqual([])
    const e = instantiate(bytes, () => 10_000)
    expect(e[GLOBAL_EXPORT_PREFIX + '0']).toBeUndefined()
    expect(e.g.value).toBe(7) // set by the start function
    e[RESET_GLOBALS_EXPORT]()
    expect(e.g.value).toBe(0) // back to its initial constant
    expect(e.run(10)).toBe(20) // and the module still works
  })

  it('calls the host every fuelPerCheck iterations, so a host can stop an endless loop', () => {
    const { bytes } = meterModule(original, { fuelPerCheck: 100 })
    let checks = 0
    const e = instantiate(bytes, (kind) => {
      expect(kind).toBe(SIGNAL_FUEL)
      if (++checks === 50) throw new Error('deadline')
      return 100
    })
    expect(() => e.spin()).toThrow('deadline')
    expect(checks).toBe(50)
  })

  it('caps memory and reports a refused grow', () => {
    const { bytes, maxMemoryPages } = meterModule(original, { maxMemoryPages: 2 })
    expect(maxMemoryPages).toBe(2)
    const seen: Array<[number, number]> = []
    const e = instantiate(bytes, (kind, arg) => {
      seen.push([kind, arg])
      return 0
    })
    expect(e.grow(1)).toBe(1) // 1 -> 2 pages: allowed
    expect(e.grow(1)).toBe(-1) // 3 pages: over the cap
    expect(seen).toEqual([[SIGNAL_GROW, 1], [SIGNAL_GROW, 1], [SIGNAL_GROW_FAILED, 1]])
    expect(e.memory.buffer.byteLength).toBe(2 * 65536)
  })

  it('tells the host of every grow before it happens, so a host can stop the invocation there', () => {
    const { bytes } = meterModule(original, { maxMemoryPages: 100 })
    const e = instantiate(bytes, (kind, arg) => {
      if (kind === SIGNAL_GROW && arg >= 10) throw new Error('too big for here')
      return 0
    })
    expect(e.grow(2)).toBe(1)
    expect(() => e.grow(10)).toThrow('too big for here')
    expect(e.memory.buffer.byteLength).toBe(3 * 65536) // the stopped grow never happened
  })

  it('never raises a cap the module already has', () => {
    expect(meterModule(original, { maxMemoryPages: 100 }).maxMemoryPages).toBe(4)
  })

  it('rejects bytes that are not a module, naming the problem', () => {
    expect(() => meterModule(new TextEncoder().encode('hello world'))).toThrow(/not a valid WebAssembly module: not a WebAssembly module/)
    expect(() => meterModule(original.subarray(0, original.length - 3))).toThrow(/not a valid WebAssembly module/)
    // A component (layer 1) is not a core module.
    expect(() => meterModule(b(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0))).toThrow(/components are not core modules/)
  })

  it('rejects a module whose initial memory is over the limit', () => {
    expect(() => meterModule(original, { maxMemoryPages: 0 })).toThrow(/initial memory of 1 pages is over the limit of 0 pages/)
  })
})
