// Which chunks of a component's memory one request wrote, so that a reset restores only those
// (reset.ts). Two kinds of writer, both marked:
//  - core modules: every store of every module that writes the memory (the main module and the
//    preview-1 adapter that borrows it) marks its chunk (wasm/dirty-marks.ts), in a mask each hands over;
//  - the host: jco's glue writes guest memory in two places only, as the canonical ABI lowers values
//    (1) into regions the guest's realloc returned (strings, lists), marked here by wrapping the realloc
//    exports the glue uses, and (2) into the return area a guest passes as the last argument of an
//    import whose results do not fit in one value, marked by wrapping every host function the core
//    modules import (the whole area, at most `retAreaBytes`, checked against the glue's own offsets).
// A component whose writers cannot all be followed is not tracked: every reset restores everything.
import { addDirtyMarks, dirtyChunkShift, TAKE_DIRTY_EXPORT } from '../wasm/dirty-marks.js'
import type { LruModuleCache } from '../module-cache.js'
import { chunkMask } from '../memory-image.js'

/** Bound on an import's return area, in bytes; a glue that writes further from a return pointer is not tracked. */
export const RET_AREA_BYTES = 4096

/**
 * Largest core module marked on the thread that loads the artifact (the pass takes ~6 ms for the Rust
 * hello's 48 KB, 0.5-1.5 s for a JavaScript engine's 10 MB). Larger ones are tracked only when their
 * marked copy is already compiled: Runtime.prepareAsync (deploys, `jaegis serve`) makes it off the thread.
 */
export const MARK_ON_THREAD_MAX_BYTES = 1 << 20

/** Module-cache key of a core part's marked copy (chunks of 1 << shift bytes); starts with the part's digest, so lanes get it with the part. */
export function trackedKey(digest: string, shift: number): string {
  return `${digest}:dirty${shift}`
}

/** The chunk shift for a component's tracked memory, from its one memory image's size; undefined when it has not exactly one. */
export function trackedShift(imageBytes: readonly number[]): number | undefined {
  return imageBytes.length === 1 ? dirtyChunkShift(imageBytes[0]!) : undefined
}

/** Whether a core module can reach a memory (defines, imports or exports one): its stores must be marked. */
export function reachesMemory(module: WebAssembly.Module, hasImage: boolean): boolean {
  return hasImage || WebAssembly.Module.imports(module).some((i) => i.kind === 'memory') || WebAssembly.Module.exports(module).some((e) => e.kind === 'memory')
}

