// A fixed-size sketch of the distribution of one site's per-minute peak concurrency (a histogram with exact
// bins for small values and log-spaced ones above), and control's estimate of the cluster's peak distribution
// from the sites' sketches: the peak of the sum is not the sum of the peaks. Used by federated.ts.

/** Values 0..EXACT_BINS-1 get a bin each; above, BINS_PER_OCTAVE bins per doubling up to OVERFLOW_FROM. */
const EXACT_BINS = 16
const BINS_PER_OCTAVE = 4
const OCTAVES = 8
/** Values at or above this share the last bin. 16 x 2^8. */
const OVERFLOW_FROM = EXACT_BINS * 2 ** OCTAVES

/** Bins of a peak sketch: 16 exact, 32 log-spaced, one overflow. Fixed whatever the traffic or window. */
export const PEAK_SKETCH_BINS = EXACT_BINS + BINS_PER_OCTAVE * OCTAVES + 1

/** Lower edges of the bins (the last one open-ended); bin i holds values in [EDGES[i], EDGES[i + 1]). */
const EDGES: readonly number[] = (() => {
  const e: number[] = []
  for (let v = 0; v < EXACT_BINS; v++) e.push(v)
  for (let o = 0; o < OCTAVES; o++) {
    const base = EXACT_BINS * 2 ** o
    for (let j = 0; j < BINS_PER_OCTAVE; j++) e.push(base + (base * j) / BINS_PER_OCTAVE)
  }
  e.push(OVERFLOW_FROM)
  return e
})()

/** The bin of a peak value (a non-negative integer; larger ones share the overflow bin). */
export function peakBin(value: number): number {
  if (!(value >= 0)) throw new RangeError(`a peak must be >= 0, got ${value}`)
  if (value < EXACT_BINS) return Math.floor(value)
  if (value >= OVERFLOW_FROM) return PEAK_SKETCH_BINS - 1
  let lo = EXACT_BINS, hi = PEAK_SKETCH_BINS - 1 // EDGES[lo] <= value < EDGES[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (EDGES[mid] <= value) lo = mid
    else hi = mid
  }
  return lo
}

/** [low, high) of bin i; the overflow bin is taken as [OVERFLOW_FROM, 2 x OVERFLOW_FROM). */
export function peakBinRange(i: number): [number, number] {
  return [EDGES[i], i + 1 < EDGES.length ? EDGES[i + 1] : 2 * OVERFLOW_FROM]
}

/** The sketch of a window of per-minute peaks: how many minutes fell in each bin (no order, no times). */
export function peakSketch(peaks: readonly number[]): number[] {
  const out = new Array<number>(PEAK_SKETCH_BINS).fill(0)
  for (const p of peaks) out[peakBin(p)]++
  return out
}

/** One site's sketch and its share of the function's invocations (its rate over the cluster's). */
export interface SharedSketch {
  readonly sketch: readonly number[]
  readonly share: number
}

/** ln of the binomial pmf C(m, k) w^k (1-w)^(m-k) for integers 0 <= k <= m. */
function logBinomial(k: number, m: number, w: number): number {
  if (w <= 0) return k === 0 ? 0 : -Infinity
  if (w >= 1) return k === m ? 0 : -Infinity
  return logFactorial(m) - logFactorial(k) - logFactorial(m - k) + k * Math.log(w) + (m - k) * Math.log(1 - w)
}

const LOG_FACT: number[] = [0]
function logFactorial(n: number): number {
  for (let i = LOG_FACT.length; i <= n; i++) LOG_FACT.push(LOG_FACT[i - 1] + Math.log(i))
  return LOG_FACT[n]
}

/** P(low <= Binomial(m, w) < high): exact sums for small m, the normal approximation (continuity-corrected) above. */
function binomialInRange(m: number, w: number, low: number, high: number): number {
  if (low > m) return 0
  if (m <= 256) {
    let p = 0
    for (let k = low; k < Math.min(high, m + 1); k++) p += Math.exp(logBinomial(k, m, w))
    return p
  }
  const mean = m * w, sd = Math.sqrt(m * w * (1 - w))
  if (sd === 0) return mean >= low && mean < high ? 1 : 0
  return normalCdf((high - 0.5 - mean) / sd) - normalCdf((low - 0.5 - mean) / sd)
}

function normalCdf(x: number): number {
  // Abramowitz-Stegun 7.1.26 on erf: |error| < 1.5e-7, plenty for bin probabilities
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2))
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2)
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y)
}

/** Iterations of the EM deconvolution. */
const EM_ITERATIONS = 60

/** The cluster's per-minute peak distribution as control estimates it: probabilities `p` over peak values `grid`. */
export interface PeakDistribution {
  readonly grid: readonly number[]
  readonly p: readonly number[]
  /** The largest of the sites' own quantiles asked for: the cluster peaks at least as high as any site. */
  readonly floor: number
  /** The sum of the sites' mean peaks over the same minutes (what summing the sites' peaks would give). */
  readonly siteMeanSum: number
}

