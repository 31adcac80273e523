// The time slice of an inline invocation ends on the module's own work, not on wall time alone.
import { describe, expect, it } from 'vitest'
import { meterSignal, SLICE_MIN_CHECKS, type Deadline } from './instance.js'
import { SIGNAL_FUEL } from './wasm/meter.js'

describe('the time slice', () => {
  it('does not end for a thread that was only descheduled: the slice needs SLICE_MIN_CHECKS fuel checks of work', () => {
    const past = performance.now() - 10
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, sliceDeadline: past, fuelChecks: 0 }
    const signal = meterSignal(d, 10_000, 1 << 20, () => 65536)
    // Wall time is past the slice, but the first check may come after a handful of ticks (fuel left over).
    for (let i = 1; i < SLICE_MIN_CHECKS; i++) expect(signal(SIGNAL_FUEL, 0)).toBe(10_000)
    // A full fuel period of this invocation's own work later, past the slice: stopped.
    expect(() => signal(SIGNAL_FUEL, 0)).toThrow(expect.objectContaining({ code: 'SLICE_EXPIRED' }))
  })

  it('needs the fuel checks the lane policy learned for the function (sliceChecks) when it says so', () => {
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, sliceDeadline: performance.now() - 10, fuelChecks: 0, sliceChecks: 6 }
    const signal = meterSignal(d, 10_000, 1 << 20, () => 65536)
    for (let i = 1; i < 6; i++) expect(signal(SIGNAL_FUEL, 0)).toBe(10_000)
    expect(() => signal(SIGNAL_FUEL, 0)).toThrow(expect.objectContaining({ code: 'SLICE_EXPIRED' }))
  })

  it('never ends before its deadline, however much work, and the invocation deadline wins', () => {
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, sliceDeadline: performance.now() + 60_000, fuelChecks: 0 }
    const signal = meterSignal(d, 10_000, 1 << 20, () => 65536)
    for (let i = 0; i < 100; i++) expect(signal(SIGNAL_FUEL, 0)).toBe(10_000)
    d.deadline = performance.now() - 1
    d.sliceDeadline = performance.now() - 1
    expect(() => signal(SIGNAL_FUEL, 0)).toThrow(expect.objectContaining({ code: 'TIMEOUT' }))
  })
})