// `realloc0 = exports1.cabi_realloc;` (and the `Async` twin jco writes beside it, same export).
const REALLOC_ASSIGN_RE = /\b(realloc\d+(?:Async)?) = (?:WebAssembly\.promising\()?exports\d+(?:\.([A-Za-z_$][\w$]*)|\[['"]([^'"]+)['"]\])/g
// Every other mention of those variables must be a read of them (passed on, called): an assignment we do not know ends tracking.
const REALLOC_VAR_RE = /\brealloc\d+(?:Async)?\b\s*=(?!=)/g
// Offsets the glue writes at from a return pointer (`arg3 + 96`), and the sizes of the values it lowers there.
const ARG_OFFSET_RE = /\barg\d+ \+ (\d+)\b/g
const SIZE32_RE = /\b(?:variantSize32|elemSize32|size32): (\d+)\b/g

/** How one artifact's instances are tracked. */
export interface TrackingPlan {
  /** log2 of the chunk size (wasm/dirty-marks.ts). */
  shift: number
  /** The part file whose memory is tracked (the one memory image). */
  memoryFile: string
  /** Tracked copies of the core modules that can write the memory, by the compiled untracked module. */
  tracked: Map<WebAssembly.Module, WebAssembly.Module>
  /** Names of the core exports the glue uses as realloc. */
  reallocExports: Set<string>
}

interface Part {
  file: string
  bytes: Uint8Array
  digest: string
  module: WebAssembly.Module
  /** Bytes of the memory image (the memory's initial size); 0 when the part has none. */
  imageBytes: number
}

/**
 * A plan for tracking, or a reason why not: exactly one host-supplied memory, every module that can
 * reach a memory markable (no atomics, no exceptions), and a glue whose realloc and return-area writes
 * are the shapes above.
 */
export function planTracking(parts: readonly Part[], glueSource: string, cache: LruModuleCache): TrackingPlan | string {
  const withImage = parts.filter((p) => p.imageBytes > 0)
  if (withImage.length !== 1) return `${withImage.length} host-supplied memories (tracking follows one)`
  const memoryFile = withImage[0]!.file
  const reallocExports = new Set<string>()
  for (const m of glueSource.matchAll(REALLOC_ASSIGN_RE)) reallocExports.add(m[2] ?? m[3]!)
  const assigns = [...glueSource.matchAll(REALLOC_VAR_RE)].length
  const known = [...glueSource.matchAll(REALLOC_ASSIGN_RE)].length
  if (assigns !== known) return 'the glue assigns a realloc in a way the marks do not follow'
  let furthest = 0
  for (const m of glueSource.matchAll(ARG_OFFSET_RE)) furthest = Math.max(furthest, Number(m[1]) + 16)
  for (const m of glueSource.matchAll(SIZE32_RE)) furthest = Math.max(furthest, Number(m[1]))
  if (furthest > RET_AREA_BYTES) return `the glue writes up to ${furthest} bytes from a return pointer (the marks cover ${RET_AREA_BYTES})`
  const shift = dirtyChunkShift(withImage[0]!.imageBytes)
  const tracked = new Map<WebAssembly.Module, WebAssembly.Module>()
  for (const p of parts) {
    if (!reachesMemory(p.module, p.imageBytes > 0)) continue
    const key = trackedKey(p.digest, shift)
    const ready = cache.peek(key)
    if (ready) {
      tracked.set(p.module, ready)
      continue
    }
    if (p.bytes.byteLength > MARK_ON_THREAD_MAX_BYTES) return `${p.file} (${p.bytes.byteLength} bytes) was not marked off the thread (Runtime.prepareAsync does)`
    const bytes = addDirtyMarks(p.bytes, shift)
    if (!bytes) return `${p.file} writes memory in ways the marks cannot follow (atomics or exceptions)`
    tracked.set(p.module, cache.get(bytes, key).module)
  }
  return { shift, memoryFile, tracked, reallocExports }
}

/** One instance's marks: the chunks the host wrote, and how to ask each tracked core instance for its own. */
export class InstanceMarks {
  /** Chunks the host (the glue) wrote since the last take(). */
  private host = 0
  private readonly takes: Array<() => number> = []
  /** Functions exported by this instance's core instances: imports that are wasm, not the host. */
  private readonly wasmFunctions = new WeakSet<object>()

  constructor(private readonly plan: TrackingPlan) {}

  /** Marks bytes [ptr, ptr + len) as written by the host. */
  mark(ptr: number, len: number): void {
    this.host |= chunkMask(ptr, len, this.plan.shift)
  }

  /** The chunks written since the last call, by anyone; clears them. */
  take(): number {
    let mask = this.host
    this.host = 0
    for (const take of this.takes) mask |= take()
    return mask
  }

  /** The import object with every host function wrapped to mark its last argument's return area. */
  wrapImports(imports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined {
    if (!imports) return imports
    const out: WebAssembly.Imports = {}
    for (const [mod, fields] of Object.entries(imports)) {
      const wrapped: Record<string, WebAssembly.ImportValue> = {}
      for (const [name, v] of Object.entries(fields)) wrapped[name] = typeof v === 'function' && !this.wasmFunctions.has(v) ? this.markingImport(v as (...args: unknown[]) => unknown) : v
      out[mod] = wrapped
    }
    return out
  }

  /** What the glue sees of a core instance: its exports, with the realloc ones marking what they return. */
  adopt(instance: WebAssembly.Instance): WebAssembly.Instance {
    const exports: Record<string, WebAssembly.ExportValue> = { ...instance.exports }
    for (const v of Object.values(exports)) if (typeof v === 'function') this.wasmFunctions.add(v)
    const take = instance.exports[TAKE_DIRTY_EXPORT]
    if (typeof take === 'function') this.takes.push(take as () => number)
    for (const name of this.plan.reallocExports) {
      const realloc = exports[name]
      if (typeof realloc !== 'function') continue
      const wrapped = (oldPtr: number, oldLen: number, align: number, newLen: number) => {
        const ptr = (realloc as (a: number, b: number, c: number, d: number) => number)(oldPtr, oldLen, align, newLen)
        this.mark(ptr, newLen)
        return ptr
      }
      this.wasmFunctions.add(wrapped)
      exports[name] = wrapped
    }
    return { exports } as WebAssembly.Instance
  }

  private markingImport(fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    return (...args: unknown[]) => {
      const last = args[args.length - 1]
      try {
        return fn(...args)
      } finally {
        // Marked even when the call throws: it may have written part of its results first.
        if (typeof last === 'number') this.mark(last >>> 0, RET_AREA_BYTES)
      }
    }
  }
}
