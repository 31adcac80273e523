// Federated forecasting (issue 17): each site fits its share of a function's per-minute series with the
// forecast kernel and ships a fixed-size summary (per-step means and variances and a histogram of its peaks,
// not the series); the control plane combines the sites' summaries (federated-combine.ts) into one
// cluster-wide fit that drives the same predictive policy as central fitting does. Before a refit the sites
// agree on one season per function (agreeSeason). docs/scheduler.md ("Federated forecasting") lists what
// leaves a site.
import { normalQuantile } from '@jaegis/kernels/forecast'
import { FunctionActivity } from './activity.js'
import { combineSummaries, DEFAULT_RULES, summaryBytes, type CombineRules, type SiteSummary } from './federated-combine.js'
import type { Forecaster } from './forecaster.js'
import { hashString } from './invocations.js'
import { IdleTimeHistogram } from './idle-histogram.js'
import { peakSketch } from './peak-sketch.js'
import { fitSeries, PredictivePolicy, type FitSource, type PredictiveOptions, type SeriesFit } from './policies/predictive.js'
import { MINUTE_MS } from './types.js'

export { clusterActiveMinutes, combineSummaries, summaryBytes, validateSummary } from './federated-combine.js'
export type { CombineRules, SiteSummary, VarianceRule } from './federated-combine.js'

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
export function siteSummary(site: number, counts: number[], peaks: number[], meanDurationMs: number, forecaster: Forecaster, horizon: number, level: number, minActiveMinutes: number, fromMinute?: number, signedRates = false): SiteSummary | undefined {
  const f = fitSeries(counts, peaks, forecaster, horizon, level, minActiveMinutes)
  if (f.activeMinutes === 0) return undefined
  let windowInvocations = 0
  for (const c of counts) windowInvocations += c
  const shared = { site, ...(fromMinute === undefined ? {} : { fromMinute }), activeMinutes: f.activeMinutes, windowInvocations, peakSketch: peakSketch(peaks), meanDurationMs }
  if (f.rateMean.length === horizon) {
    return {
      ...shared, rateMean: signedRates ? f.rateMean : f.rateMean.map((x) => Math.max(0, x)), rateVar: varianceFromUpper(f.rateMean, f.rateUpper, level),
      peakMean: f.peakMean.map((x) => Math.max(0, x)), peakVar: varianceFromUpper(f.peakMean, f.peakUpper, level), peakCap: f.peakCap, model: f.model,
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
  return { ...shared, rateMean: fill(rate), rateVar: fill(rate), peakMean: fill(pm), peakVar: fill(n > 1 ? pss / (n - 1) : 0), peakCap: pmax, model: 'window-mean' }
}

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
  /** Bytes of everything that left the sites: summaries and the season agreement's messages. */
  bytes: number
  /** Of `bytes`, the season agreement's (periods detected, one AIC per candidate). */
  agreementBytes?: number
}

/**
 * Bytes a site ships for the season agreement: round one its id, a count and the periods it detected (2 bytes
 * each); round two (when there is a choice) its id and one AIC (8 bytes) per candidate.
 */
export function agreementBytes(periods: number, candidates: number): number {
  return 4 + 1 + 2 * periods + (candidates > 1 ? 4 + 8 * candidates : 0)
}

/** Whether `site` is cut off from control at `minute` (it ships nothing; control keeps its last summary). */
export type SiteOffline = (site: number, minute: number) => boolean

/**
 * A FitSource whose series stay at the sites: each invocation is recorded only by its site's activity;
 * a fit asks each site for a SiteSummary and combines them. `onShip` sees every summary that leaves a site.
 * A site that `offline` says is cut off ships nothing: control combines the last summary it shipped,
 * aligned to the fit's minute (combineSummaries), until that is older than the rules' maxStaleMinutes.
 */
export class FederatedFitSource implements FitSource {
  private readonly siteActivity: FunctionActivity[]
  /** Control's copy of the latest summary each site shipped (undefined: it had nothing to say). */
  private readonly lastShipped: (SiteSummary | undefined)[]
  constructor(private readonly fn: string, private readonly sites: number, private readonly forecaster: Forecaster, private readonly onShip?: (fn: string, s: SiteSummary) => void, private readonly rules: CombineRules = {}, private readonly offline?: SiteOffline, private readonly onAgree?: (fn: string, bytes: number) => void) {
    const m = rules.siteMinActiveMinutes
    if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new RangeError(`siteMinActiveMinutes must be an integer >= 1, got ${m}`)
    this.siteActivity = Array.from({ length: sites }, () => new FunctionActivity({ histogramRangeMinutes: 240 }))
    this.lastShipped = new Array(sites).fill(undefined)
  }

  record(startMs: number, durationMs: number): void {
    this.siteActivity[siteOf(this.fn, startMs, this.sites)].record(startMs, durationMs)
  }

  /** Site `site`'s summary (what it would ship) for a fit at `minute`; undefined when it saw nothing. */
  private summaryOf(site: number, minute: number, horizon: number, level: number, windowMinutes: number, minActiveMinutes: number, forecaster = this.forecaster): SiteSummary | undefined {
    const a = this.siteActivity[site]
    if (a.invocations === 0) return undefined
    const { counts, peaks } = a.closedMinutes(minute * MINUTE_MS, windowMinutes)
    const signed = ['signed-sum', 'seasonal'].includes(this.rules.rates ?? DEFAULT_RULES.rates)
    return siteSummary(site, counts, peaks, a.meanDurationMs, forecaster, horizon, level, minActiveMinutes, minute, signed)
  }

  /**
   * The season the sites agree on for a fit at `minute` (`season: 'agreed'`). Round one: each online site
   * with at least `minActive` active minutes ships the periods it detects on its window (at most two).
   * Control's candidates: every set shipped and every single period in one, and no season. Round two: each
   * such site ships its fit's AIC under every candidate (its window's counts fitted with that season);
   * control adds them and takes the lowest (sites' windows are independent thinnings, so log-likelihoods
   * add). Undefined with one site, when no site has a say, or when the forecaster has no seasons.
   */
  agreeSeason(minute: number, windowMinutes: number, minActive: number, horizon: number, level: number): number[] | undefined {
    const f = this.forecaster
    // one site is the cluster: its own detection is central fitting's
    if (this.sites < 2 || !f.seasons || !f.variant) return undefined
    const windows: number[][] = []
    for (let site = 0; site < this.sites; site++) {
      if (this.offline?.(site, minute)) continue
      const a = this.siteActivity[site]
      if (a.invocations === 0) continue
      const { counts } = a.closedMinutes(minute * MINUTE_MS, windowMinutes)
      let active = 0
      for (const c of counts) if (c > 0) active++
      if (active >= minActive) windows.push(counts)
    }
    if (windows.length === 0) return undefined
    const candidates = new Map<string, number[]>([['', []]])
    const found = windows.map((counts) => f.seasons!(Float64Array.from(counts)))
    for (const periods of found) {
      candidates.set(periods.join(','), periods)
      for (const m of periods) candidates.set(String(m), [m])
    }
    for (const periods of found) this.onAgree?.(this.fn, agreementBytes(periods.length, candidates.size))
    if (candidates.size === 1) return []
    let best: number[] | undefined
    let bestScore = Infinity
    for (const season of candidates.values()) {
      const g = f.variant({ season })
      let score = 0
      for (const counts of windows) score += g.forecast(Float64Array.from(counts), horizon, level).aic ?? NaN
      if (score < bestScore) {
        bestScore = score
        best = season
      }
    }
    return best
  }

  /** Each site's summary (what it ships) for a fit at `minute`. */
  summaries(minute: number, horizon: number, level: number, windowMinutes: number, minActiveMinutes: number): SiteSummary[] {
    const out: SiteSummary[] = []
    for (let site = 0; site < this.sites; site++) {
      const s = this.summaryOf(site, minute, horizon, level, windowMinutes, minActiveMinutes)
      if (s) out.push(s)
    }
    return out
  }

  fit(minute: number, horizon: number, level: number, windowMinutes: number, minActiveMinutes: number): SeriesFit {
    const thinSites = this.rules.thinSites ?? DEFAULT_RULES.thinSites
    // a site fits its own window from fewer active minutes than the cluster needs (control checks the cluster's)
    const siteMinActive = Math.min(minActiveMinutes, this.rules.siteMinActiveMinutes ?? DEFAULT_RULES.siteMinActiveMinutes)
    const usable: SiteSummary[] = []
    const signed = ['signed-sum', 'seasonal'].includes(this.rules.rates ?? DEFAULT_RULES.rates)
    const season = (this.rules.season ?? DEFAULT_RULES.season) === 'agreed' ? this.agreeSeason(minute, windowMinutes, siteMinActive, horizon, level) : undefined
    const forecaster = (season || signed) && this.forecaster.variant ? this.forecaster.variant({ season, signed }) : this.forecaster
    for (let site = 0; site < this.sites; site++) {
      if (this.offline?.(site, minute)) {
        const last = this.lastShipped[site]
        if (last) usable.push(last)
        continue
      }
      let s = this.summaryOf(site, minute, horizon, level, windowMinutes, siteMinActive, forecaster)
      // a site whose window is too thin for a fit ships nothing when control would leave it out anyway
      if (s && thinSites === 'none' && s.model === 'window-mean') s = undefined
      this.lastShipped[site] = s
      if (!s) continue
      this.onShip?.(this.fn, s)
      usable.push(s)
    }
    return combineSummaries(usable, horizon, level, this.rules, minute)
  }
}

/** The predictive policy with every function's forecast fitted at `sites` sites and combined at control. */
export function federatedPredictivePolicy(sites: number, options: PredictiveOptions = {}, stats?: ShipStats, rules: CombineRules = {}, offline?: SiteOffline): PredictivePolicy {
  if (!Number.isInteger(sites) || sites < 1) throw new RangeError(`sites must be an integer >= 1, got ${sites}`)
  return new PredictivePolicy({
    ...options,
    fitSource: (fn, forecaster) => new FederatedFitSource(fn, sites, forecaster, stats ? (_fn, s) => {
      stats.summaries++
      stats.bytes += summaryBytes(s)
    } : undefined, rules, offline, stats ? (_fn, bytes) => {
      stats.bytes += bytes
      stats.agreementBytes = (stats.agreementBytes ?? 0) + bytes
    } : undefined),
  })
}
