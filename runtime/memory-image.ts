// A core module's snapshot memory (its data segments after pre-initialization) and how to put it
// back into an instance's memory: whole, or only the chunks a request dirtied.

/** Non-zero stretches closer than this many bytes are copied as one (cheaper than zeroing a short gap). */
const RUN_JOIN_GAP_BYTES = 256

export class MemoryImage {
  /** Non-zero stretches of the image as [start, end) pairs: a restore copies these and zeroes the gaps. */
  private readonly runs: number[]

  constructor(readonly bytes: Uint8Array) {
    this.runs = nonZeroRuns(bytes, RUN_JOIN_GAP_BYTES)
  }

  get byteLength(): number {
    return this.bytes.byteLength
  }

  /** Restores bytes [from, to) of `mem` from the image; `zeroGaps` false skips zeroing (memory known zero). */
  restore(mem: Uint8Array, from: number, to: number, zeroGaps = true): void {
    const runs = this.runs
    const image = this.bytes
    let at = from
    for (let i = 0; i < runs.length && at < to; i += 2) {
      const start = runs[i]!
      const end = runs[i + 1]!
      if (end <= at) continue
      if (start >= to) break
      if (start > at) {
        if (zeroGaps) mem.fill(0, at, start)
        at = start
      }
      const stop = Math.min(end, to)
      mem.set(image.subarray(at, stop), at)
      at = stop
    }
    if (zeroGaps && at < to) mem.fill(0, at, to)
  }

  /** Restores the chunks (of 1 << shift bytes) whose bits are set in `mask` (chunkMask). */
  restoreChunks(mem: Uint8Array, mask: number, shift: number): void {
    const size = this.bytes.byteLength
    for (let bit = 0; bit < 32; bit++) {
      if ((mask & (1 << bit)) === 0) continue
      let last = bit
      while (last < 31 && mask & (1 << (last + 1))) last++
      // A store of up to 16 bytes is marked by its first byte: restore 15 more past the chunk.
      this.restore(mem, bit << shift, Math.min(size, ((last + 1) << shift) + 15))
      bit = last
    }
  }
}

/** Bits of the chunks (of 1 << shift bytes) that bytes [ptr, ptr + len) fall in. */
export function chunkMask(ptr: number, len: number, shift: number): number {
  if (len <= 0) return 0
  const first = ptr >>> shift
  const last = (ptr + len - 1) >>> shift
  if (first > 31) return 0
  return (-1 << first) & (-1 >>> (31 - Math.min(last, 31)))
}

/** [start, end) pairs of the non-zero stretches of `image`, joining stretches less than `gap` bytes apart. */
function nonZeroRuns(image: Uint8Array, gap: number): number[] {
  const runs: number[] = []
  let i = 0
  while (i < image.length) {
    while (i < image.length && image[i] === 0) i++
    if (i === image.length) break
    let end = i
    let zeros = 0
    for (let j = i; j < image.length && zeros < gap; j++) {
      if (image[j] === 0) zeros++
      else {
        zeros = 0
        end = j + 1
      }
    }
    // The scan above stopped only after `gap` zeros, so this run cannot join the previous one.
    runs.push(i, end)
    i = end
  }
  return runs
}
