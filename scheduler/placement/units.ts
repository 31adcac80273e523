// Splits functions' warm instances into placement units (function x demand region x count, largest
// remainder) in placement order, and counts how many instances a re-plan moved.
import { SchedulerError } from '../errors.js'
import type { FunctionDemand, Placement } from './placer.js'

/** Units in placement order: heaviest demand per instance first. */
export interface Units {
  fn: Int32Array
  region: Int32Array
  count: Int32Array
}

/**
 * One unit per (function, demand region) with its share of the instances: floor of the demand share, then
 * one more to the largest remainders. Also fills `fnIndex` (id -> position) and checks the input.
 */
export function splitUnits(functions: readonly FunctionDemand[], regionIndex: ReadonlyMap<string, number>, fnIndex: Map<string, number>): Units {
  const cap = functions.length * 2 + 16
  let fn = new Int32Array(cap)
  let region = new Int32Array(cap)
  let count = new Int32Array(cap)
  let weight = new Float64Array(cap)
  let n = 0
  const push = (i: number, r: number, k: number, w: number) => {
    if (n === fn.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2)
        b.set(a)
        return b
      }
      fn = grow(fn)
      region = grow(region)
      count = grow(count)
      weight = grow(weight)
    }
    fn[n] = i
    region[n] = r
    count[n] = k
    weight[n] = w
    n++
  }
  const regs: number[] = []
  const ws: number[] = []
  const base: number[] = []
  for (let i = 0; i < functions.length; i++) {
    const f = functions[i]
    fnIndex.set(f.id, i)
    if (fnIndex.size !== i + 1) throw new SchedulerError('BAD_OPTIONS', `function ${f.id} appears twice`)
    const inst = f.instances
    if (!Number.isInteger(inst) || inst < 0) throw new SchedulerError('BAD_OPTIONS', `function ${f.id}: instances must be an integer >= 0, got ${inst}`)
    if (!(f.memoryMb > 0)) throw new SchedulerError('BAD_OPTIONS', `function ${f.id}: memoryMb must be > 0`)
    regs.length = 0
    ws.length = 0
    let total = 0
    for (const name in f.demand) {
      const w = f.demand[name]
      const r = regionIndex.get(name)
      if (r === undefined) throw new SchedulerError('BAD_OPTIONS', `function ${f.id}: demand region ${JSON.stringify(name)} is not in the fleet`)
      if (!(w > 0)) continue
      // insertion by weight desc, then region asc
      let j = regs.length
      regs.push(r)
      ws.push(w)
      while (j > 0 && (ws[j - 1] < w || (ws[j - 1] === w && regs[j - 1] > r))) {
        regs[j] = regs[j - 1]
        ws[j] = ws[j - 1]
        j--
      }
      regs[j] = r
      ws[j] = w
      total += w
    }
    if (inst === 0 || regs.length === 0) continue
    if (regs.length === 1) {
      push(i, regs[0], inst, ws[0] / inst)
      continue
    }
    // Largest remainder: floor of each share, then one more to the biggest remainders (earlier wins ties).
    base.length = 0
    let left = inst
    for (let j = 0; j < regs.length; j++) {
      const b = Math.floor((inst * ws[j]) / total)
      base.push(b)
      left -= b
    }
    while (left > 0) {
      let best = -1
      let bestRem = -1
      for (let j = 0; j < regs.length; j++) {
        const rem = (inst * ws[j]) / total - base[j]
        if (rem > bestRem && rem > 0) {
          bestRem = rem
          best = j
        }
      }
      if (best < 0) best = 0
      base[best]++ // its remainder is now <= 0, so it is not chosen again
      left--
    }
    for (let j = 0; j < regs.length; j++) if (base[j] > 0) push(i, regs[j], base[j], ws[j] / base[j])
  }
  // Heaviest demand per instance first, by buckets of ~9% (log2 eighths), ties in input order: a stable
  // counting sort, O(units), deterministic.
  const key = new Int32Array(n)
  let lo = Infinity
  let hi = -Infinity
  for (let u = 0; u < n; u++) {
    const k = Math.floor(Math.log2(weight[u]) * 8)
    key[u] = k
    if (k < lo) lo = k
    if (k > hi) hi = k
  }
  const buckets = n ? hi - lo + 1 : 0
  const start = new Int32Array(buckets + 1)
  for (let u = 0; u < n; u++) start[hi - key[u] + 1]++
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b]
  const order = new Int32Array(n)
  for (let u = 0; u < n; u++) order[start[hi - key[u]]++] = u
  return { fn: Int32Array.from(order, (u) => fn[u]), region: Int32Array.from(order, (u) => region[u]), count: Int32Array.from(order, (u) => count[u]) }
}

/** Instances on a (host, region) in `next` beyond what `prev` had there. */
export function countMoved(prev: Map<string, Placement[]>, next: Map<string, Placement[]>): number {
  let moved = 0
  for (const [id, list] of next) {
    const old = new Map<string, number>()
    for (const p of prev.get(id) ?? []) old.set(`${p.host}|${p.region}`, (old.get(`${p.host}|${p.region}`) ?? 0) + p.instances)
    for (const p of list) {
      const key = `${p.host}|${p.region}`
      const had = old.get(key) ?? 0
      if (p.instances > had) moved += p.instances - had
      old.set(key, Math.max(0, had - p.instances))
    }
  }
  return moved
}
