// A lane thread's priority: low except for the first slice of a run of a function not known long.
import { describe, expect, it } from 'vitest'
import { LanePriority } from './priority.js'

describe('LanePriority', () => {
  it('boots low, raises for a run, lowers at its slice or its end, and keeps known-long runs low', () => {
    const calls: number[] = []
    const p = new LanePriority(0, 19, (n) => calls.push(n))
    expect(calls).toEqual([19]) // the boot
    p.runStarts(false)
    expect(calls).toEqual([19, 0]) // a run's first slice at the process's priority
    p.demote.fn() // past its slice
    p.demote.fn() // told again (a large grow): no second call
    p.runEnded()
    expect(calls).toEqual([19, 0, 19])
    p.runStarts(false)
    p.runEnded() // a short run: lowered at its end
    expect(calls).toEqual([19, 0, 19, 0, 19])
    p.runStarts(true) // known long: stays low
    p.runEnded()
    expect(calls).toEqual([19, 0, 19, 0, 19])
  })

  it('stays low where raising a priority is not allowed', () => {
    const calls: number[] = []
    const p = new LanePriority(0, 19, (n) => {
      if (n < 19) throw Object.assign(new Error('EACCES'), { code: 'EACCES' })
      calls.push(n)
    })
    p.runStarts(false)
    p.demote.fn()
    p.runEnded()
    p.runStarts(false)
    expect(calls).toEqual([19]) // lowered once, never raised, never lowered again
  })
})
