// Which functions run inline: lane runs are judged by the work they did, not only by wall time
// (a lane at niceness 19 on a busy machine waits for a CPU).
import { describe, expect, it } from 'vitest'
import { SLICE_MIN_CHECKS } from '../instance.js'
import { InlinePolicy, LANE_POLICY, UNPROVEN_REFUEL_DIVISOR } from './policy.js'

describe('InlinePolicy', () => {
  it('after a stopped attempt of an unproven function, sends unproven functions to lanes for its share of the time', () => {
    const p = new InlinePolicy()
    const slice = LANE_POLICY.sliceMs
    // Attempts that answer (a new hello) cost no wait, however many.
    for (let i = 0; i < 1000; i++) expect(p.mayTry(1_000 + i * 0.01)).toBe(true)
    // An attempt stopped past its slice: the next ones, arriving at once, wait for a lane.
    const t = 1_010
    expect(p.mayTry(t)).toBe(true)
    p.stopped(t, t + slice + 1)
    const wait = ((slice + 1) * (1 - LANE_POLICY.unprovenShare)) / LANE_POLICY.unprovenShare
    for (let i = 0; i < 7; i++) expect(p.mayTry(t + slice + 1)).toBe(false)
    expect(p.mayTry(t + slice + 1 + wait * 0.9)).toBe(false)
    expect(p.mayTry(t + slice + 1 + wait)).toBe(true)
  })

  it('proves short a function whose lane runs did almost no work, however long a starved lane took', () => {
    const p = new InlinePolicy()
    for (let i = 0; i < LANE_POLICY.shortProofRuns - 1; i++) p.laneRan('hello', 'd1', 250, SLICE_MIN_CHECKS - 1)
    expect(p.inline('hello', 'd1')).toBe(false)
    p.laneRan('hello', 'd1', 250, 0)
    expect(p.inline('hello', 'd1')).toBe(true)
    expect(p.inline('hello', 'd2')).toBe(false) // another version proves itself
  })

  it('marks long a function whose lane run would have outlived the slice here, so that it is not tried here', () => {
    const p = new InlinePolicy()
    p.laneRan('spin', 'd1', 2000, 50_000) // an endless loop stopped at its deadline
    expect(p.long('spin', 'd1')).toBe(true)
    expect(p.inline('spin', 'd1')).toBe(false)
  })

  it('counts a run with work but within shortMs towards the proof, and one with a slice of work past it against', () => {
    const p = new InlinePolicy()
    for (let i = 0; i < LANE_POLICY.shortProofRuns - 1; i++) p.laneRan('f', 'd1', LANE_POLICY.shortMs / 2, 5)
    // 4 checks per 0.5 ms: a slice is 16, capped at maxSliceChecks. As much work past shortMs, under the slice: starts over.
    p.laneRan('f', 'd1', LANE_POLICY.shortMs + 0.5, 16)
    expect(p.long('f', 'd1')).toBe(false)
    for (let i = 0; i < LANE_POLICY.shortProofRuns - 1; i++) p.laneRan('f', 'd1', LANE_POLICY.shortMs / 2, 5)
    expect(p.inline('f', 'd1')).toBe(false)
    p.laneRan('f', 'd1', LANE_POLICY.shortMs / 2, 5)
    expect(p.inline('f', 'd1')).toBe(true)
  })

  it('learns a slice of work from the runs within shortMs: a descheduled run of a JavaScript hello is not long, a loop still is', () => {
    const p = new InlinePolicy()
    expect(p.sliceChecks('js', 'd1')).toBe(SLICE_MIN_CHECKS)
    // 3 checks in 0.8 ms (the first may come after a few ticks): 2.5 per ms, 5 in a slice.
    for (let i = 0; i < LANE_POLICY.shortProofRuns - 1; i++) p.laneRan('js', 'd1', 0.8, 3)
    expect(p.sliceChecks('js', 'd1')).toBe(5)
    // A slower run does not lower it; a run past shortMs teaches nothing.
    p.laneRan('js', 'd1', 0.9, 2)
    p.laneRan('js', 'd1', 1.5, 9)
    expect(p.sliceChecks('js', 'd1')).toBe(5)
    // The same request in a starved lane: past the slice by wall time, not by work. Before, marked long.
    p.laneRan('js', 'd1', LANE_POLICY.sliceMs * 3, 4)
    expect([p.long('js', 'd1'), p.inline('js', 'd1')]).toEqual([false, true])
    // As much work as a slice, past it: long.
    p.laneRan('js', 'd1', LANE_POLICY.sliceMs * 3, 5)
    expect([p.long('js', 'd1'), p.inline('js', 'd1'), p.sliceChecks('js', 'd1')]).toEqual([true, false, 5])
    expect(p.sliceChecks('js', 'd2')).toBe(SLICE_MIN_CHECKS) // another version learns its own
    // A fast pace (a tight loop: 50 checks in 0.5 ms) is capped: slow periods inline must still end soon.
    p.laneRan('js', 'd1', 0.5, 50)
    expect(p.sliceChecks('js', 'd1')).toBe(LANE_POLICY.maxSliceChecks)
  })

  it('learns nothing from runs past shortMs: checks far apart (much work between two) keep the least', () => {
    const p = new InlinePolicy()
    for (let i = 0; i < 10; i++) p.laneRan('heavy', 'd1', 5, 1)
    expect(p.sliceChecks('heavy', 'd1')).toBe(SLICE_MIN_CHECKS)
    p.laneRan('heavy', 'd1', 5, SLICE_MIN_CHECKS)
    expect(p.long('heavy', 'd1')).toBe(true)
  })

  it('tries a function not proven short with finer fuel checks, and a proven one with its own', () => {
    const p = new InlinePolicy()
    expect(p.attemptChecks('new', 'd1', 10_000)).toEqual({ sliceChecks: SLICE_MIN_CHECKS, refuel: 10_000 / UNPROVEN_REFUEL_DIVISOR })
    for (let i = 0; i < LANE_POLICY.shortProofRuns; i++) p.laneRan('new', 'd1', 0.5, 1)
    expect(p.inline('new', 'd1')).toBe(true)
    expect(p.attemptChecks('new', 'd1', 10_000)).toEqual({ sliceChecks: SLICE_MIN_CHECKS })
  })
})

