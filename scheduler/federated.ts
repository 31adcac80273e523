// Federated forecasting (issue 17): each site fits its share of a function's per-minute series with the
// forecast kernel and ships a fixed-size summary (per-step means and variances, not the series); the control
// plane combines the sites' summaries into one cluster-wide fit that drives the same predictive policy as
// central fitting does. docs/scheduler.md ("Federated forecasting") lists what leaves a site.
import { normalQuantile } from '@jaegis/kernels/forecast'
import { FunctionActivity } from './activity.js'
import type { Forecaster } from './forecaster.js'
import { hashString } from './invocations.js'
import { IdleTimeHistogram } from './idle-histogram.js'
import { fitSeries, PredictivePolicy, type FitSource, type PredictiveOptions, type SeriesFit } from './policies/predictive.js'
import { MINUTE_MS } from './types.js'

/**
 * What one site ships for one function at one refit: the only thing that leaves a site in the federated
 * path. Fixed size (2 + 4 x horizon numbers and a model name), whatever the site's traffic; no per-minute
 * or per-invocation history.
 */
export interface SiteSummary {
  readonly site: number
  /** Minutes in the site's fitted window with at least one invocation. */
  readonly activeMinutes: number
  /** Per horizon step: the site's forecast mean and variance of its invocations per minute. */
  readonly rateMean: readonly number[]
  readonly rateVar: readonly number[]
  /** Per horizon step: the site's forecast mean and variance of its peak in-flight invocations per minute. */
  readonly peakMean: readonly number[]
  readonly peakVar: readonly number[]
  /** 99th percentile of the site's per-minute peaks over its window. */
  readonly peakCap: number
  /** Mean duration of the site's invocations (ms): turns its rate into a mean concurrency. */
  readonly meanDurationMs: number
  /** The model the site's kernel chose, e.g. `ets(A,N,A)[60] / tsb`, or `window-mean`. */
  readonly model: string
}

/** Bytes of a summary on the wire as fixed-width numbers: 8 per number, 1 per model-name character. */
export function summaryBytes(s: SiteSummary): number {
  return 8 * (3 + s.rateMean.length + s.rateVar.length + s.peakMean.length + s.peakVar.length) + 1 + s.model.length + 4 /* site id */
}

/** Per-step variance from a central interval's upper bound at `level`: ((upper - mean) / z)^2. */
function varianceFromUpper(mean: readonly number[], upper: readonly number[], level: number): number[] {
  const z = normalQuantile(0.5 + level / 2)
  return mean.map((m, i) => Math.max(0, (upper[i] - m) / z) ** 2)
}

/**
 * A site's summary of its own window of per-minute counts and peaks (oldest first). With enough active
 * minutes the kernel's fit (variances read off its prediction interval); with fewer (but some), the window's
 * mean rate with Poisson variance and the mean and variance of its peaks: thin sites still contribute their
 * share. Undefined for a site that saw nothing in the window.
 */
export function siteSummary(site: number, counts: number[], peaks: number[], meanDurationMs: number, forecaster: Forecaster, horizon: number, level: number, minActiveMinutes: number): SiteSummary | undefined {
  const f = fitSeries(counts, peaks, forecaster, horizon, level, minActiveMinutes)
  if (f.activeMinutes === 0) return undefined
  if (f.rateMean.length === horizon) {
    return {
      site, activeMinutes: f.activeMinutes, rateMean: f.rateMean.map((x) => Math.max(0, x)), rateVar: varianceFromUpper(f.rateMean, f.rateUpper, level),
      peakMean: f.peakMean.map((x) => Math.max(0, x)), peakVar: varianceFromUpper(f.peakMean, f.peakUpper, level), peakCap: f.peakCap, meanDurationMs, model: f.model,
    }
  }
  const n = counts.length
  let sum = 0, psum = 0, pss = 0
  for (let i = 0; i < n; i++) {
    sum += counts[i]
    psum += peaks[i]
  }
  const rate = sum / n
  const pm = psum / n
  for (const p of peaks) pss += (p - pm) ** 2
  let pmax = 0
  for (const p of peaks) pmax = Math.max(pmax, p)
  const fill = (x: number) => new Array<number>(horizon).fill(x)
  return { site, activeMinutes: f.activeMinutes, rateMean: fill(rate), rateVar: fill(rate), peakMean: fill(pm), peakVar: fill(n > 1 ? pss / (n - 1) : 0), peakCap: pmax, meanDurationMs, model: 'window-mean' }
}

/** How control combines the sites' variances (see combineSummaries). */
export type VarianceRule = 'thinned' | 'thinned-signal' | 'independent'

