// Control's side of federated forecasting: what a site ships (SiteSummary), its validation, and the
// combination of the sites' summaries of one function into one cluster-wide fit, including sites that
// are missing steps or went quiet (offline). The site side and the simulation wiring are in federated.ts.
import { normalQuantile } from '@jaegis/kernels/forecast'
import { SchedulerError } from './errors.js'
import { clusterPeakDistribution, distributionMean, distributionQuantile, PEAK_SKETCH_BINS } from './peak-sketch.js'
import type { SeriesFit } from './policies/predictive.js'
import { MINUTE_MS } from './types.js'

/**
 * What one site ships for one function at one refit: the only thing that leaves a site in the federated
 * path. Fixed size (4 + 4 x horizon numbers, a 49-bin histogram and a model name), whatever the site's
 * traffic or window; no per-minute or per-invocation history (docs/scheduler.md lists every field).
 */
export interface SiteSummary {
  readonly site: number
  /** The minute (since the trace or epoch) that step 0 forecasts; control aligns stale summaries by it. @default the fit's minute */
  readonly fromMinute?: number
  /** Minutes in the site's fitted window with at least one invocation. */
  readonly activeMinutes: number
  /** Invocations the site saw in its window: control's estimate of the site's share of the function. */
  readonly windowInvocations: number
  /**
   * Per horizon step: the site's forecast mean and variance of its invocations per minute. A missing step is
   * NaN (or the array is short). The mean may be negative (signed, not clipped at 0) under the rates rules
   * `seasonal` and `signed-sum`; control clips the combined rate.
   */
  readonly rateMean: readonly number[]
  readonly rateVar: readonly number[]
  /** Per horizon step: the site's forecast mean and variance of its peak in-flight invocations per minute. */
  readonly peakMean: readonly number[]
  readonly peakVar: readonly number[]
  /** 99th percentile of the site's per-minute peaks over its window. */
  readonly peakCap: number
  /**
   * Histogram of the site's per-minute peaks over its window (peak-sketch.ts: PEAK_SKETCH_BINS bins, exact
   * below 16, log-spaced above): minutes per bin, no order and no times. Lets control estimate the peak of
   * the sum rather than add the sites' peaks.
   */
  readonly peakSketch: readonly number[]
  /** Mean duration of the site's invocations (ms): turns its rate into a mean concurrency. */
  readonly meanDurationMs: number
  /** The model the site's kernel chose, e.g. `ets(A,N,A)[60] / tsb`, or `window-mean`. */
  readonly model: string
}

/** Bytes of a summary on the wire: 8 per number, 2 per histogram bin (minute counts), 1 per model-name character. */
export function summaryBytes(s: SiteSummary): number {
  return 8 * (5 + s.rateMean.length + s.rateVar.length + s.peakMean.length + s.peakVar.length) + 2 * s.peakSketch.length + 1 + s.model.length + 4 /* site id */
}

/** Throws a SchedulerError (`BAD_SUMMARY`) naming what is wrong with a summary a site sent. */
export function validateSummary(s: SiteSummary): void {
  const bad = (what: string) => new SchedulerError('BAD_SUMMARY', `site ${String(s?.site)} sent a bad summary: ${what}`)
  if (!s || typeof s !== 'object') throw bad('not an object')
  for (const k of ['site', 'activeMinutes', 'windowInvocations', 'peakCap', 'meanDurationMs'] as const) {
    if (typeof s[k] !== 'number' || !(s[k] >= 0) || !Number.isFinite(s[k])) throw bad(`${k} must be a finite number >= 0, got ${JSON.stringify(s[k])}`)
  }
  if (s.fromMinute !== undefined && !Number.isFinite(s.fromMinute)) throw bad(`fromMinute must be finite, got ${JSON.stringify(s.fromMinute)}`)
  for (const k of ['rateMean', 'rateVar', 'peakMean', 'peakVar'] as const) {
    if (!Array.isArray(s[k])) throw bad(`${k} must be an array`)
    // NaN marks a missing step; anything else must be a number >= 0
    for (const x of s[k]) if (typeof x !== 'number' || (x < 0 && k !== 'rateMean') || x === Infinity || x === -Infinity) throw bad(`${k} has ${JSON.stringify(x)}`)
  }
  if (!Array.isArray(s.peakSketch) || s.peakSketch.length !== PEAK_SKETCH_BINS) throw bad(`peakSketch must have ${PEAK_SKETCH_BINS} bins`)
  for (const c of s.peakSketch) if (!Number.isInteger(c) || c < 0) throw bad(`peakSketch has ${JSON.stringify(c)}`)
  if (typeof s.model !== 'string' || s.model.length > 200) throw bad('model must be a string of at most 200 characters')
}

