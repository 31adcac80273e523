// Dijkstra over a graph in compressed sparse row form, held in this module's linear memory.
// Memory is a bump arena the TypeScript wrapper (kernels/topology/engine.ts) lays out; this file only computes.

import { alloc } from './arena'

export { alloc, mark, release } from './arena'

// The graph: n nodes; arcs of u are off[u]..off[u+1] into tgt (i32) and wt (f64).
let n: i32 = 0
let off: usize = 0
let tgt: usize = 0
let wt: usize = 0
// Indexed binary heap of node ids keyed by dist[node]; pos[node] is the node's slot while it is queued.
let heap: usize = 0
let pos: usize = 0
// Bucket queue (see dijkstraBucket): entry pool, ring of bucket heads, 1 / bucket width.
let pool: usize = 0
let heads: usize = 0
let bucketCount: i32 = 0
let poolCap: i32 = 0
let invWidth: f64 = 0
/** Which queue dijkstra() uses: 0 = indexed binary heap, 1 = bucket queue. */
let queueKind: i32 = 0

/** Most buckets the ring may have; graphs whose max/min arc weight ratio needs more use the binary heap. */
const MAX_BUCKETS: i32 = 1 << 16

/** Points the kernel at a CSR graph the wrapper wrote into memory and allocates its queues. Returns 0 when out of memory. */
export function setGraph(nodeCount: i32, offsetsPtr: usize, targetsPtr: usize, weightsPtr: usize): i32 {
  n = nodeCount
  off = offsetsPtr
  tgt = targetsPtr
  wt = weightsPtr
  heap = alloc(nodeCount << 2)
  pos = alloc(nodeCount << 2)
  if (heap == 0 || pos == 0) return 0
  // Bucket width: the smallest positive arc weight less a margin of 1e-6 of it, so that floor(d / width)
  // computed in doubles still puts every improvement in a later bucket.
  const arcs = load<i32>(off + ((<usize>nodeCount) << 2))
  let minW: f64 = Infinity
  let maxW: f64 = 0
  for (let e = 0; e < arcs; e++) {
    const w = load<f64>(wt + ((<usize>e) << 3))
    if (w < minW) minW = w
    if (w > maxW) maxW = w
  }
  queueKind = 0
  // Zero-weight arcs would improve nodes inside the bucket being emptied: those graphs use the heap.
  if (arcs > 0 && minW > 0 && maxW / minW < <f64>(MAX_BUCKETS - 4)) {
    const width = minW * (1 - 1e-6)
    let count: i32 = 4
    while (<f64>count < maxW / width + 3) count <<= 1
    // Live entries never exceed one per arc plus one per source.
    poolCap = arcs + nodeCount + 1
    pool = alloc(poolCap << 4)
    heads = alloc(count << 2)
    if (pool == 0 || heads == 0) return 0
    bucketCount = count
    invWidth = 1 / width
    queueKind = 1
  }
  return 1
}

/** The queue setGraph chose: 0 = indexed binary heap, 1 = bucket queue. */
export function queue(): i32 {
  return queueKind
}

/** Forces the binary heap (0) or, when setGraph made one, the bucket queue (1). For tests and benchmarks. */
export function setQueue(kind: i32): void {
  queueKind = kind == 1 && bucketCount > 0 ? 1 : 0
}

// @inline keeps these in the hot loop; every load is unchecked (the wrapper validated the graph).
@inline function distOf(dist: usize, v: i32): f64 {
  return load<f64>(dist + ((<usize>v) << 3))
}
@inline function place(i: i32, v: i32): void {
  store<i32>(heap + ((<usize>i) << 2), v)
  store<i32>(pos + ((<usize>v) << 2), i)
}

/** Moves node v (key d) up from slot i to where the heap order holds. */
@inline function siftUp(dist: usize, i: i32, v: i32, d: f64): void {
  while (i > 0) {
    const p = (i - 1) >> 1
    const pv = load<i32>(heap + ((<usize>p) << 2))
    if (distOf(dist, pv) <= d) break
    place(i, pv)
    i = p
  }
  place(i, v)
}

/** Moves node v (key d) down from slot i in a heap of `size` entries. */
@inline function siftDown(dist: usize, i: i32, v: i32, d: f64, size: i32): void {
  for (;;) {
    let c = (i << 1) + 1
    if (c >= size) break
    let cv = load<i32>(heap + ((<usize>c) << 2))
    let cd = distOf(dist, cv)
    const c2 = c + 1
    if (c2 < size) {
      const v2 = load<i32>(heap + ((<usize>c2) << 2))
      const d2 = distOf(dist, v2)
      if (d2 < cd) {
        c = c2
        cv = v2
        cd = d2
      }
    }
    if (d <= cd) break
    place(i, cv)
    i = c
  }
  place(i, v)
}

