// Turns a trace function into invocation events (start, duration). Per-minute counts carry no timestamps:
// each minute's c invocations get c uniform random instants in that minute (a Poisson process conditioned on
// its count), from a generator seeded by function id and minute, so minute m's events never depend on the rest.
import { mulberry32 } from '@jaegis/kernels/topology/random-graph'
import type { TraceFunction } from './trace.js'
import { MINUTE_MS } from './types.js'

/** How counts become events. */
export interface ExpandOptions {
  /** Duration of each invocation when the trace has none (per-minute formats). @default 1000 */
  defaultDurationMs?: number
  /** 'uniform': seeded uniform instants in the minute; 'even': evenly spaced. @default 'uniform' */
  spread?: 'uniform' | 'even'
  /** Extra seed mixed into the generator. @default 0 */
  seed?: number
}

/** Invocation events of one function, ascending by start. */
export interface Invocations {
  startsMs: Float64Array
  durationsMs: Float64Array
}

/** FNV-1a hash of a string (32 bits). */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A small seeded generator (mulberry32), returning floats in [0, 1). */
export const seededRandom = mulberry32

/** Expands a trace function into events. Per-invocation functions are returned as they are. */
export function expandInvocations(fn: TraceFunction, options: ExpandOptions = {}): Invocations {
  if (fn.startsMs && fn.durationsMs) return { startsMs: fn.startsMs, durationsMs: fn.durationsMs }
  const counts = fn.minuteCounts ?? new Uint32Array(0)
  let total = 0
  for (const c of counts) total += c
  const durationMs = options.defaultDurationMs ?? 1000
  const startsMs = new Float64Array(total)
  const durationsMs = new Float64Array(total).fill(durationMs)
  const base = hashString(fn.id) ^ (options.seed ?? 0)
  let k = 0
  for (let m = 0; m < counts.length; m++) {
    const c = counts[m]
    if (c === 0) continue
    const t0 = m * MINUTE_MS
    if (options.spread === 'even') {
      for (let i = 0; i < c; i++) startsMs[k++] = t0 + ((i + 0.5) * MINUTE_MS) / c
      continue
    }
    const rnd = seededRandom(base ^ Math.imul(m + 1, 0x9e3779b1))
    const from = k
    for (let i = 0; i < c; i++) startsMs[k++] = t0 + rnd() * MINUTE_MS
    startsMs.subarray(from, k).sort()
  }
  return { startsMs, durationsMs }
}
