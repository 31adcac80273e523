// Packed invocation events arrive at the primary as the worker saw them, through the IPC
// channel's serialization (v8's, as node:cluster's 'advanced' mode uses).
import { deserialize, serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import type { InvokeEvent } from '@jaegis/runtime'
import { EventBatcher, unpackEvents } from './event-batch.js'

const D1 = 'a'.repeat(64)
const D2 = 'b'.repeat(64)

describe('EventBatcher', () => {
  it('delivers every event with every field, grouped, through v8 serialization', () => {
    const sent: InvokeEvent[] = []
    for (let i = 0; i < 500; i++) {
      const e: InvokeEvent = { function: i % 3 ? 'hello' : 'quantum', digest: i % 7 ? D1 : D2, start: i % 11 ? 'warm' : 'hostwarm', startMs: 1.7e12 + i * 0.37, durationMs: i / 1000 }
      if (i % 13) e.status = i % 5 ? 200 : 404
      else e.errorCode = 'TIMEOUT'
      sent.push(e)
    }
    const batcher = new EventBatcher()
    for (const e of sent) batcher.add(e)
    const packed = deserialize(serialize(batcher.take()))
    expect(packed.length).toBeLessThan(30) // one group per distinct (function, digest, start, outcome)
    const got: InvokeEvent[] = []
    unpackEvents(packed, (e) => got.push(e))
    const order = (a: InvokeEvent, b: InvokeEvent) => a.startMs - b.startMs
    expect(got.sort(order)).toEqual(sent.sort(order))
    // Taken: the next batch starts empty.
    expect(batcher.size).toBe(0)
    expect(batcher.take()).toEqual([])
  })
})