/** How control combines the sites' variances (see combineSummaries). */
export type VarianceRule = 'thinned' | 'thinned-signal' | 'independent'

/** Control's rules for combining site summaries; defaults chosen on the tune half (docs/scheduler.md). */
export interface CombineRules {
  /** @default 'thinned-signal' */
  variance?: VarianceRule
  /**
   * Peak means: add (`sum`); mean concurrencies add and excesses in quadrature (`quadrature`); or the
   * sum scaled by the sketches' peak of the sum over their sum of peaks (`sketch`: too few instances at 2
   * and 3 sites on the tune half, where the 99th-percentile cap alone keeps the sum honest). @default 'sum'
   */
  peaks?: 'sum' | 'quadrature' | 'sketch'
  /**
   * Cap: the 99th percentile of the cluster's peak deconvolved from the sites' sketches (`sketch`); the sites'
   * caps combined like the peaks (`peaks`); the largest site's (`max`); or mean concurrencies added and
   * excesses in quadrature, at least the largest site's (`quadrature`). @default 'sketch'
   */
  cap?: 'sketch' | 'peaks' | 'max' | 'quadrature'
  /**
   * Sites with too few active minutes for a fit (siteMinActiveMinutes): their window means count (`mean`);
   * only their invocations and active minutes count, for the cluster's share and active minutes (`count`);
   * or they ship nothing (`none`). @default 'none'
   */
  thinSites?: 'mean' | 'count' | 'none'
  /**
   * Rate means: the sites' added (`sum`), or the busiest site's (most window invocations) scaled up by the
   * cluster's invocations over its own (`home`). Every site sees a random share of one demand, so both
   * estimate it; a thin site's flat fit (tsb on a few invocations of a timer) adds a rate to every minute
   * that the busiest site's seasonal fit puts at 0, and the policy holds an instance through minutes whose
   * chance of an arrival reaches its hold threshold (1.5 % at 128 MiB): `sum` held timer functions warm
   * between their ticks. `signed-sum`: the sites' signed means added. `seasonal`: when the busiest site's fit
   * is seasonal, the signed means of the sites with a seasonal fit added (one split's noise in their levels
   * cancels: a tick one site got is a miss at the others) and scaled up by the cluster's invocations over
   * theirs, else `home`. Sites ship signed means under `signed-sum` and `seasonal`. Chosen on the tune half
   * with `season: 'agreed'` (docs/scheduler.md, "The timers' leak between ticks"). @default 'seasonal'
   */
  rates?: 'sum' | 'home' | 'signed-sum' | 'seasonal'
  /**
   * Seasons: each site detects its own on its thinned series (`own`), or the sites agree on one per
   * function before they fit (`agreed`: each ships the periods it detected, control picks one, sites fit
   * with it; federated.ts agreeSeason). Chosen on the tune half. @default 'agreed'
   */
  season?: 'own' | 'agreed'
  /** A summary older than this (minutes since its fromMinute) is dropped: its site is taken as gone. @default 60 */
  maxStaleMinutes?: number
  /**
   * Active minutes a site needs in its window before it fits its own series with the kernel and ships the
   * fit (at most the policy's minActiveMinutes). Control still asks the policy's minActiveMinutes of the
   * cluster (`activeMinutes`): with every site as strict as central fitting is with the whole cluster, a
   * sparse function whose 5 active minutes fell 2 + 2 + 1 over 3 sites had no forecast at all, where central
   * fitting held an instance (docs/scheduler.md). Chosen on the tune half. @default 3
   */
  siteMinActiveMinutes?: number
  /**
   * The cluster's active minutes, which decide whether the forecast covers the function at all: the
   * busiest site's (`busiest`, a lower bound), or estimated from every site's active minutes and
   * invocations (`clumped`, clusterActiveMinutes). @default 'clumped'
   */
  activeMinutes?: 'busiest' | 'clumped'
}

