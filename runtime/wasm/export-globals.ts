// Exports a core module's defined mutable globals (as GLOBAL_EXPORT_PREFIX + index, the names the
// metering pass uses) and changes nothing else: for the modules metering leaves alone (jco's shim and
// fixup modules, the preview-1 adapter), so that the host can put their globals back on a reset.
import { Reader, SECTION, SECTION_ORDER, Writer, assembleModule, countImports, invalid, readSections, skipConstExpr, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { GLOBAL_EXPORT_PREFIX } from './meter.js'

/** Indices (in the global index space, imports first) of the globals `bytes` defines as mutable. */
export function definedMutableGlobals(bytes: Uint8Array): number[] {
  const sections = readSections(bytes)
  const imp = sections.find((s) => s.id === SECTION.import)
  const importedGlobals = imp ? countImports(new Reader(bytes, imp.start, imp.end)).globals : 0
  const glob = sections.find((s) => s.id === SECTION.global)
  if (!glob) return []
  const r = new Reader(bytes, glob.start, glob.end)
  const n = r.u32()
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const type = r.u8()
    // Reference types with a heap type index (the GC proposal) are longer than a byte: not supported.
    if (type === 0x63 || type === 0x64) throw invalid('typed reference globals are not supported')
    if (r.u8() === 1) out.push(importedGlobals + i)
    skipConstExpr(r)
  }
  return out
}

/** `input` with every defined mutable global exported as GLOBAL_EXPORT_PREFIX + index (unchanged when it has none). */
export function exportMutableGlobals(input: Uint8Array): { bytes: Uint8Array; mutableGlobals: number[] } {
  const mutableGlobals = definedMutableGlobals(input)
  if (mutableGlobals.length === 0) return { bytes: input, mutableGlobals }
  const sections = readSections(input)
  const exp = sections.find((s) => s.id === SECTION.export)
  const w = new Writer()
  let count = 0
  const names = new Set<string>()
  if (exp) {
    const r = new Reader(input, exp.start, exp.end)
    count = r.u32()
    const from = r.pos
    for (let i = 0; i < count; i++) {
      names.add(r.name())
      r.u8()
      r.u32()
    }
    w.bytes(input.subarray(from, exp.end))
  }
  for (const g of mutableGlobals) {
    const name = GLOBAL_EXPORT_PREFIX + g
    if (names.has(name)) throw invalid(`the module already exports ${name}`)
    w.name(name).u8(3).u32(g)
    count++
  }
  const payload = vectorPayload(count, w.finish())
  const out: Array<[number, Uint8Array]> = []
  const rank = (id: number) => SECTION_ORDER.indexOf(id)
  let placed = false
  for (const s of sections) {
    if (s.id === SECTION.export) {
      out.push([s.id, payload])
      placed = true
      continue
    }
    // No export section yet: it goes before the first known section that must follow it.
    if (!placed && s.id !== SECTION.custom && rank(s.id) > rank(SECTION.export)) {
      out.push([SECTION.export, payload])
      placed = true
    }
    out.push([s.id, input.subarray(s.start, s.end)])
  }
  if (!placed) out.push([SECTION.export, payload])
  return { bytes: assembleModule(out), mutableGlobals }
}