/** Control's rules for combining site summaries; defaults chosen on the tune half (docs/scheduler.md). */
export interface CombineRules {
  /** @default 'thinned-signal' */
  variance?: VarianceRule
  /** Peak means (and caps): add (`sum`), or mean concurrencies add and excesses in quadrature. @default 'sum' */
  peaks?: 'sum' | 'quadrature'
  /**
   * Cap: sites' caps combined like the peaks (`peaks`), the largest site's (`max`), or mean concurrencies
   * added and excesses in quadrature, at least the largest site's (`quadrature`). @default 'quadrature'
   */
  cap?: 'peaks' | 'max' | 'quadrature'
  /** Sites with too few active minutes for a fit: their window means count (`mean`) or they are left out (`none`). @default 'none' */
  thinSites?: 'mean' | 'none'
}

/**
 * Control's combination of the sites' summaries of one function into one fit.
 *
 * Means: rates add. Peaks do not (sites peak at different instants): each site's peak mean is split into
 * its mean concurrency (rate x mean duration / 60 s) and the excess above it; mean concurrencies add and
 * excesses add in quadrature, as for independent Poisson streams whose excess grows with the square root
 * of the mean. The cap combines the sites' caps the same way.
 *
 * Variances, `'independent'`: they add. `'thinned'` (default): every site sees a random share w_s (its
 * forecast rate over the sum) of one function's demand, so a site's variance is w_s^2 x the demand's
 * variance plus the split's own noise mean_s x (1 - w_s), which cancels in the sum (one site's invocation
 * is another's absence: the sites' errors are negatively correlated). Each site's variance, less that
 * noise, is w_s^2 x the cluster's: control estimates the cluster's variance as the sum over sites of
 * (variance - noise) over the sum of w_s^2 (pooled, so a small site's error is not blown up by 1/w_s^2). Adding the variances
 * instead held a 1-per-minute timer function at 2 instances all day where central fitting held 1.
 *
 * Active minutes are the busiest site's (a lower bound of the cluster's: the forecast is trusted no
 * earlier than at the busiest site).
 */
export function combineSummaries(summaries: readonly SiteSummary[], horizon: number, level: number, rules: CombineRules = {}): SeriesFit {
  const variance = rules.variance ?? DEFAULT_RULES.variance
  const sumPeaks = (rules.peaks ?? DEFAULT_RULES.peaks) === 'sum'
  const capRule = rules.cap ?? DEFAULT_RULES.cap
  if (summaries.length === 0) return { activeMinutes: 0, rateMean: [], rateUpper: [], peakMean: [], peakUpper: [], peakCap: 0, model: 'no site active' }
  const z = normalQuantile(0.5 + level / 2)
  const rateMean = new Array<number>(horizon).fill(0)
  const rateVar = new Array<number>(horizon).fill(0)
  const conc = new Array<number>(horizon).fill(0)
  const excess2 = new Array<number>(horizon).fill(0)
  const peakVar = new Array<number>(horizon).fill(0)
  const w2 = new Array<number>(horizon).fill(0)
  let capConc = 0
  let capExcess2 = 0
  let capMax = 0
  let active = 0
  const models = new Set<string>()
  if ((rules.thinSites ?? DEFAULT_RULES.thinSites) === 'none') {
    const fitted = summaries.filter((s) => s.model !== 'window-mean')
    if (fitted.length < summaries.length) return combineSummaries(fitted.length ? fitted : [], horizon, level, rules)
  }
  for (const s of summaries) for (let h = 0; h < horizon; h++) rateMean[h] += s.rateMean[h]
  for (const s of summaries) {
    for (let h = 0; h < horizon; h++) {
      const mu = sumPeaks ? s.peakMean[h] : Math.min(s.peakMean[h], (s.rateMean[h] * s.meanDurationMs) / MINUTE_MS)
      conc[h] += mu
      excess2[h] += (s.peakMean[h] - mu) ** 2
      if (variance === 'independent') {
        rateVar[h] += s.rateVar[h]
        peakVar[h] += s.peakVar[h]
      } else {
        const w = rateMean[h] > 0 ? s.rateMean[h] / rateMean[h] : 1 / summaries.length
        rateVar[h] += s.rateVar[h] - s.rateMean[h] * (1 - w)
        peakVar[h] += s.peakVar[h] - s.peakMean[h] * (1 - w)
        w2[h] += w * w
      }
    }
    const mu0 = sumPeaks && capRule !== 'quadrature' ? s.peakCap : Math.min(s.peakCap, (s.rateMean[0] * s.meanDurationMs) / MINUTE_MS)
    capConc += mu0
    capExcess2 += (s.peakCap - mu0) ** 2
    capMax = Math.max(capMax, s.peakCap)
    active = Math.max(active, s.activeMinutes)
    models.add(s.model)
  }
  if (variance !== 'independent') {
    for (let h = 0; h < horizon; h++) {
      const scale = variance === 'thinned' ? w2[h] : 1
      rateVar[h] = scale > 0 ? Math.max(0, rateVar[h]) / scale : 0
      peakVar[h] = scale > 0 ? Math.max(0, peakVar[h]) / scale : 0
    }
  }
  const peakMean = conc.map((c, h) => c + Math.sqrt(excess2[h]))
  return {
    activeMinutes: active, rateMean, rateUpper: rateMean.map((m, h) => m + z * Math.sqrt(rateVar[h])),
    peakMean, peakUpper: peakMean.map((m, h) => m + z * Math.sqrt(peakVar[h])), peakCap: Math.max(1, capRule === 'max' ? capMax : capRule === 'quadrature' ? Math.max(capMax, Math.round(capConc + Math.sqrt(capExcess2))) : Math.round(capConc + Math.sqrt(capExcess2))),
    model: `federated ${summaries.length} sites: ${[...models].join(', ')}`,
  }
}

