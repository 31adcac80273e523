// Invocation events on their way from a worker to the primary, packed: one group per function,
// version, start kind and outcome, with the events' times in one Float64Array. A worker serves tens
// of thousands of invocations a second; sent as objects, every one was a structured-clone object
// with a 64-character digest on each side of the IPC channel. Order is kept within a group only
// (the primary already merges several workers' batches, 50 ms apart).
import type { InvokeEvent } from '@jaegis/runtime'

/** Events that share everything but their times. */
export interface EventGroup {
  function: string
  digest: string
  start: InvokeEvent['start']
  status?: number
  errorCode?: string
  /** startMs, durationMs of each event, in turn. */
  times: Float64Array
}

interface OpenGroup extends Omit<EventGroup, 'times'> {
  times: number[]
}

/** Collects events in a worker until they are taken for sending. */
export class EventBatcher {
  private groups = new Map<string, OpenGroup>()
  /** The group the previous event went to: consecutive events usually share one. */
  private last: OpenGroup | undefined

  get size(): number {
    return this.groups.size
  }

  add(e: InvokeEvent): void {
    let g = this.last
    if (!g || g.function !== e.function || g.digest !== e.digest || g.start !== e.start || g.status !== e.status || g.errorCode !== e.errorCode) {
      const key = `${e.function}\0${e.digest}\0${e.start}\0${e.status ?? ''}\0${e.errorCode ?? ''}`
      g = this.groups.get(key)
      if (!g) {
        g = { function: e.function, digest: e.digest, start: e.start, times: [] }
        if (e.status !== undefined) g.status = e.status
        if (e.errorCode !== undefined) g.errorCode = e.errorCode
        this.groups.set(key, g)
      }
      this.last = g
    }
    g.times.push(e.startMs, e.durationMs)
  }

  /** The events collected since the last call, packed (empty when there were none). */
  take(): EventGroup[] {
    const out = [...this.groups.values()].map((g) => ({ ...g, times: Float64Array.from(g.times) }))
    this.groups.clear()
    this.last = undefined
    return out
  }
}

/** Calls `each` with every event of `groups` (a fresh object per event: receivers may keep it). */
export function unpackEvents(groups: readonly EventGroup[], each: (e: InvokeEvent) => void): void {
  for (const g of groups) {
    const { times } = g
    for (let i = 0; i + 1 < times.length; i += 2) {
      const e: InvokeEvent = { function: g.function, digest: g.digest, start: g.start, startMs: times[i]!, durationMs: times[i + 1]! }
      if (g.status !== undefined) e.status = g.status
      if (g.errorCode !== undefined) e.errorCode = g.errorCode
      each(e)
    }
  }
}
