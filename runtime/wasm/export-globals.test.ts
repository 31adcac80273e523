// exportMutableGlobals on hand-assembled modules: the defined mutable globals become reachable
// exports (index space counting imported globals first), nothing else changes.
import { describe, expect, it } from 'vitest'
import { SECTION, Writer, assembleModule, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { b, concat, name, vec } from '../../test/wasm-builders.js'
import { definedMutableGlobals, exportMutableGlobals } from './export-globals.js'
import { GLOBAL_EXPORT_PREFIX } from './meter.js'


/** Imports one immutable global; defines a mutable i32 (7), an immutable i32 (1) and a mutable i64 (-2); `bump` adds 1 to the first. */
function sample(withExports: boolean): Uint8Array {
  const types = vec([b(0x60, 0, 1, 0x7f)])
  const imports = vec([concat([name('host'), name('base'), b(3, 0x7f, 0)])])
  const funcs = vec([b(0)])
  const globals = vec([b(0x7f, 1, 0x41, 7, 0x0b), b(0x7f, 0, 0x41, 1, 0x0b), b(0x7e, 1, 0x42, 0x7e, 0x0b)])
  const code = concat([b(0), b(0x23, 1, 0x41, 1, 0x6a, 0x24, 1, 0x23, 1, 0x0b)])
  const sections: Array<[number, Uint8Array]> = [[SECTION.type, types], [SECTION.import, imports], [SECTION.function, funcs], [SECTION.global, globals]]
  if (withExports) sections.push([SECTION.export, vec([concat([name('bump'), b(0, 0)])])])
  sections.push([SECTION.code, vec([new Writer().u32(code.length).bytes(code).finish()])])
  return assembleModule(sections)
}

describe('exportMutableGlobals', () => {
  it('exports every defined mutable global by its index, keeping the exports and the code', () => {
    const { bytes, mutableGlobals } = exportMutableGlobals(sample(true))
    expect(mutableGlobals).toEqual([1, 3])
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { host: { base: new WebAssembly.Global({ value: 'i32' }, 0) } })
    const g1 = inst.exports[`${GLOBAL_EXPORT_PREFIX}1`] as WebAssembly.Global
    const g3 = inst.exports[`${GLOBAL_EXPORT_PREFIX}3`] as WebAssembly.Global
    expect([g1.value, g3.value]).toEqual([7, -2n])
    expect((inst.exports.bump as () => number)()).toBe(8)
    g1.value = 7 // what a reset does
    expect((inst.exports.bump as () => number)()).toBe(8)
    expect(Object.keys(inst.exports).sort()).toEqual(['__jaegis_g1', '__jaegis_g3', 'bump'])
  })

  it('adds an export section where there was none, and leaves a module without mutable globals alone', () => {
    const { bytes } = exportMutableGlobals(sample(false))
    expect(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name)).toEqual(['__jaegis_g1', '__jaegis_g3'])
    expect(definedMutableGlobals(bytes)).toEqual([1, 3])
    const plain = assembleModule([[SECTION.type, vec([b(0x60, 0, 0)])]])
    expect(exportMutableGlobals(plain).bytes).toBe(plain)
  })
})
