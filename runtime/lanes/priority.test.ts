// A lane thread's priority: low except for the first slice of a run of a function not known long.
import { describe, expect, it } from 'vitest'
import { LanePriority } from './priority.js'

describe('LanePriority', () => {
  it('boots low, waits at the process priority, lowers a run past its slice, and keeps known-long runs low', () => {
    const calls: number[] = []
    const p = new LanePriority(0, 19, (n) => calls.push(n))
    expect(calls).toEqual([19]) // the boot
    p.ready()
    expect(calls).toEqual([19, 0]) // waits at the process's priority
    p.runStarts(false) // already there: no call
    p.demote.fn() // past its slice
    p.demote.fn() // told again (a large grow): no second call
    expect(calls).toEqual([19, 0, 19])
    p.runStarts(false) // the next run gets its slice
    expect(calls).toEqual([19, 0, 19, 0])
    p.runStarts(true) // known long: low from its start
    p.runStarts(true)
    expect(calls).toEqual([19, 0, 19, 0, 19])
  })

  it('stays low where raising a priority is not allowed', () => {
    const calls: number[] = []
    const p = new LanePriority(0, 19, (n) => {
      if (n < 19) throw Object.assign(new Error('EACCES'), { code: 'EACCES' })
      calls.push(n)
    })
    p.ready()
    p.runStarts(false)
    p.demote.fn()
    p.runStarts(false)
    expect(calls).toEqual([19]) // lowered once, never raised, never lowered again
  })
})