function fillInfinity(dist: usize): void {
  const end = dist + ((<usize>n) << 3)
  for (let p = dist; p < end; p += 8) store<f64>(p, Infinity)
}

/**
 * Dijkstra from the `count` nodes at srcPtr (all at distance 0) into dist (n f64).
 * When originOut != 0 it also records, per node, the index (into the sources) of its nearest source.
 * When maskPtr != 0 it stops once `stopAfter` nodes with mask byte 1 are settled, writing their ids
 * to foundPtr in settling order. Returns the number of such nodes found (0 without a mask).
 * A node is queued iff its dist became finite and it is not settled: with non-negative weights a
 * settled node never improves, so no "settled" flag is needed.
 */
function dijkstraBinary(dist: usize, srcPtr: usize, count: i32, originOut: usize, maskPtr: usize, stopAfter: i32, foundPtr: usize): i32 {
  fillInfinity(dist)
  let size: i32 = 0
  for (let i = 0; i < count; i++) {
    const s = load<i32>(srcPtr + ((<usize>i) << 2))
    if (distOf(dist, s) == Infinity) {
      store<f64>(dist + ((<usize>s) << 3), 0)
      if (originOut) store<i32>(originOut + ((<usize>s) << 2), i)
      place(size, s)
      size++
    }
  }
  let found: i32 = 0
  while (size > 0) {
    const u = load<i32>(heap)
    const du = distOf(dist, u)
    size--
    if (size > 0) {
      const x = load<i32>(heap + ((<usize>size) << 2))
      siftDown(dist, 0, x, distOf(dist, x), size)
    }
    if (maskPtr && load<u8>(maskPtr + <usize>u) == 1) {
      store<i32>(foundPtr + ((<usize>found) << 2), u)
      found++
      if (found >= stopAfter) break
    }
    const e0 = load<i32>(off + ((<usize>u) << 2))
    const e1 = load<i32>(off + ((<usize>u) << 2), 4)
    const ou: i32 = originOut ? load<i32>(originOut + ((<usize>u) << 2)) : 0
    for (let e = e0; e < e1; e++) {
      const v = load<i32>(tgt + ((<usize>e) << 2))
      const nd = du + load<f64>(wt + ((<usize>e) << 3))
      const dv = distOf(dist, v)
      if (nd < dv) {
        store<f64>(dist + ((<usize>v) << 3), nd)
        if (originOut) store<i32>(originOut + ((<usize>v) << 2), ou)
        let p: i32
        if (dv == Infinity) {
          p = size
          size++
        } else {
          p = load<i32>(pos + ((<usize>v) << 2))
        }
        siftUp(dist, p, v, nd)
      }
    }
  }
  return found
}

// Bucket-queue entries: 16 bytes at pool + slot*16 = key f64 (the distance when pushed) | node i32 | next i32.
@inline function entryKey(slot: i32): f64 {
  return load<f64>(pool + ((<usize>slot) << 4))
}
@inline function entryNode(slot: i32): i32 {
  return load<i32>(pool + ((<usize>slot) << 4), 8)
}
@inline function entryNext(slot: i32): i32 {
  return load<i32>(pool + ((<usize>slot) << 4), 12)
}
@inline function setNext(slot: i32, next: i32): void {
  store<i32>(pool + ((<usize>slot) << 4), next, 12)
}
@inline function headOf(b: i32): i32 {
  return load<i32>(heads + ((<usize>b) << 2))
}
@inline function setHead(b: i32, slot: i32): void {
  store<i32>(heads + ((<usize>b) << 2), slot)
}

/**
 * The same search as dijkstraBinary with a bucket queue (Dial 1969; for real weights Dinitz 1978):
 * bucket i holds keys in [i*w, (i+1)*w) where the width w is a hair under the smallest arc weight, so
 * no node in the current bucket can improve another one there and any order within a bucket settles
 * final distances. Live keys span at most the largest arc weight, so a ring of bucketCount (a power
 * of two) buckets suffices. Entries are never decreased: an improved node is pushed again and the
 * stale entry (key != dist) is skipped. Should rounding ever let a settled node improve, it is pushed
 * and relaxed again (label correcting), so results stay exact. Buckets are singly linked lists (LIFO)
 * through a pool with a free list; settling each node once needs at most one entry per arc plus one
 * per source. Returns -1 if the pool runs out anyway (then the caller reruns with the binary heap).
 */
