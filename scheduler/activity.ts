// What a policy knows about one function: past invocations as per-minute counts and peak concurrency, the
// idle-time histogram, in-flight work and recent intervals for windowed concurrency. Only the past: every
// query takes `nowMs` and ignores anything that started at or after it.
import { IdleTimeHistogram } from './idle-histogram.js'
import { MINUTE_MS } from './types.js'

/** Options of FunctionActivity. */
export interface ActivityOptions {
  /** Bins of the idle-time histogram (minutes). @default 240 */
  histogramRangeMinutes?: number
  /** Per-minute history kept (minutes). @default 10080 (one week) */
  maxHistoryMinutes?: number
  /** Window of recent intervals kept for windowed concurrency (ms). @default 60000 */
  windowMs?: number
}

/** Running record of one function's invocations (start-time order). */
export class FunctionActivity {
  readonly histogram: IdleTimeHistogram
  /** Absolute minute index (floor(ms / 60000)) of counts[0]; NaN until the first invocation. */
  originMinute = NaN
  /** Invocations that started in each minute since originMinute. */
  readonly counts: number[] = []
  /** Peak in-flight invocations in each minute since originMinute. */
  readonly peaks: number[] = []
  /** Latest end among invocations recorded so far. */
  lastEndMs = -Infinity
  lastStartMs = -Infinity
  /** Minute index of the latest invocation. */
  lastActiveMinute = -Infinity
  invocations = 0
  /** Mean duration of recorded invocations (ms). */
  meanDurationMs = 0
  private readonly maxHistory: number
  private readonly windowMs: number
  // Recent intervals (start, end) in start order, trimmed to those that may overlap the window.
  private recentStart: number[] = []
  private recentEnd: number[] = []
  private head = 0
  // Ends of recorded invocations still running at the latest start (a binary min-heap), and how many
  // of them started exactly at that start: record() needs in-flight counts in O(log n), not a scan of
  // the window (at 10k invocations/s a scan made recording quadratic).
  private readonly runningEnds: number[] = []
  private runningAtLastStart = 0

  constructor(options: ActivityOptions = {}) {
    this.histogram = new IdleTimeHistogram(options.histogramRangeMinutes ?? 240)
    this.maxHistory = options.maxHistoryMinutes ?? 10_080
    this.windowMs = options.windowMs ?? 60_000
  }

  record(startMs: number, durationMs: number): void {
    if (startMs < this.lastStartMs) throw new RangeError(`invocations must be recorded in start order (${startMs} < ${this.lastStartMs})`)
    const endMs = startMs + Math.max(0, durationMs)
    const minute = Math.floor(startMs / MINUTE_MS)
    if (this.invocations > 0 && minute > this.lastActiveMinute) this.histogram.add(minute - this.lastActiveMinute - 1)
    this.lastActiveMinute = minute
    if (Number.isNaN(this.originMinute)) this.originMinute = minute
    let idx = minute - this.originMinute
    while (this.counts.length <= idx) {
      this.counts.push(0)
      this.peaks.push(0)
    }
    if (this.counts.length > this.maxHistory) {
      const drop = this.counts.length - this.maxHistory
      this.counts.splice(0, drop)
      this.peaks.splice(0, drop)
      this.originMinute += drop
      idx -= drop
    }
    this.counts[idx]++
    // In flight at startMs: started strictly before it and not yet ended (what inFlightAt computes).
    while (this.runningEnds.length > 0 && this.runningEnds[0]! <= startMs) heapPop(this.runningEnds)
    if (startMs !== this.lastStartMs) this.runningAtLastStart = 0
    const inFlight = this.runningEnds.length - this.runningAtLastStart + 1
    if (endMs > startMs) {
      heapPush(this.runningEnds, endMs)
      this.runningAtLastStart++
    }
    if (inFlight > this.peaks[idx]) this.peaks[idx] = inFlight
    this.recentStart.push(startMs)
    this.recentEnd.push(endMs)
    this.trim(startMs)
    this.invocations++
    this.meanDurationMs += (durationMs - this.meanDurationMs) / this.invocations
    this.lastStartMs = startMs
    if (endMs > this.lastEndMs) this.lastEndMs = endMs
  }

  private trim(nowMs: number): void {
    // Drop intervals that ended before the window; keep order by start (ends are close to sorted).
    const from = nowMs - this.windowMs
    while (this.head < this.recentStart.length && this.recentEnd[this.head] < from && this.recentStart[this.head] < from) this.head++
    if (this.head > 1024 && this.head * 2 > this.recentStart.length) {
      this.recentStart = this.recentStart.slice(this.head)
      this.recentEnd = this.recentEnd.slice(this.head)
      this.head = 0
    }
  }

  /** Invocations running at `nowMs` that started before it. */
  inFlightAt(nowMs: number): number {
    let n = 0
    for (let i = this.head; i < this.recentStart.length; i++) if (this.recentStart[i] < nowMs && this.recentEnd[i] > nowMs) n++
    return n
  }

  /** Time-averaged in-flight invocations over [nowMs - windowMs, nowMs) (windowMs <= the kept window). */
  averageConcurrency(nowMs: number, windowMs: number): number {
    const from = nowMs - windowMs
    let busy = 0
    for (let i = this.head; i < this.recentStart.length; i++) {
      const s = Math.max(this.recentStart[i], from)
      const e = Math.min(this.recentEnd[i], nowMs)
      if (e > s) busy += e - s
    }
    return busy / windowMs
  }

  /** Closed whole minutes before `nowMs`: counts and peaks from originMinute up to the minute holding nowMs (excluded). */
  closedMinutes(nowMs: number, maxMinutes = Infinity): { counts: number[]; peaks: number[] } {
    if (Number.isNaN(this.originMinute)) return { counts: [], peaks: [] }
    const end = Math.floor(nowMs / MINUTE_MS) - this.originMinute
    const from = Math.max(0, end - maxMinutes)
    const pad = Math.max(0, end - this.counts.length)
    const counts = this.counts.slice(from, Math.min(end, this.counts.length))
    const peaks = this.peaks.slice(from, Math.min(end, this.peaks.length))
    for (let i = 0; i < pad && counts.length < end - from; i++) {
      counts.push(0)
      peaks.push(0)
    }
    return { counts, peaks }
  }

  /** End of the last finished invocation as seen at `nowMs`: nowMs itself while one is still running. */
  idleSinceMs(nowMs: number): number {
    return this.lastEndMs > nowMs ? nowMs : this.lastEndMs
  }
}

function heapPush(h: number[], v: number): void {
  let i = h.length
  h.push(v)
  while (i > 0) {
    const p = (i - 1) >> 1
    if (h[p]! <= v) break
    h[i] = h[p]!
    i = p
  }
  h[i] = v
}

function heapPop(h: number[]): void {
  const last = h.pop()!
  if (h.length === 0) return
  let i = 0
  for (;;) {
    const l = 2 * i + 1
    if (l >= h.length) break
    const c = l + 1 < h.length && h[l + 1]! < h[l]! ? l + 1 : l
    if (h[c]! >= last) break
    h[i] = h[c]!
    i = c
  }
  h[i] = last
}
