// Putting a used component instance back to its post-instantiation state without making a new one:
// the core instances stay; their memories and mutable globals are restored from a snapshot taken right
// after the first instance was made, and the glue empties its resource tables (glue.ts, addResetHooks).
// Running the whole glue again would also be fresh, but it defines its classes anew each time, so every
// inline cache in it goes megamorphic: the Rust hello took ~2.2 ms per request and reset that way, ~0.14 ms now.
import { MemoryImage } from '../memory-image.js'
import { GLOBAL_EXPORT_PREFIX } from '../wasm/meter.js'
import { definedMutableGlobals } from '../wasm/export-globals.js'

/** The mutable globals of one core instance (its GLOBAL_EXPORT_PREFIX exports), in export order. */
export function exportedGlobals(instance: WebAssembly.Instance): WebAssembly.Global[] {
  const out: WebAssembly.Global[] = []
  for (const [name, v] of Object.entries(instance.exports)) if (name.startsWith(GLOBAL_EXPORT_PREFIX) && v instanceof WebAssembly.Global) out.push(v)
  return out
}

/** A component instance's state right after instantiation: memories (by part file) and every core instance's mutable globals. */
export class ComponentSnapshot {
  private constructor(
    private readonly memories: Map<string, MemoryImage>,
    private readonly globals: Array<Array<number | bigint>>,
  ) {}

  /**
   * Taken from an instance right after it was created. A memory equal to its data image (no start
   * function wrote to it: the usual case) shares the image's runs instead of a copy.
   */
  static take(globals: ReadonlyArray<readonly WebAssembly.Global[]>, memories: ReadonlyArray<{ file: string; memory: WebAssembly.Memory }>, images: ReadonlyMap<string, MemoryImage>): ComponentSnapshot {
    const byFile = new Map<string, MemoryImage>()
    for (const { file, memory } of memories) {
      const now = new Uint8Array(memory.buffer)
      const image = images.get(file)
      byFile.set(file, image && image.byteLength === now.byteLength && Buffer.compare(image.bytes, now) === 0 ? image : new MemoryImage(now.slice()))
    }
    return new ComponentSnapshot(byFile, globals.map((gs) => gs.map((g) => g.value as number | bigint)))
  }

  /**
   * Restores memories and globals. False when a memory grew (a memory cannot shrink): drop the instance.
   * With `dirty`, that memory gets only the chunks in its mask back (the rest is known unchanged: dirty.ts).
   */
  restore(globals: ReadonlyArray<readonly WebAssembly.Global[]>, memories: ReadonlyArray<{ file: string; memory: WebAssembly.Memory }>, dirty?: { file: string; mask: number; shift: number }): boolean {
    for (const { file, memory } of memories) {
      const image = this.memories.get(file)
      if (!image || memory.buffer.byteLength !== image.byteLength) return false
    }
    for (const { file, memory } of memories) {
      const image = this.memories.get(file)!
      if (dirty && dirty.file === file) image.restoreChunks(new Uint8Array(memory.buffer), dirty.mask, dirty.shift)
      else image.restore(new Uint8Array(memory.buffer), 0, image.byteLength)
    }
    for (let i = 0; i < globals.length; i++) {
      const gs = globals[i]!
      const values = this.globals[i]!
      for (let j = 0; j < gs.length; j++) gs[j]!.value = values[j]
    }
    return true
  }
}

/**
 * Why instances of these core modules cannot be reset, or undefined when they can: every defined mutable
 * global must be exported (artifacts built before the exports were added to unmetered modules lack them),
 * and every module with a memory of its own must get it from the host (an image).
 */
export function resetBlocker(parts: ReadonlyArray<{ file: string; bytes: Uint8Array; module: WebAssembly.Module; hasImage: boolean; definesMemory: boolean }>): string | undefined {
  for (const p of parts) {
    if (p.definesMemory && !p.hasImage) return `${p.file} has a memory without an image`
    const exported = new Set(WebAssembly.Module.exports(p.module).filter((e) => e.kind === 'global' && e.name.startsWith(GLOBAL_EXPORT_PREFIX)).map((e) => e.name))
    if (p.hasImage) continue // metered with its globals exported (meterModule always does)
    const missing = definedMutableGlobals(p.bytes).filter((g) => !exported.has(GLOBAL_EXPORT_PREFIX + g))
    if (missing.length > 0) return `${p.file} has mutable globals it does not export (an artifact built before resets)`
  }
  return undefined
}