// Chosen on the tune half (even-hash functions) of the shared trace at 3 sites, docs/scheduler.md.
export const DEFAULT_RULES: Required<CombineRules> = { variance: 'thinned-signal', peaks: 'sum', cap: 'sketch', thinSites: 'none', rates: 'seasonal', maxStaleMinutes: 60, siteMinActiveMinutes: 3, activeMinutes: 'clumped', season: 'agreed' }

const EMPTY_FIT: SeriesFit = { activeMinutes: 0, rateMean: [], rateUpper: [], peakMean: [], peakUpper: [], peakCap: 0, model: 'no site active' }

/**
 * A site's (mean, variance) per step of the fit's horizon, from its summary shipped `offset` steps before:
 * a step it has (finite mean and variance) as shipped; a missing one (the summary is stale, short or has a
 * NaN) from the nearest earlier step it has (the nearest later one if none), its variance grown by the
 * site's smallest per-step variance for every step in between, as a random walk from there would.
 * Undefined when the site has no usable step.
 */
function alignSteps(mean: readonly number[], variance: readonly number[], offset: number, horizon: number, signed = false): { mean: number[]; variance: number[] } | undefined {
  const have: number[] = []
  let growth = Infinity
  for (let i = 0; i < Math.min(mean.length, variance.length); i++) {
    if (!Number.isFinite(mean[i]) || !Number.isFinite(variance[i])) continue
    have.push(i)
    growth = Math.min(growth, variance[i])
  }
  if (have.length === 0) return undefined
  const out = { mean: new Array<number>(horizon), variance: new Array<number>(horizon) }
  for (let h = 0; h < horizon; h++) {
    const want = h + offset
    let j = have[0]
    for (const i of have) if (i <= want) j = i
    out.mean[h] = signed ? mean[j] : Math.max(0, mean[j])
    out.variance[h] = variance[j] + Math.abs(want - j) * growth
  }
  return out
}

/**
 * The cluster's active minutes in a window of `windowMinutes`, from the sites' active minutes a_s and
 * invocations: if the cluster's I invocations came in A active minutes of I / A each and each went to site
 * s with probability w_s (its share of I), site s would see A x (1 - (1 - w_s)^(I/A)) active minutes. The
 * A whose expected total over the sites matches the observed one (bisection: the total grows with A),
 * between the busiest site's count and min(I, window). One site: its own count. Exact when no minute had
 * two invocations (A = I, the sites' counts add); a minute with several invocations counts once however
 * many sites it reached, which adding the sites' counts does not.
 */
export function clusterActiveMinutes(sites: readonly Pick<SiteSummary, 'activeMinutes' | 'windowInvocations'>[], windowMinutes: number): number {
  if (!(windowMinutes >= 0)) throw new RangeError(`windowMinutes must be a number >= 0, got ${windowMinutes}`)
  const invocations = sites.reduce((a, s) => a + s.windowInvocations, 0)
  const observed = sites.reduce((a, s) => a + s.activeMinutes, 0)
  let lo = Math.max(0, ...sites.map((s) => s.activeMinutes))
  let hi = Math.max(lo, Math.min(invocations, windowMinutes))
  if (invocations <= 0 || hi <= lo) return Math.round(lo)
  const expected = (A: number) => sites.reduce((t, s) => t + A * (1 - (1 - s.windowInvocations / invocations) ** (invocations / A)), 0)
  if (expected(hi) <= observed) return Math.round(hi)
  for (let i = 0; i < 50 && hi - lo > 1e-3; i++) {
    const mid = (lo + hi) / 2
    if (expected(mid) < observed) lo = mid
    else hi = mid
  }
  return Math.round((lo + hi) / 2)
}

/** Whether a summary's rate model (before ' / ') has a seasonal component, e.g. `ets(A,N,A)[5]`. */
function seasonalFit(model: string): boolean {
  return /^ets\(A,[^,)]+,[AM]\)/.test(model)
}