// Chosen on the tune half (even-hash functions) of the shared trace at 3 sites, docs/scheduler.md.
const DEFAULT_RULES: Required<CombineRules> = { variance: 'thinned-signal', peaks: 'sum', cap: 'quadrature', thinSites: 'none' }

/** Exact merge of idle-time histograms of the same range: bin counts and out-of-range counts add. */
export function mergeHistograms(hs: readonly IdleTimeHistogram[]): IdleTimeHistogram {
  const range = hs[0]?.rangeMinutes ?? 240
  const out = new IdleTimeHistogram(range)
  for (const h of hs) {
    if (h.rangeMinutes !== range) throw new RangeError(`cannot merge histograms of ${h.rangeMinutes} and ${range} minutes`)
    for (let b = 0; b < range; b++) out.bins[b] += h.bins[b]
    out.inBounds += h.inBounds
    out.outOfBounds += h.outOfBounds
  }
  return out
}

/**
 * The site an invocation of `fn` at `startMs` comes from, of `sites`: each function has a home site (by a
 * hash of its id) with share 2^-1 of its traffic, the next site 2^-2, and so on (normalized), and each
 * invocation is drawn from that mix by a hash of (function, start time). Every site sees a thinner copy of
 * the function's demand, as users of one function spread unevenly over regions.
 */
export function siteOf(fn: string, startMs: number, sites: number): number {
  if (sites <= 1) return 0
  const home = hashString(fn) % sites
  const u = hashString(`${fn}@${startMs}`) / 2 ** 32
  const total = 1 - 2 ** -sites
  let acc = 0
  for (let k = 0; k < sites; k++) {
    acc += 2 ** -(k + 1) / total
    if (u < acc) return (home + k) % sites
  }
  return (home + sites - 1) % sites
}

/** Counters of what left the sites over a run. */
export interface ShipStats {
  summaries: number
  bytes: number
}

/**
 * A FitSource whose series stay at the sites: each invocation is recorded only by its site's activity;
 * a fit asks each site for a SiteSummary and combines them. `onShip` sees every summary that leaves a site.
 */
export class FederatedFitSource implements FitSource {
  private readonly siteActivity: FunctionActivity[]
  constructor(private readonly fn: string, private readonly sites: number, private readonly forecaster: Forecaster, private readonly onShip?: (fn: string, s: SiteSummary) => void, private readonly rules: CombineRules = {}) {
    this.siteActivity = Array.from({ length: sites }, () => new FunctionActivity({ histogramRangeMinutes: 240 }))
  }

  record(startMs: number, durationMs: number): void {
    this.siteActivity[siteOf(this.fn, startMs, this.sites)].record(startMs, durationMs)
  }

  /** Each site's summary (what it ships) for a fit at `minute`. */
  summaries(minute: number, horizon: number, level: number, windowMinutes: number, minActiveMinutes: number): SiteSummary[] {
    const out: SiteSummary[] = []
    this.siteActivity.forEach((a, site) => {
      if (a.invocations === 0) return
      const { counts, peaks } = a.closedMinutes(minute * MINUTE_MS, windowMinutes)
      const s = siteSummary(site, counts, peaks, a.meanDurationMs, this.forecaster, horizon, level, minActiveMinutes)
      if (s) out.push(s)
    })
    return out
  }

  fit(minute: number, horizon: number, level: number, windowMinutes: number, minActiveMinutes: number): SeriesFit {
    let shipped = this.summaries(minute, horizon, level, windowMinutes, minActiveMinutes)
    // a site whose window is too thin for a fit ships nothing when control would leave it out anyway
    if ((this.rules.thinSites ?? DEFAULT_RULES.thinSites) === 'none') shipped = shipped.filter((s) => s.model !== 'window-mean')
    for (const s of shipped) this.onShip?.(this.fn, s)
    return combineSummaries(shipped, horizon, level, this.rules)
  }
}

/** The predictive policy with every function's forecast fitted at `sites` sites and combined at control. */
export function federatedPredictivePolicy(sites: number, options: PredictiveOptions = {}, stats?: ShipStats, rules: CombineRules = {}): PredictivePolicy {
  if (!Number.isInteger(sites) || sites < 1) throw new RangeError(`sites must be an integer >= 1, got ${sites}`)
  return new PredictivePolicy({
    ...options,
    fitSource: (fn, forecaster) => new FederatedFitSource(fn, sites, forecaster, stats ? (_fn, s) => {
      stats.summaries++
      stats.bytes += summaryBytes(s)
    } : undefined, rules),
  })
}