/**
 * The cluster's per-minute peak distribution from the sites' sketches, assuming each invocation goes to
 * site s with probability share_s (binomial thinning): the distribution whose thinnings best explain every
 * site's sketch (maximum likelihood by EM over a grid of peak values, each site weighted by its share). A site's peak is at least the
 * thinning of the cluster's (it may peak at another instant), so the estimate leans high. Sketches
 * covering fewer minutes than the longest (a site whose first invocation came later) are padded with
 * idle minutes. Undefined when no site saw anything.
 */
export function clusterPeakDistribution(sites: readonly SharedSketch[], q = 0.99): PeakDistribution | undefined {
  const used = sites.filter((s) => s.share > 0 && s.sketch.some((c) => c > 0))
  if (used.length === 0) return undefined
  const minutes = Math.max(...used.map((s) => s.sketch.reduce((a, b) => a + b, 0)))
  // Every minute the cluster's peak is at most the sum of the sites' peaks: the grid stops at the sum of their largest values.
  let top = 0
  let floor = 0
  let siteMeanSum = 0
  const padded = used.map((s) => {
    const sketch = s.sketch.slice()
    sketch[0] += minutes - sketch.reduce((a, b) => a + b, 0)
    let last = 0
    for (let i = 0; i < sketch.length; i++) if (sketch[i] > 0) last = i
    top += peakBinRange(last)[1] - 1
    floor = Math.max(floor, sketchQuantile(sketch, q))
    siteMeanSum += sketchMean(sketch)
    return { sketch, share: Math.min(1, s.share) }
  })
  const grid: number[] = []
  for (let m = 0; m <= Math.min(top, 64); m++) grid.push(m)
  for (let m = 64 * 2 ** (1 / 16); m < top; m *= 2 ** (1 / 16)) grid.push(Math.round(m))
  if (grid[grid.length - 1] < top) grid.push(top)
  const G = grid.length
  // like: P(site's peak falls in one of its non-empty bins | cluster peak grid[g]); weight: that bin's share of the
  // site's minutes times the site's share. A thinned count carries information about the cluster's in proportion
  // to its share, and a thin site's peak is the most biased (a minute with two invocations far apart is a
  // peak of 1 at the cluster but often 1 at a site that got either): chosen on the tune half, docs/scheduler.md.
  const shareSum = padded.reduce((a, s) => a + s.share, 0)
  const obs: { weight: number; like: Float64Array }[] = []
  for (const s of padded) {
    s.sketch.forEach((c, i) => {
      if (c === 0) return
      const [lo, hi] = peakBinRange(i)
      const like = new Float64Array(G)
      for (let g = 0; g < G; g++) like[g] = binomialInRange(grid[g], s.share, lo, hi)
      obs.push({ weight: ((c / minutes) * s.share) / shareSum, like })
    })
  }
  let p = new Float64Array(G).fill(1 / G)
  for (let it = 0; it < EM_ITERATIONS; it++) {
    const next = new Float64Array(G)
    for (const o of obs) {
      let z = 0
      for (let g = 0; g < G; g++) z += p[g] * o.like[g]
      if (!(z > 0)) continue
      const f = o.weight / z
      for (let g = 0; g < G; g++) next[g] += p[g] * o.like[g] * f
    }
    const sum = next.reduce((a, b) => a + b, 0)
    if (!(sum > 0)) break
    for (let g = 0; g < G; g++) next[g] /= sum
    p = next
  }
  return { grid, p: Array.from(p), floor, siteMeanSum }
}

/**
 * The `q`-quantile of a cluster peak distribution, at least its floor: the smallest value whose cumulative
 * probability exceeds q, the rank central fitting takes (element floor(q x n) of the sorted window).
 */
export function distributionQuantile(d: PeakDistribution, q: number): number {
  let acc = 0
  for (let g = 0; g < d.grid.length; g++) {
    acc += d.p[g]
    if (acc > q + 1e-9) return Math.max(d.floor, d.grid[g])
  }
  return Math.max(d.floor, d.grid[d.grid.length - 1])
}

/** The mean of a cluster peak distribution. */
export function distributionMean(d: PeakDistribution): number {
  let m = 0
  for (let g = 0; g < d.grid.length; g++) m += d.p[g] * d.grid[g]
  return m
}

/** The mean of one sketch, each log-spaced bin at its midpoint. */
export function sketchMean(sketch: readonly number[]): number {
  let n = 0, sum = 0
  sketch.forEach((c, i) => {
    const [lo, hi] = peakBinRange(i)
    n += c
    sum += c * (hi - lo > 1 ? (lo + hi - 1) / 2 : lo)
  })
  return n ? sum / n : 0
}

/** The `q`-quantile of one sketch (a bin's lower edge). */
export function sketchQuantile(sketch: readonly number[], q: number): number {
  const total = sketch.reduce((a, b) => a + b, 0)
  if (total === 0) return 0
  // the same rank as sorting the window and taking element floor(q x n)
  const rank = Math.min(total - 1, Math.floor(q * total))
  let acc = 0
  for (let i = 0; i < sketch.length; i++) {
    acc += sketch[i]
    if (acc > rank) return peakBinRange(i)[0]
  }
  return peakBinRange(sketch.length - 1)[0]
}
