// Memories of dropped instances, kept for the next new instances of the same function version:
// already faulted in, they make a host-warm start cheap (Wasmtime's pooling allocator, in JavaScript).
// The pool owns one and bounds it; strategies put memories in and take them out by key.

/** Memories kept per key at the least, whatever the pool's maxWarm. */
export const SPARE_MEMORIES_MIN = 2

export class SpareMemories {
  private readonly byKey = new Map<string, WebAssembly.Memory[]>()
  /** Memories kept per key at most; the pool sets it from its bounds. @default SPARE_MEMORIES_MIN */
  limit = SPARE_MEMORIES_MIN
  private closed = false

  /** Keeps `memory` under `key` when it still has its initial size (`bytes`: a memory cannot shrink) and there is room. */
  keep(key: string, memory: WebAssembly.Memory, bytes: number): void {
    if (this.closed || memory.buffer.byteLength !== bytes) return
    const list = this.byKey.get(key)
    if (!list) this.byKey.set(key, [memory])
    else if (list.length < this.limit) list.push(memory)
  }

  /** A kept memory for `key` (its contents are whatever the last instance left), or undefined. */
  take(key: string): WebAssembly.Memory | undefined {
    return this.byKey.get(key)?.pop()
  }

  /** Lets go of the memories beyond `limit` per key (after the pool shrank). */
  trim(): void {
    for (const list of this.byKey.values()) if (list.length > this.limit) list.length = this.limit
  }

  /** Drops every memory and keeps none from now on. */
  close(): void {
    this.closed = true
    this.byKey.clear()
  }
}
