// What a policy knows about one function: past invocations as per-minute counts and peak concurrency, the
// idle-time histogram, in-flight work and busy time per short bucket for windowed concurrency. Only the past: every
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

/** Buckets of busy time per kept window (averageConcurrency's resolution). */
const BUCKETS_PER_WINDOW = 3000

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
  /**
   * Busy time (ms of invocation) in each bucket of `bucketMs`, keyed by floor(t / bucketMs), for the
   * window and whatever recorded invocations still run after it. Memory follows the window's length,
   * not the request rate: keeping every interval of the last minute meant millions of entries (and
   * 100 MB) at tens of thousands of requests per second.
   */
  private readonly busy = new Map<number, number>()
  private readonly bucketMs: number
  /** Smallest bucket key that may still be in `busy`. */
  private oldestBucket = Infinity
  // Ends of recorded invocations still running at the latest start (a binary min-heap), and how many
  // of them started exactly at that start: record() needs in-flight counts in O(log n), not a scan of
  // the window (at 10k invocations/s a scan made recording quadratic).
  private readonly runningEnds: number[] = []
  private runningAtLastStart = 0

  constructor(options: ActivityOptions = {}) {
    this.histogram = new IdleTimeHistogram(options.histogramRangeMinutes ?? 240)
    this.maxHistory = options.maxHistoryMinutes ?? 10_080
    this.windowMs = options.windowMs ?? 60_000
    this.bucketMs = this.windowMs / BUCKETS_PER_WINDOW
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
    // In flight at startMs: started strictly before it and not yet ended.
    while (this.runningEnds.length > 0 && this.runningEnds[0]! <= startMs) heapPop(this.runningEnds)
    if (startMs !== this.lastStartMs) this.runningAtLastStart = 0
    const inFlight = this.runningEnds.length - this.runningAtLastStart + 1
    if (endMs > startMs) {
      heapPush(this.runningEnds, endMs)
      this.runningAtLastStart++
    }
    if (inFlight > this.peaks[idx]) this.peaks[idx] = inFlight
    this.addBusy(startMs, endMs)
    this.trim(startMs)
    this.invocations++
    this.meanDurationMs += (durationMs - this.meanDurationMs) / this.invocations
    this.lastStartMs = startMs
    if (endMs > this.lastEndMs) this.lastEndMs = endMs
  }

  /** Adds [startMs, endMs) to the buckets it covers, split exactly at bucket boundaries. */
  private addBusy(startMs: number, endMs: number): void {
    const b = this.bucketMs
    for (let k = Math.floor(startMs / b); k * b < endMs; k++) {
      const part = Math.min(endMs, (k + 1) * b) - Math.max(startMs, k * b)
      if (part <= 0) continue
      this.busy.set(k, (this.busy.get(k) ?? 0) + part)
      if (k < this.oldestBucket) this.oldestBucket = k
    }
  }

  private trim(nowMs: number): void {
    // Drop buckets that ended before the window, once a tenth of a window's worth has gathered.
    const cutoff = Math.floor((nowMs - this.windowMs) / this.bucketMs) - 1
    if (this.oldestBucket >= cutoff - BUCKETS_PER_WINDOW / 10) return
    for (const k of this.busy.keys()) if (k < cutoff) this.busy.delete(k)
    this.oldestBucket = cutoff
  }

  /**
   * Time-averaged in-flight invocations over [nowMs - windowMs, nowMs) (windowMs <= the kept window).
   * Exact to within the two buckets at the window's edges (a bucket is 1/3000 of the kept window),
   * whose busy time is counted in proportion to the part of the bucket inside the window.
   */
  averageConcurrency(nowMs: number, windowMs: number): number {
    const from = nowMs - windowMs
    const b = this.bucketMs
    let busy = 0
    for (let k = Math.floor(from / b), last = Math.floor(nowMs / b); k <= last; k++) {
      const mass = this.busy.get(k)
      if (mass === undefined) continue
      const inside = Math.min(nowMs, (k + 1) * b) - Math.max(from, k * b)
      if (inside > 0) busy += inside >= b ? mass : (mass * inside) / b
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
