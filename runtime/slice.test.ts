// The time slice of an inline invocation ends on the module's own work, not on wall time alone.
import { describe, expect, it } from 'vitest'
import { meterSignal, SLICE_MIN_CHECKS, SLICE_STOP_GROW_PAGES, type Deadline } from './instance.js'
import { SIGNAL_FUEL, SIGNAL_GROW } from './wasm/meter.js'

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

  it('stops an inline invocation before a grow of SLICE_STOP_GROW_PAGES or more, however young its slice', () => {
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, sliceDeadline: performance.now() + 60_000, fuelChecks: 0 }
    const signal = meterSignal(d, 10_000, 1 << 30, () => 65536)
    expect(signal(SIGNAL_GROW, SLICE_STOP_GROW_PAGES - 1)).toBe(0)
    expect(() => signal(SIGNAL_GROW, SLICE_STOP_GROW_PAGES)).toThrow(expect.objectContaining({ code: 'SLICE_EXPIRED' }))
  })

  it('lets the same grow through where there is no slice (a lane, an embedder calling invokeSync)', () => {
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, sliceDeadline: undefined, fuelChecks: 0 }
    const signal = meterSignal(d, 10_000, 1 << 30, () => 65536)
    expect(signal(SIGNAL_GROW, 4096)).toBe(0)
  })

  it('tells a run once, at its first fuel check past demoteAt, and drops its finer refuel then; never stops it for that', () => {
    let told = 0
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, fuelChecks: 0, demoteAt: performance.now() + 60_000, refuel: 1_000, demote: () => told++ }
    const signal = meterSignal(d, 10_000, 1 << 20, () => 65536)
    expect(signal(SIGNAL_FUEL, 0)).toBe(1_000) // before demoteAt: finer checks
    expect(told).toBe(0)
    d.demoteAt = performance.now() - 1
    for (let i = 0; i < 10; i++) expect(signal(SIGNAL_FUEL, 0)).toBe(10_000)
    expect(told).toBe(1)
  })

  it('yields a lane run at once when it asks to grow by SLICE_STOP_GROW_PAGES or more (work no fuel check sees)', () => {
    let told = 0
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, fuelChecks: 0, demoteAt: performance.now() + 60_000, demote: () => told++ }
    const signal = meterSignal(d, 10_000, 1 << 30, () => 65536)
    expect(signal(SIGNAL_GROW, SLICE_STOP_GROW_PAGES - 1)).toBe(0)
    expect(told).toBe(0)
    expect(signal(SIGNAL_GROW, SLICE_STOP_GROW_PAGES)).toBe(0)
    expect(told).toBe(1)
  })

  it('refuels with Deadline.refuel when given (finer checks for an unproven inline attempt)', () => {
    const d: Deadline = { deadline: performance.now() + 60_000, timeoutMs: 60_000, fuelChecks: 0, refuel: 1_000 }
    expect(meterSignal(d, 10_000, 1 << 20, () => 65536)(SIGNAL_FUEL, 0)).toBe(1_000)
    d.refuel = undefined
    expect(meterSignal(d, 10_000, 1 << 20, () => 65536)(SIGNAL_FUEL, 0)).toBe(10_000)
  })
})
