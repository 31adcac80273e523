// Bump-allocated linear memory for the topology kernel: the wrapper lays out graphs and per-call
// buffers here; nothing is freed except by rolling back to a mark.

// The arena: [__heap_base, top) is in use. mark()/release() let the wrapper free per-call buffers.
let top: usize = (__heap_base + 15) & ~(<usize>15)

/** Reserves `bytes` (16-byte aligned), growing memory as needed. Returns 0 when memory cannot grow. */
export function alloc(bytes: i32): usize {
  const ptr = top
  const end = (ptr + <usize>bytes + 15) & ~(<usize>15)
  const have = (<usize>memory.size()) << 16
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16)
    if (memory.grow(pages) < 0) return 0
  }
  top = end
  return ptr
}

/** The current arena top, to hand back to release(). */
export function mark(): usize {
  return top
}

/** Frees everything allocated since `m` was taken. */
export function release(m: usize): void {
  top = m
}