/**
 * Control's combination of the sites' summaries of one function into one fit for the `horizon` steps from
 * `minute` (when given; otherwise every summary's step 0 is the fit's).
 *
 * Rates add. Peaks do not (sites peak at different instants): each site ships a histogram of its
 * per-minute peaks, and control deconvolves the cluster's peak distribution from them (binomial thinning
 * by the sites' shares, peak-sketch.ts). The cap is that distribution's 99th percentile, as central
 * fitting caps at the cluster's own 99th percentile: adding the sites' caps (even in quadrature) held
 * timer functions at 2 instances where central fitting held 1. The peak forecast is the sites' forecasts
 * added (`peaks: 'sum'`), an upper estimate that the cap bounds.
 *
 * Variances, `'independent'`: they add. `'thinned'` and `'thinned-signal'`: every site sees a random share
 * w_s of one demand, so a site's variance is w_s^2 x the demand's plus the split's own noise mean_s x
 * (1 - w_s), which cancels in the sum (one site's invocation is another's absence). Control subtracts that
 * noise and adds the remainders (`thinned` divides them by the sum of w_s^2, the demand's variance).
 *
 * Missing steps and stale summaries (a site offline since it last shipped) are aligned by alignSteps;
 * summaries older than `maxStaleMinutes` are left out. Active minutes, which decide whether the forecast
 * covers the function, are the cluster's as clusterActiveMinutes estimates them (`activeMinutes: 'clumped'`).
 */
