import { describe, expect, it } from 'vitest'
import { FairQueue } from './fair-queue.js'

describe('FairQueue', () => {
  it('takes round-robin across functions, FIFO within one', () => {
    const q = new FairQueue<string>()
    for (const x of ['a1', 'a2', 'a3', 'a4']) q.push('a', x)
    q.push('b', 'b1')
    q.push('c', 'c1')
    q.push('b', 'b2')
    const order: string[] = []
    for (let t = q.take(() => 0); t; t = q.take(() => 0)) order.push(t.item)
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4'])
    expect(q.size).toBe(0)
  })

  it("serves a function whose line was empty before the next turn of a flooded one", () => {
    const q = new FairQueue<string>()
    for (let i = 1; i <= 20; i++) q.push('flood', `f${i}`)
    expect(q.take(() => 0)?.item).toBe('f1') // running
    q.push('quiet', 'q1')
    expect(q.take(() => 0)?.item).toBe('q1') // not behind f2
    expect(q.take(() => 0)?.item).toBe('f2')
    // A function with several items waiting gets one fresh turn, then takes turns in the round.
    q.push('b', 'b1')
    q.push('b', 'b2')
    q.push('b', 'b3')
    const order = [1, 2, 3, 4, 5].map(() => q.take(() => 0)?.item)
    expect(order).toEqual(['b1', 'f3', 'b2', 'f4', 'b3'])
  })

  it('skips a function at its concurrency limit until one of its invocations ends', () => {
    const q = new FairQueue<string>()
    q.push('a', 'a1')
    q.push('a', 'a2')
    q.push('b', 'b1')
    const limit = (k: string) => (k === 'a' ? 1 : 0)
    expect(q.take(limit)?.item).toBe('a1')
    expect(q.take(limit)?.item).toBe('b1')
    expect(q.take(limit)).toBeUndefined()
    expect(q.running('a')).toBe(1)
    q.finished('a')
    expect(q.take(limit)?.item).toBe('a2')
  })

  it('removes a waiting item and keeps the counts', () => {
    const q = new FairQueue<string>()
    q.push('a', 'a1')
    q.push('a', 'a2')
    expect(q.remove('a', 'a1')).toBe(true)
    expect(q.remove('a', 'a1')).toBe(false)
    expect(q.waiting('a')).toBe(1)
    expect(q.take(() => 0)?.item).toBe('a2')
    expect(q.size).toBe(0)
  })
})
