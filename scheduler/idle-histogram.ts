// Idle-time histogram of one function (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020, Sec. 4.2):
// 1-minute bins over a fixed range, the out-of-bounds count, percentiles and the representativeness test.
// As in the paper's per-minute data, an idle time is the count of whole idle minutes between two active minutes.

/** Histogram of idle times (end of one execution to the start of the next), in whole minutes. */
export class IdleTimeHistogram {
  readonly bins: Uint32Array
  /** Idle times at or beyond the range. */
  outOfBounds = 0
  /** Idle times inside the range. */
  inBounds = 0

  /** @param rangeMinutes number of 1-minute bins. @default 240 (4 hours, as in the paper) */
  constructor(readonly rangeMinutes = 240) {
    this.bins = new Uint32Array(rangeMinutes)
  }

  /** Records one idle time in whole minutes (negative values are ignored). */
  add(idleMinutes: number): void {
    if (!(idleMinutes >= 0)) return
    this.cache[0] = this.cache[1] = undefined
    const bin = Math.floor(idleMinutes)
    if (bin >= this.rangeMinutes) this.outOfBounds++
    else {
      this.bins[bin]++
      this.inBounds++
    }
  }

  /** Per smoothing (0: raw, 1: smoothed): bin counts used and their suffix sums, built on first use after a change. */
  private readonly cache: ({ counts: Float64Array; suffix: Float64Array } | undefined)[] = [undefined, undefined]

  /**
   * Discrete hazard of bin b: of the idle periods that lasted at least b minutes, the share that ended in
   * minute b (out-of-bounds ones never end inside the range). NaN when none lasted b minutes.
   * `smoothed` (the default) spreads each count over its neighbours (1/4, 1/2, 1/4), for idle times that
   * jitter by a minute; raw counts suit a function whose idle times repeat exactly (a neighbour's quarter
   * of a count is itself a hazard above a low hold threshold, so smoothing holds the minute before each
   * arrival too).
   */
  hazard(bin: number, smoothed = true): number {
    if (bin < 0 || bin >= this.rangeMinutes) return 0
    const k = smoothed ? 1 : 0
    let c = this.cache[k]
    if (!c) {
      const n = this.rangeMinutes
      const counts = new Float64Array(n)
      for (let b = 0; b < n; b++) counts[b] = smoothed ? 0.5 * this.bins[b] + 0.25 * ((b > 0 ? this.bins[b - 1] : this.bins[b]) + (b + 1 < n ? this.bins[b + 1] : 0)) : this.bins[b]
      const suffix = new Float64Array(n + 1)
      suffix[n] = this.outOfBounds
      for (let b = n - 1; b >= 0; b--) suffix[b] = suffix[b + 1] + counts[b]
      c = this.cache[k] = { counts, suffix }
    }
    const atLeast = c.suffix[bin]
    return atLeast > 0 ? c.counts[bin] / atLeast : NaN
  }

  get total(): number {
    return this.inBounds + this.outOfBounds
  }

  /**
   * The p-th percentile (0..100) of in-bounds idle times, in minutes: the lower edge of the first bin whose
   * cumulative count reaches p% (`edge: 'upper'` gives that bin's upper edge). NaN when empty.
   */
  percentileMinutes(p: number, edge: 'lower' | 'upper' = 'lower'): number {
    if (this.inBounds === 0) return NaN
    const need = (p / 100) * this.inBounds
    let cum = 0
    for (let b = 0; b < this.rangeMinutes; b++) {
      cum += this.bins[b]
      if (cum >= need && cum > 0) return edge === 'lower' ? b : b + 1
    }
    return this.rangeMinutes
  }

  /** Coefficient of variation of the bin counts: high when idle times concentrate in few bins. */
  binCountCv(): number {
    const n = this.rangeMinutes
    const mean = this.inBounds / n
    if (mean === 0) return 0
    let ss = 0
    for (let b = 0; b < n; b++) ss += (this.bins[b] - mean) ** 2
    return Math.sqrt(ss / n) / mean
  }
}