function dijkstraBucket(dist: usize, srcPtr: usize, count: i32, originOut: usize, maskPtr: usize, stopAfter: i32, foundPtr: usize): i32 {
  fillInfinity(dist)
  const ringMask = bucketCount - 1
  for (let b = 0; b < bucketCount; b++) setHead(b, -1)
  let freeHead: i32 = -1
  let poolTop: i32 = 0
  let live: i32 = 0
  for (let i = 0; i < count; i++) {
    const s = load<i32>(srcPtr + ((<usize>i) << 2))
    if (distOf(dist, s) == Infinity) {
      store<f64>(dist + ((<usize>s) << 3), 0)
      if (originOut) store<i32>(originOut + ((<usize>s) << 2), i)
      const slot = poolTop++
      store<f64>(pool + ((<usize>slot) << 4), 0)
      store<i32>(pool + ((<usize>slot) << 4), s, 8)
      setNext(slot, headOf(0))
      setHead(0, slot)
      live++
    }
  }
  let found: i32 = 0
  let cur: i64 = 0 // absolute index of the bucket being emptied
  while (live > 0) {
    let slot = headOf(<i32>cur & ringMask)
    while (slot < 0) {
      cur++
      slot = headOf(<i32>cur & ringMask)
    }
    setHead(<i32>cur & ringMask, entryNext(slot))
    live--
    const key = entryKey(slot)
    const u = entryNode(slot)
    setNext(slot, freeHead)
    freeHead = slot
    const du = distOf(dist, u)
    if (du != key) continue // stale: u was improved after this entry was pushed
    if (maskPtr && load<u8>(maskPtr + <usize>u) == 1) {
      store<i32>(foundPtr + ((<usize>found) << 2), u)
      found++
      if (found >= stopAfter) break
    }
    const e0 = load<i32>(off + ((<usize>u) << 2))
    const e1 = load<i32>(off + ((<usize>u) << 2), 4)
    const ou: i32 = originOut ? load<i32>(originOut + ((<usize>u) << 2)) : 0
    for (let e = e0; e < e1; e++) {
      const v = load<i32>(tgt + ((<usize>e) << 2))
      const nd = du + load<f64>(wt + ((<usize>e) << 3))
      if (nd < distOf(dist, v)) {
        store<f64>(dist + ((<usize>v) << 3), nd)
        if (originOut) store<i32>(originOut + ((<usize>v) << 2), ou)
        let ns: i32
        if (freeHead >= 0) {
          ns = freeHead
          freeHead = entryNext(ns)
        } else {
          if (poolTop >= poolCap) return -1
          ns = poolTop++
        }
        // Never file a key behind the bucket being emptied (rounding, or a zero-weight arc).
        let abs = <i64>(nd * invWidth)
        if (abs < cur) abs = cur
        const b = <i32>abs & ringMask
        store<f64>(pool + ((<usize>ns) << 4), nd)
        store<i32>(pool + ((<usize>ns) << 4), v, 8)
        setNext(ns, headOf(b))
        setHead(b, ns)
        live++
      }
    }
  }
  return found
}

/** Runs the selected queue's Dijkstra; see dijkstraBinary for the contract. */
function dijkstra(dist: usize, srcPtr: usize, count: i32, originOut: usize, maskPtr: usize, stopAfter: i32, foundPtr: usize): i32 {
  if (queueKind == 1) {
    const found = dijkstraBucket(dist, srcPtr, count, originOut, maskPtr, stopAfter, foundPtr)
    if (found >= 0) return found
  }
  return dijkstraBinary(dist, srcPtr, count, originOut, maskPtr, stopAfter, foundPtr)
}

/** Distances from one source into distPtr (n f64); unreachable nodes get Infinity. */
export function singleSource(source: i32, distPtr: usize, srcScratch: usize): void {
  store<i32>(srcScratch, source)
  dijkstra(distPtr, srcScratch, 1, 0, 0, 0, 0)
}

/** One row of n distances per source: row r (at outPtr + r*n*8) holds the distances from sources[r]. */
export function eachSource(srcPtr: usize, count: i32, outPtr: usize): void {
  const rowBytes = (<usize>n) << 3
  for (let r = 0; r < count; r++) {
    dijkstra(outPtr + (<usize>r) * rowBytes, srcPtr + ((<usize>r) << 2), 1, 0, 0, 0, 0)
  }
}

/** Distance to the nearest of `count` sources, and that source's index (-1 where unreachable). */
export function nearestSource(srcPtr: usize, count: i32, distPtr: usize, originPtr: usize): void {
  const end = originPtr + ((<usize>n) << 2)
  for (let p = originPtr; p < end; p += 4) store<i32>(p, -1)
  dijkstra(distPtr, srcPtr, count, originPtr, 0, 0, 0)
}

/**
 * Settles nodes from `source` until k nodes marked 1 in maskPtr (n bytes) are found; ids go to foundPtr.
 * Always the binary heap: it settles each node once, in order, which an early stop relies on.
 */
export function nearestMarked(source: i32, maskPtr: usize, k: i32, distPtr: usize, foundPtr: usize, srcScratch: usize): i32 {
  store<i32>(srcScratch, source)
  return dijkstraBinary(distPtr, srcScratch, 1, 0, maskPtr, k, foundPtr)
}