export function combineSummaries(summaries: readonly SiteSummary[], horizon: number, level: number, rules: CombineRules = {}, minute?: number): SeriesFit {
  const r: Required<CombineRules> = { ...DEFAULT_RULES, ...rules }
  for (const s of summaries) validateSummary(s)
  const fresh = summaries.filter((s) => minute === undefined || s.fromMinute === undefined || minute - s.fromMinute <= r.maxStaleMinutes)
  // thinSites 'count': a thin site's invocations and active minutes count for the cluster, its window mean does not
  const thin = r.thinSites === 'count' ? fresh.filter((s) => s.model === 'window-mean') : []
  const sites = fresh
    .filter((s) => r.thinSites === 'mean' || s.model !== 'window-mean')
    .flatMap((s) => {
      const offset = minute === undefined || s.fromMinute === undefined ? 0 : Math.max(0, minute - s.fromMinute)
      const rate = alignSteps(s.rateMean, s.rateVar, offset, horizon, r.rates === 'signed-sum' || r.rates === 'seasonal')
      const peak = alignSteps(s.peakMean, s.peakVar, offset, horizon)
      return rate && peak ? [{ s, rate, peak }] : []
    })
  if (sites.length === 0) return EMPTY_FIT
  const z = normalQuantile(0.5 + level / 2)
  const rateMean = new Array<number>(horizon).fill(0)
  const rateVar = new Array<number>(horizon).fill(0)
  const conc = new Array<number>(horizon).fill(0)
  const excess2 = new Array<number>(horizon).fill(0)
  const peakVar = new Array<number>(horizon).fill(0)
  const w2 = new Array<number>(horizon).fill(0)
  let capConc = 0, capExcess2 = 0, capMax = 0, active = 0
  const models = new Set<string>()
  const quadrature = r.peaks === 'quadrature'
  for (const { rate } of sites) for (let h = 0; h < horizon; h++) rateMean[h] += rate.mean[h]
  // the policy's chance of an arrival: from the busiest site's fit scaled to the cluster (rates: 'home')
  let arrivalRate = rateMean
  const seasonalSites = r.rates === 'seasonal' ? sites.filter(({ s }) => seasonalFit(s.model)) : []
  const busiest = sites.reduce((a, x) => (x.s.windowInvocations > a.s.windowInvocations ? x : a), sites[0])
  if (r.rates === 'seasonal' && seasonalFit(busiest.s.model)) {
    // the sites that fitted a seasonal model: one split's noise in their levels cancels in the sum of their
    // signed means; scaled up by the cluster's invocations over theirs
    let all = thin.reduce((a, s) => a + s.windowInvocations, 0), theirs = 0
    for (const x of sites) all += x.s.windowInvocations
    for (const x of seasonalSites) theirs += x.s.windowInvocations
    const sum = new Array<number>(horizon).fill(0)
    for (const x of seasonalSites) for (let h = 0; h < horizon; h++) sum[h] += x.rate.mean[h]
    arrivalRate = sum.map((m) => Math.max(0, (m * all) / theirs))
  } else if (r.rates === 'home' || r.rates === 'seasonal') {
    let home = sites[0]
    let invocations = thin.reduce((a, s) => a + s.windowInvocations, 0)
    for (const x of sites) {
      invocations += x.s.windowInvocations
      if (x.s.windowInvocations > home.s.windowInvocations) home = x
    }
    const scale = home.s.windowInvocations > 0 ? invocations / home.s.windowInvocations : sites.length
    arrivalRate = home.rate.mean.map((m) => Math.max(0, m * scale))
  } else if (r.rates === 'signed-sum') arrivalRate = rateMean.map((m) => Math.max(0, m))
  for (const { s, rate, peak } of sites) {
    for (let h = 0; h < horizon; h++) {
      const mu = quadrature ? Math.min(peak.mean[h], (rate.mean[h] * s.meanDurationMs) / MINUTE_MS) : peak.mean[h]
      conc[h] += mu
      excess2[h] += (peak.mean[h] - mu) ** 2
      if (r.variance === 'independent') {
        rateVar[h] += rate.variance[h]
        peakVar[h] += peak.variance[h]
      } else {
        const w = rateMean[h] > 0 ? rate.mean[h] / rateMean[h] : 1 / sites.length
        rateVar[h] += rate.variance[h] - rate.mean[h] * (1 - w)
        peakVar[h] += peak.variance[h] - peak.mean[h] * (1 - w)
        w2[h] += w * w
      }
    }
    const mu0 = r.cap === 'peaks' && !quadrature ? s.peakCap : Math.min(s.peakCap, (rate.mean[0] * s.meanDurationMs) / MINUTE_MS)
    capConc += mu0
    capExcess2 += (s.peakCap - mu0) ** 2
    capMax = Math.max(capMax, s.peakCap)
    active = Math.max(active, s.activeMinutes)
    models.add(s.model)
  }
  if (r.activeMinutes === 'clumped') {
    // a sketch counts every minute of its site's window (the longest window is the cluster's)
    const all = [...sites.map(({ s }) => s), ...thin]
    active = clusterActiveMinutes(all, Math.max(...all.map((s) => s.peakSketch.reduce((a, c) => a + c, 0))))
  }
  if (r.variance !== 'independent') {
    for (let h = 0; h < horizon; h++) {
      const scale = r.variance === 'thinned' ? w2[h] : 1
      rateVar[h] = scale > 0 ? Math.max(0, rateVar[h]) / scale : 0
      peakVar[h] = scale > 0 ? Math.max(0, peakVar[h]) / scale : 0
    }
  }
  let peakMean = conc.map((c, h) => c + Math.sqrt(excess2[h]))
  let cap = r.cap === 'max' ? capMax : r.cap === 'quadrature' ? Math.max(capMax, Math.round(capConc + Math.sqrt(capExcess2))) : Math.round(capConc + Math.sqrt(capExcess2))
  if (r.cap === 'sketch' || r.peaks === 'sketch') {
    const invocations = sites.reduce((a, x) => a + x.s.windowInvocations, 0)
    const d = invocations > 0 ? clusterPeakDistribution(sites.map(({ s }) => ({ sketch: s.peakSketch, share: s.windowInvocations / invocations }))) : undefined
    // never below the largest site's own (exact) 99th percentile; one site is the cluster: its cap as it is
    if (d && r.cap === 'sketch') cap = sites.length === 1 ? capMax : Math.max(capMax, Math.round(distributionQuantile(d, 0.99)))
    if (d && r.peaks === 'sketch' && d.siteMeanSum > 0) {
      // at most 1: the peak of the sum never exceeds the sum of the peaks (1 - 1e-9: one site's own histogram back)
      const ratio = distributionMean(d) / d.siteMeanSum
      const scale = ratio > 1 - 1e-9 ? 1 : ratio
      peakMean = peakMean.map((m) => m * scale)
      for (let h = 0; h < horizon; h++) peakVar[h] *= scale * scale
    }
  }
  return {
    activeMinutes: active, rateMean: arrivalRate, rateUpper: arrivalRate.map((m, h) => m + z * Math.sqrt(rateVar[h])),
    peakMean, peakUpper: peakMean.map((m, h) => m + z * Math.sqrt(peakVar[h])), peakCap: Math.max(1, cap),
    model: `federated ${sites.length} sites: ${[...models].join(', ')}`,
  }
}
