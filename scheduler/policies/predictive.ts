// The predictive policy (ours): a forecast of each function's per-minute invocation rate and peak concurrency
// sets a warm floor ahead of load; the idle-time histogram pre-warms and keeps alive sparse functions; a
// reactive burst mode (Knative's 60 s stable and 6 s panic windows) holds capacity when load outruns both.
import { FunctionActivity } from '../activity.js'
import { EtsForecaster, type Forecaster } from '../forecaster.js'
import { MINUTE_MS, type DecidedBy, type FunctionPolicy, type PoolTarget, type ScalingPolicy } from '../types.js'

export interface PredictiveOptions {
  /** Forecaster of per-minute series. @default new EtsForecaster() (the forecast kernel) */
  forecaster?: Forecaster
  /** Coverage of the interval whose upper bound sets the warm count. @default 0.99 */
  level?: number
  /**
   * Keep-alive (minutes) while the function has too few idle times for the histogram. By default it
   * follows the exchange rate: 20 minutes at the default cost (chosen on the tune half, docs/scheduler.md),
   * scaled by coldStartCostGbS / 500 and capped at the histogram's 240-minute range. Under a heavy-tailed
   * idle time (hazard falling like 1/elapsed) the last minute worth holding grows in proportion to the
   * cost, so a caller who prices cold starts higher also waits longer on a function it knows nothing of.
   * @default min(240, 20 x coldStartCostGbS / 500)
   */
  fallbackKeepAliveMinutes?: number
  /**
   * Keep-alive (minutes) of the second and later instances in that phase: fixed's 10, so that a function
   * whose invocations come in concurrent bursts starts no colder than under fixed while it is learned. @default 10
   */
  fallbackExtraKeepAliveMinutes?: number
  /** Keep-alive (ms) of instances above the forecast floor for functions the forecast covers. @default 60000 */
  forecastKeepAliveMs?: number
  /**
   * The exchange rate between the two costs the policy trades: one cold start costs as much as this many
   * GB-seconds of idle instance memory. Holding one instance of `instanceMemoryMb` for a minute costs
   * memoryGiB x 60 GB-s, so an instance is held for a minute when the chance that it serves an invocation
   * that would otherwise start cold is at least memoryGiB x 60 / coldStartCostGbS (128 MiB: 7.5 / cost).
   * The main knob: higher keeps more warm. Default chosen by cross-validation on the shared trace's
   * even-hash functions, reported on the odd-hash ones (docs/scheduler.md). @default 500
   */
  coldStartCostGbS?: number
  /** Memory of one instance (MiB), for the cost of holding it. @default 128 */
  instanceMemoryMb?: number
  /** Invocation peaks at the starts of activity remembered to size the pool held before the next one. @default 16 */
  arrivalPeakMemory?: number
  /**
   * Minutes from the start of activity (after an idle minute) over which the pool is sized, once activity
   * has started, by the remembered peaks of the same minutes of past episodes: traces ramp up (a minute of 8
   * invocations, then one of 153), and the ramp's peak is what the pool must hold. Chosen on the tune half
   * (docs/scheduler.md). @default 3
   */
  episodeMinutes?: number
  /**
   * Minutes of holding charged to an instance added for a ramp: the k-th is held while the share of
   * remembered episodes that needed k reaches holdThreshold x this. Chosen on the tune half. @default 4
   */
  rampChargeMinutes?: number
  /**
   * Keep-alive lengths (minutes) validated per function against the hazard rule for holding its first
   * instance through idle minutes: each idle time the function ends is scored, before it joins the histogram,
   * as the cost (cold start x coldStartCostGbS + idle GB-s) each rule would have had on it; the rule with the
   * lowest total over the function's past idle times holds its next ones (the hazard wins ties and rules
   * until minSamples idle times are scored). [] keeps the hazard rule always. [10, 30, 60] at the default
   * cost, chosen on the tune half (even-hash functions) of the shared trace, and in proportion to the cost
   * elsewhere like the fallback keep-alive (docs/scheduler.md). @default keepAliveChoices(coldStartCostGbS)
   */
  keepAliveChoices?: number[]
  /**
   * Keep-alive lengths (minutes) validated per function for its second and later instances, like
   * keepAliveChoices for the first: for each concurrency level k >= 2, every gap (whole minutes) between two
   * closed minutes whose peak reached k is scored, as it ends, as the cost each candidate would have had on it
   * (holding the k-th instance min(gap, K) minutes, a cold start if gap >= K) against not holding it past its
   * minute (a cold start for any gap of one minute or more); once `minSamples` gaps are scored the cheapest so
   * far holds the k-th instance for K idle minutes after the last minute that needed it. [] never holds extra
   * instances past their keep-alive. Without it an extra instance goes 60 s (10 min while learning) after its
   * last use at every cost, so the trade-off curve flattened: the cold starts of concurrency spikes in dense
   * functions do not fall however much a cold start is priced (docs/scheduler.md, "Sixth pass").
   * @default extraKeepAliveChoices(coldStartCostGbS)
   */
  extraKeepAliveChoices?: number[]
  /**
   * Unload idle instances once a minute's invocations have probably all come (the share of past active
   * minutes with more invocations than seen so far is below the hold threshold); the next minute is
   * pre-warmed just before it. @default true
   */
  releaseServedMinutes?: boolean
  /**
   * Hazard from the idle-time histogram smoothed over neighbouring minutes (1/4, 1/2, 1/4) instead of the
   * raw counts. Smoothing holds the minute before each arrival of an exact period too (a neighbour's
   * quarter of a count is a hazard above a low hold threshold); raw counts learn a jittering period's
   * second minute the first time it occurs. Chosen on the tune half (docs/scheduler.md). @default false
   */
  hazardSmoothing?: boolean
  /**
   * While a function has fewer than `minSamples` idle times (the fallback phase, held by the fallback
   * keep-alive), also pre-warm one instance just before each minute in which one of its past idle times
   * ended, by the hazard of those few idle times ('raw'), or of them spread over the minute either side
   * ('smoothed', for idle times that jitter by a minute); 'off' waits for minSamples idle times. A timer
   * that runs every hour is warm from its third invocation instead of its seventh. Chosen on the tune
   * half (docs/scheduler.md). @default 'raw'
   */
  learningPrewarm?: 'off' | 'raw' | 'smoothed'
  /** Latest active minutes whose invocation counts that decision reads (a function's rhythm changes). @default 60 */
  minuteCountMemory?: number
  /** Refit the forecast every this many minutes. @default 5 */
  refitMinutes?: number
  /** Minutes of history a fit uses. @default 360 */
  windowMinutes?: number
  /** Active minutes in the window before the forecast is trusted. @default 5 */
  minActiveMinutes?: number
  /** Idle times before the histogram is used. @default 5 */
  minSamples?: number
  /** The warm count is ceil(upper bound of the peak-concurrency forecast - roundingSlack). @default 0.5 */
  roundingSlack?: number
  /** Knative windows (ms) and panic threshold (desired / current, e.g. 2 = 200%). @default 60000, 6000, 2 */
  stableWindowMs?: number
  panicWindowMs?: number
  panicThreshold?: number
  /** Decision interval (ms). @default 6000 (the panic window) */
  decisionIntervalMs?: number
  /**
   * Where each function's forecast fit comes from. Default: fitted here on the function's own per-minute
   * series (central fitting). `scheduler/federated.ts` fits at sites and combines their summaries.
   */
  fitSource?: (functionName: string, forecaster: Forecaster) => FitSource
}

/** A forecast fit of one function's per-minute invocation rate and peak concurrency, `horizon` steps ahead. */
export interface SeriesFit {
  /** Minutes with at least one invocation in the fitted window. */
  activeMinutes: number
  /** Per step: mean rate (invocations/min) and mean peak concurrency, and the peak's upper bound at `level`. Empty when not fitted. */
  rateMean: number[]
  rateUpper: number[]
  peakMean: number[]
  peakUpper: number[]
  /** Never hold more than this (99th percentile of the window's per-minute peaks). */
  peakCap: number
  model: string
}

/** The source of a function's forecast fit (see PredictiveOptions.fitSource). */
export interface FitSource {
  /** Each invocation, in start order, as the policy records it. */
  record(startMs: number, durationMs: number): void
  /** A fit on what was recorded before minute `minute` (no peeking). */
  fit(minute: number, horizon: number, level: number, windowMinutes: number, minActiveMinutes: number): SeriesFit
}

/**
 * Fits a window of per-minute counts and peaks with `forecaster` (no fit, empty steps, below
 * `minActiveMinutes` active minutes).
 */
export function fitSeries(counts: number[], peaks: number[], forecaster: Forecaster, horizon: number, level: number, minActiveMinutes: number): SeriesFit {
  let active = 0
  for (const c of counts) if (c > 0) active++
  if (active < minActiveMinutes) return { activeMinutes: active, rateMean: [], rateUpper: [], peakMean: [], peakUpper: [], peakCap: 0, model: `not enough activity (${active} active minutes)` }
  const rate = forecaster.forecast(Float64Array.from(counts), horizon, level)
  const peak = forecaster.forecast(Float64Array.from(peaks), horizon, level)
  // Never hold more than the window's 99th-percentile peak: interval bounds of a 0/1 series overshoot.
  const sortedPeaks = peaks.slice().sort((x, y) => x - y)
  const peakCap = Math.max(1, sortedPeaks[Math.min(sortedPeaks.length - 1, Math.floor(0.99 * sortedPeaks.length))] ?? 1)
  return {
    activeMinutes: active, rateMean: Array.from(rate.mean), rateUpper: Array.from(rate.upper), peakMean: Array.from(peak.mean),
    peakUpper: Array.from(peak.upper), peakCap, model: `${rate.model} / ${peak.model}`,
  }
}

/** Per-minute invocation counts are tallied up to this (a minute with more is counted as this many). */
const MINUTE_COUNT_CAP = 64

/** One cold start is worth this many GB-s of idle memory unless told otherwise (see `coldStartCostGbS`). */
export const DEFAULT_COLD_START_COST_GB_S = 500

/**
 * The chance of use at which holding one instance for a minute pays: its memory cost (GiB x 60 s) over
 * the cost of the cold start it avoids, capped at 1.
 */
export function holdThreshold(coldStartCostGbS: number, instanceMemoryMb: number): number {
  return Math.min(1, ((instanceMemoryMb / 1024) * 60) / coldStartCostGbS)
}

type Resolved = Required<Omit<PredictiveOptions, 'forecaster' | 'fitSource'>> & { arrivalProbability: number }

interface ForecastPlan {
  fromMinute: number
  warm: number[]
  ratePerMin: number[]
  model: string
  covered: boolean
}

/** The keep-alive (minutes) of the fallback phase at the default cost, unless the options say otherwise (chosen on the tune half). */
export const DEFAULT_FALLBACK_KEEP_ALIVE_MINUTES = 20

/** Range (minutes) of the policy's idle-time histogram; the fallback phase's keep-alive never exceeds it. */
const HISTOGRAM_RANGE_MINUTES = 240

/** The per-function keep-alive candidates (minutes) at the default cost (chosen on the tune half). */
export const DEFAULT_KEEP_ALIVE_CHOICES_MINUTES: readonly number[] = [10, 30, 60]

/**
 * A keep-alive set at the default cost, at another cost: in proportion (the last minute worth holding
 * under a hazard falling like 1/elapsed grows with the cost), capped at the histogram's range.
 */
function atCost(minutes: number, coldStartCostGbS: number): number {
  return Math.min(HISTOGRAM_RANGE_MINUTES, (minutes * coldStartCostGbS) / DEFAULT_COLD_START_COST_GB_S)
}

/** The fallback keep-alive (minutes) at a cold-start cost: DEFAULT_FALLBACK_KEEP_ALIVE_MINUTES at the default, in proportion elsewhere. */
export function fallbackKeepAliveMinutes(coldStartCostGbS: number): number {
  return atCost(DEFAULT_FALLBACK_KEEP_ALIVE_MINUTES, coldStartCostGbS)
}

/** The keep-alive candidates (minutes) at a cold-start cost: DEFAULT_KEEP_ALIVE_CHOICES_MINUTES at the default, in proportion elsewhere. */
export function keepAliveChoices(coldStartCostGbS: number): number[] {
  return DEFAULT_KEEP_ALIVE_CHOICES_MINUTES.map((m) => atCost(m, coldStartCostGbS))
}

/** The candidates (minutes) for extra instances' keep-alive at the default cost (chosen on the tune half). */
export const DEFAULT_EXTRA_KEEP_ALIVE_CHOICES_MINUTES: readonly number[] = [10, 30, 60]

/** Concurrency levels (instances) whose gaps are tracked for extraKeepAliveChoices (bounds the work per minute); the burst and ramp rules size pools beyond it. */
const MAX_TRACKED_LEVEL = 64

/** The extra instances' keep-alive candidates (minutes) at a cold-start cost: in proportion to it, like keepAliveChoices. */
export function extraKeepAliveChoices(coldStartCostGbS: number): number[] {
  return DEFAULT_EXTRA_KEEP_ALIVE_CHOICES_MINUTES.map((m) => atCost(m, coldStartCostGbS))
}

/** Forecast-driven warm pools with histogram pre-warming and a burst mode. */
export class PredictivePolicy implements ScalingPolicy {
  readonly name = 'predictive'
  readonly knob
  readonly decisionIntervalMs: number
  private readonly o: Resolved
  private readonly forecaster: Forecaster
  private readonly fitSource: PredictiveOptions['fitSource']

  constructor(options: PredictiveOptions = {}) {
    this.forecaster = options.forecaster ?? new EtsForecaster()
    this.fitSource = options.fitSource
    this.o = {
      level: options.level ?? 0.99,
      fallbackKeepAliveMinutes: options.fallbackKeepAliveMinutes ?? fallbackKeepAliveMinutes(options.coldStartCostGbS ?? DEFAULT_COLD_START_COST_GB_S),
      fallbackExtraKeepAliveMinutes: options.fallbackExtraKeepAliveMinutes ?? 10,
      forecastKeepAliveMs: options.forecastKeepAliveMs ?? 60_000,
      coldStartCostGbS: options.coldStartCostGbS ?? DEFAULT_COLD_START_COST_GB_S,
      instanceMemoryMb: options.instanceMemoryMb ?? 128,
      arrivalPeakMemory: options.arrivalPeakMemory ?? 16,
      episodeMinutes: options.episodeMinutes ?? 3,
      rampChargeMinutes: options.rampChargeMinutes ?? 4,
      arrivalProbability: 0,
      keepAliveChoices: options.keepAliveChoices ?? keepAliveChoices(options.coldStartCostGbS ?? DEFAULT_COLD_START_COST_GB_S),
      extraKeepAliveChoices: options.extraKeepAliveChoices ?? extraKeepAliveChoices(options.coldStartCostGbS ?? DEFAULT_COLD_START_COST_GB_S),
      releaseServedMinutes: options.releaseServedMinutes ?? true,
      minuteCountMemory: options.minuteCountMemory ?? 60,
      hazardSmoothing: options.hazardSmoothing ?? false,
      learningPrewarm: options.learningPrewarm ?? 'raw',
      refitMinutes: options.refitMinutes ?? 5,
      windowMinutes: options.windowMinutes ?? 360,
      minActiveMinutes: options.minActiveMinutes ?? 5,
      minSamples: options.minSamples ?? 5,
      roundingSlack: options.roundingSlack ?? 0.5,
      stableWindowMs: options.stableWindowMs ?? 60_000,
      panicWindowMs: options.panicWindowMs ?? 6_000,
      panicThreshold: options.panicThreshold ?? 2,
      decisionIntervalMs: options.decisionIntervalMs ?? 6_000,
    }
    const o = this.o
    if (!(o.coldStartCostGbS > 0)) throw new RangeError(`coldStartCostGbS must be > 0, got ${o.coldStartCostGbS}`)
    if (!(o.instanceMemoryMb > 0)) throw new RangeError(`instanceMemoryMb must be > 0, got ${o.instanceMemoryMb}`)
    if (!(o.arrivalPeakMemory >= 1) || !Number.isInteger(o.arrivalPeakMemory)) throw new RangeError(`arrivalPeakMemory must be an integer >= 1, got ${o.arrivalPeakMemory}`)
    if (!(o.minuteCountMemory >= 1) || !Number.isInteger(o.minuteCountMemory)) throw new RangeError(`minuteCountMemory must be an integer >= 1, got ${o.minuteCountMemory}`)
    if (!(o.rampChargeMinutes > 0)) throw new RangeError(`rampChargeMinutes must be > 0, got ${o.rampChargeMinutes}`)
    if (!o.keepAliveChoices.every((k) => k > 0 && Number.isFinite(k))) throw new RangeError(`keepAliveChoices must be minutes > 0, got ${o.keepAliveChoices.join(', ')}`)
    if (!Array.isArray(o.extraKeepAliveChoices) || !o.extraKeepAliveChoices.every((k) => typeof k === 'number' && k > 0 && Number.isFinite(k))) throw new RangeError(`extraKeepAliveChoices must be minutes > 0, got ${String(o.extraKeepAliveChoices)}`)
    if (!['off', 'raw', 'smoothed'].includes(o.learningPrewarm)) throw new RangeError(`learningPrewarm must be 'off', 'raw' or 'smoothed', got ${JSON.stringify(o.learningPrewarm)}`)
    if (!(o.episodeMinutes >= 0) || !Number.isInteger(o.episodeMinutes)) throw new RangeError(`episodeMinutes must be an integer >= 0, got ${o.episodeMinutes}`)
    o.arrivalProbability = holdThreshold(o.coldStartCostGbS, o.instanceMemoryMb)
    if (!(o.level > 0 && o.level < 1)) throw new RangeError(`level must be in (0, 1), got ${o.level}`)
    if (!(o.fallbackKeepAliveMinutes >= 0)) throw new RangeError(`fallbackKeepAliveMinutes must be >= 0, got ${o.fallbackKeepAliveMinutes}`)
    if (!(o.refitMinutes >= 1) || !Number.isInteger(o.refitMinutes)) throw new RangeError(`refitMinutes must be an integer >= 1, got ${o.refitMinutes}`)
    if (!(o.panicWindowMs > 0 && o.panicWindowMs <= o.stableWindowMs)) throw new RangeError('need 0 < panicWindowMs <= stableWindowMs')
    this.decisionIntervalMs = o.decisionIntervalMs
    this.knob = { name: 'coldStartCostGbS', value: o.coldStartCostGbS, unit: 'GB-s' }
  }

  forFunction(name: string): FunctionPolicy {
    return new PredictiveFunction(this.o, this.forecaster, this.fitSource?.(name, this.forecaster))
  }
}

class PredictiveFunction implements FunctionPolicy {
  private readonly activity: FunctionActivity
  private plan: ForecastPlan | undefined
  private panicUntilMs = -Infinity
  private burstWarm = 0
  private lastWarm = 0
  /** Minute of the current arrival (activity after an idle minute) until it closes. */
  private arrivalMinute: number | undefined
  /** Peak concurrency of the latest arrivals (at most arrivalPeakMemory), oldest first. */
  private readonly arrivalPeaks: number[] = []
  /** First minute of the current episode (activity after an idle minute) until its episodeMinutes are over. */
  private episodeMinute: number | undefined
  /** Peak concurrency over the first episodeMinutes of the latest episodes (at most arrivalPeakMemory), oldest first. */
  private readonly episodePeaks: number[] = []
  /** Cost (GB-s) of the hazard rule (index 0) and of each keepAliveChoices entry over the idle times scored so far. */
  private readonly idleRuleCost: number[]
  /** Candidate rules for the first instance through idle minutes, the starting one first (see idleRules). */
  private readonly rules: IdleRule[]
  private idleTimesScored = 0
  /** The rule holding the first instance through idle minutes: 0 the hazard, k the (k-1)-th keep-alive choice. */
  private idleRule = 0
  /** levelMinute[k]: the latest closed minute whose peak concurrency reached k (k >= 2), for extraKeepAliveChoices. */
  private readonly levelMinute: number[] = []
  /** The latest active minute whose levels are in levelMinute. */
  private levelsClosedThrough = -Infinity
  /** Cost (GB-s) over the level gaps scored so far of not holding extra instances (index 0) and of each extraKeepAliveChoices entry. */
  private readonly levelRuleCost: number[]
  private levelGapsScored = 0
  /** The rule holding extra instances through idle minutes: 0 none, k the (k-1)-th extra keep-alive choice. */
  private levelRule = 0
  /** The minute of the first decision seen in it, and what the rules other than the extra keep-alive held then. */
  private baseWarmMinute = -Infinity
  private baseWarm = 0
  /** minuteAtLeast[j]: closed active minutes with at least j invocations (j < MINUTE_COUNT_CAP), for servedMinute. */
  private readonly minuteAtLeast: number[] = [0]
  /** Invocation counts of the latest closed active minutes, oldest first. */
  private readonly minuteCounts: number[] = []

  constructor(private readonly o: Resolved, private readonly forecaster: Forecaster, private readonly source?: FitSource) {
    this.activity = new FunctionActivity({ histogramRangeMinutes: HISTOGRAM_RANGE_MINUTES, windowMs: o.stableWindowMs })
    this.rules = idleRules(o)
    this.idleRuleCost = new Array<number>(this.rules.length).fill(0)
    this.levelRuleCost = new Array<number>(o.extraKeepAliveChoices.length + 1).fill(0)
  }

  /**
   * Once the latest active minute is closed (before `minute`), scores the gap each of its concurrency levels
   * k >= 2 ended (whole minutes since the last minute that reached k) under each extra keep-alive choice and
   * under none, and picks the cheapest so far once minSamples gaps are scored (extraKeepAliveChoices).
   */
  private closeLevels(minute: number): void {
    const a = this.activity
    const last = a.lastActiveMinute
    if (!(last < minute) || last <= this.levelsClosedThrough || this.levelRuleCost.length < 2) return
    this.levelsClosedThrough = last
    const o = this.o
    const peak = Math.min(MAX_TRACKED_LEVEL, a.peaks[last - a.originMinute] ?? 0)
    // Levels the other rules already held when the minute started cost a cold start under no rule.
    const held = this.baseWarmMinute === last ? this.baseWarm : 0
    const minuteGbS = (o.instanceMemoryMb / 1024) * 60
    let scored = false
    for (let k = 2; k <= peak; k++) {
      const prev = this.levelMinute[k]
      this.levelMinute[k] = last
      if (prev === undefined) continue
      const g = last - prev - 1
      if (g < 1) continue // the minute before needed k too: held by the ordinary keep-alive under every rule
      const cold = k > held ? o.coldStartCostGbS : 0
      this.levelRuleCost[0] += cold
      o.extraKeepAliveChoices.forEach((ka, i) => {
        this.levelRuleCost[i + 1] += Math.min(g, ka) * minuteGbS + (g < ka ? 0 : cold)
      })
      this.levelGapsScored++
      scored = true
    }
    if (!scored || this.levelGapsScored < o.minSamples) return
    let best = 0
    for (let i = 1; i < this.levelRuleCost.length; i++) if (this.levelRuleCost[i] < this.levelRuleCost[best] - 1e-9) best = i
    this.levelRule = best
  }

  /** Instances (>= 2, else 0) the chosen extra keep-alive still holds in `minute`: level k while it is fewer than K idle minutes since k was last needed. */
  private levelWarm(minute: number): number {
    if (this.levelRule === 0) return 0
    const ka = this.o.extraKeepAliveChoices[this.levelRule - 1]
    let k = 1
    while (k + 1 < this.levelMinute.length && this.levelMinute[k + 1] !== undefined && minute - this.levelMinute[k + 1] - 1 < ka) k++
    return k >= 2 ? k : 0
  }

  /**
   * Scores an idle time of `g` whole minutes that has just ended (before the histogram learns it) under the
   * hazard rule as the histogram stood and under each keep-alive choice, then picks the cheapest rule so far.
   * A rule holding the instance in idle minute e pays a minute of its memory; one not holding it in minute g
   * (when the invocation came) pays a cold start. Only the first instance is modelled.
   */
  private scoreIdleTime(g: number): void {
    const o = this.o
    const hg = this.activity.histogram
    if (this.rules.length < 2 || hg.total < o.minSamples) return
    const minuteGbS = (o.instanceMemoryMb / 1024) * 60
    const t = o.arrivalProbability
    this.rules.forEach((r, i) => {
      if (r.keepAliveMinutes > 0) {
        this.idleRuleCost[i] += Math.min(g, r.keepAliveMinutes) * minuteGbS + (g < r.keepAliveMinutes ? 0 : o.coldStartCostGbS)
        return
      }
      let held = 0
      const last = Math.min(g, hg.rangeMinutes)
      for (let e = 0; e < last; e++) if (hg.hazard(e, r.smoothed) >= t) held++
      const warmAtArrival = g < hg.rangeMinutes && hg.hazard(g, r.smoothed) >= t
      this.idleRuleCost[i] += held * minuteGbS + (warmAtArrival ? 0 : o.coldStartCostGbS)
    })
    this.idleTimesScored++
    if (this.idleTimesScored < o.minSamples) return
    let best = 0
    for (let i = 1; i < this.idleRuleCost.length; i++) if (this.idleRuleCost[i] < this.idleRuleCost[best] - 1e-9) best = i
    this.idleRule = best
  }

  recordInvocation(startMs: number, durationMs: number): void {
    const a = this.activity
    const minute = Math.floor(startMs / MINUTE_MS)
    this.closeArrival(minute)
    this.closeLevels(minute)
    // the first active minute after at least one idle minute: its peak is what the pool must serve at once
    if (a.invocations > 0 && minute > a.lastActiveMinute) {
      this.scoreIdleTime(minute - a.lastActiveMinute - 1)
      this.countMinute(a.counts[a.lastActiveMinute - a.originMinute] ?? 0)
    }
    if (a.invocations === 0 || minute > a.lastActiveMinute + 1) {
      this.arrivalMinute = minute
      this.closeEpisode(minute, true)
      this.episodeMinute = minute
    }
    a.record(startMs, durationMs)
    this.source?.record(startMs, durationMs)
  }

  /**
   * Once the current episode's first episodeMinutes are over before `minute` (or a new episode starts:
   * `force`), remembers the peak concurrency of its closed minutes.
   */
  private closeEpisode(minute: number, force = false): void {
    const a = this.activity
    const start = this.episodeMinute
    if (start === undefined || minute <= start || (!force && minute < start + this.o.episodeMinutes)) return
    let peak = 0
    const end = Math.min(minute, start + this.o.episodeMinutes)
    for (let m = start; m < end; m++) peak = Math.max(peak, a.peaks[m - a.originMinute] ?? 0)
    if (peak > 0) {
      this.episodePeaks.push(peak)
      if (this.episodePeaks.length > this.o.arrivalPeakMemory) this.episodePeaks.shift()
    }
    this.episodeMinute = undefined
  }

  /** Remembers how many invocations a closed active minute had (the latest minuteCountMemory of them). */
  private countMinute(n: number): void {
    const at = this.minuteAtLeast
    const add = (c: number, d: number) => {
      const top = Math.min(c, MINUTE_COUNT_CAP - 1)
      while (at.length <= top) at.push(0)
      for (let j = 0; j <= top; j++) at[j] += d
    }
    add(n, 1)
    this.minuteCounts.push(n)
    if (this.minuteCounts.length > this.o.minuteCountMemory) add(this.minuteCounts.shift()!, -1)
  }

  /**
   * Whether this minute's work is probably done: `seen` invocations have started in it, and of the past
   * active minutes that had at least `seen`, the share that had more (with half a minute of prior for
   * the unseen: (more + 0.5) / (at least + 1)) is below the hold threshold. Then holding an idle instance
   * for the rest of the minute costs more than the cold start it would avoid: it is unloaded, and the next
   * minute's need is pre-warmed just before that minute as usual.
   */
  private servedMinute(seen: number): boolean {
    if (!this.o.releaseServedMinutes || seen < 1 || seen >= MINUTE_COUNT_CAP - 1) return false
    const at = this.minuteAtLeast
    const atLeast = at[seen] ?? 0
    const more = at[seen + 1] ?? 0
    return (more + 0.5) / (atLeast + 1) < this.o.arrivalProbability
  }

  /** Once the arrival minute is over (before `minute`), remembers its peak concurrency. */
  private closeArrival(minute: number): void {
    const a = this.activity
    if (this.arrivalMinute === undefined || minute <= this.arrivalMinute) return
    const peak = a.peaks[this.arrivalMinute - a.originMinute]
    if (peak !== undefined && peak > 0) {
      this.arrivalPeaks.push(peak)
      if (this.arrivalPeaks.length > this.o.arrivalPeakMemory) this.arrivalPeaks.shift()
    }
    this.arrivalMinute = undefined
  }

  /**
   * Instances worth holding for a minute in which activity starts with probability `p`: the k-th pays
   * while p x (share of remembered arrivals that needed at least k at once) reaches the hold threshold.
   * At least 1 when p alone does (so a function with no arrival yet remembered is still pre-warmed).
   */
  private arrivalWarm(p: number, peaks = this.arrivalPeaks): number {
    const t = this.o.arrivalProbability
    if (!(p >= t)) return 0 // also NaN: no idle period lasted this long
    let k = 1
    for (;;) {
      let atLeast = 0
      for (const x of peaks) if (x >= k + 1) atLeast++
      if (peaks.length === 0 || !((p * atLeast) / peaks.length >= t)) return k
      k++
    }
  }

  private refit(minute: number): ForecastPlan {
    const o = this.o
    const nowMs = minute * MINUTE_MS
    const horizon = o.refitMinutes + 1
    let f: SeriesFit
    if (this.source) f = this.source.fit(minute, horizon, o.level, o.windowMinutes, o.minActiveMinutes)
    else {
      const { counts, peaks } = this.activity.closedMinutes(nowMs, o.windowMinutes)
      f = fitSeries(counts, peaks, this.forecaster, horizon, o.level, o.minActiveMinutes)
    }
    if (f.activeMinutes < o.minActiveMinutes || f.rateMean.length < horizon) return { fromMinute: minute, warm: [], ratePerMin: [], model: f.model, covered: false }
    const warm: number[] = []
    const ratePerMin: number[] = []
    for (let h = 0; h < horizon; h++) {
      const lambda = Math.max(0, f.rateMean[h])
      ratePerMin.push(lambda)
      const pArrival = 1 - Math.exp(-lambda)
      warm.push(pArrival >= o.arrivalProbability ? Math.min(f.peakCap, Math.max(1, Math.ceil(f.peakUpper[h] - o.roundingSlack))) : 0)
    }
    return { fromMinute: minute, warm, ratePerMin, model: f.model, covered: true }
  }

  decide(nowMs: number): PoolTarget {
    const o = this.o
    const a = this.activity
    const minute = Math.floor(nowMs / MINUTE_MS)
    if (a.invocations > 0 && (!this.plan || minute - this.plan.fromMinute >= o.refitMinutes)) this.plan = this.refit(minute)
    const plan = this.plan
    const h = plan ? minute - plan.fromMinute : -1
    const forecastWarm = plan && h >= 0 && h < plan.warm.length ? plan.warm[h] : 0
    const ratePerMin = plan && h >= 0 && h < plan.ratePerMin.length ? plan.ratePerMin[h] : 0
    // Next minute's need, pre-warmed so that it is ready at the minute boundary.
    const nextWarm = plan && h + 1 >= 0 && h + 1 < plan.warm.length ? plan.warm[h + 1] : 0
    const msToNextMinute = (minute + 1) * MINUTE_MS - nowMs

    // Idle-time histogram as a hazard: of past idle periods that lasted as long as the current one, the
    // share that ended in this minute. Hold one instance for minutes whose hazard reaches the threshold.
    const hg = a.histogram
    const useHistogram = hg.total >= o.minSamples
    const elapsed = Math.floor(nowMs / MINUTE_MS) - a.lastActiveMinute - 1 // -1: an invocation started this minute
    const busy = a.lastEndMs > nowMs
    const idleRule = this.rules[this.idleRule]
    const hazardNow = elapsed < 0 ? 1 : hg.hazard(elapsed, idleRule.smoothed)
    const hazardNext = hg.hazard(elapsed + 1, idleRule.smoothed)
    let histWarm = 0
    let histPrewarm: number | undefined
    this.closeArrival(minute)
    this.closeEpisode(minute)
    this.closeLevels(minute)
    // Activity has restarted (this minute or the last): the pool is sized for the ramp the remembered
    // episodes reached in as many minutes. Only for more than one instance: whether to hold the first
    // through an idle minute is the hazard's call.
    const inEpisode = this.episodeMinute !== undefined && elapsed <= 0 && this.episodePeaks.length > 0
    const rampWarm = inEpisode ? this.arrivalWarm(1 / o.rampChargeMinutes, this.episodePeaks) : 0
    const episodeWarm = rampWarm >= 2 ? rampWarm : 0
    if (a.invocations > 0 && useHistogram) {
      // after an idle minute activity restarts as a burst sized like the remembered ones; right after an
      // active minute the forecast sizes the pool, and the histogram holds one
      // with a keep-alive chosen for this function (scoreIdleTime), the first instance is held for its minutes
      // instead of by the hazard; the burst size after an idle minute still follows the remembered arrivals
      const kaMinutes = idleRule.keepAliveMinutes
      const size = (p: number, idle: number) =>
        kaMinutes > 0 ? (idle < kaMinutes ? 1 : 0) : idle >= 1 ? this.arrivalWarm(p) : p >= o.arrivalProbability ? 1 : 0
      histWarm = Math.max(busy ? 1 : 0, episodeWarm, elapsed < 0 ? 0 : size(hazardNow, elapsed))
      const nextWarm = size(hazardNext, elapsed + 1)
      if (nextWarm > histWarm && msToNextMinute <= o.decisionIntervalMs) {
        histWarm = nextWarm
        histPrewarm = Math.max(nowMs, (minute + 1) * MINUTE_MS - 1000)
        if (histPrewarm === nowMs) histPrewarm = undefined
      }
    } else if (a.invocations > 0 && o.learningPrewarm !== 'off' && hg.total >= 1) {
      // Fallback phase with a few idle times: one instance around the minutes they ended in (hazard of the
      // few; NaN, beyond all of them, holds nothing). The fallback keep-alive still holds the first minutes.
      const smoothed = o.learningPrewarm === 'smoothed'
      const learned = (e: number) => (e >= 0 && hg.hazard(e, smoothed) >= o.arrivalProbability ? 1 : 0)
      histWarm = learned(elapsed)
      if (learned(elapsed + 1) > histWarm && msToNextMinute <= o.decisionIntervalMs) {
        histWarm = 1
        histPrewarm = Math.max(nowMs, (minute + 1) * MINUTE_MS - 1000)
        if (histPrewarm === nowMs) histPrewarm = undefined
      }
    }
    // Burst mode (Knative): desired = time-averaged concurrency over each window; panic when the short
    // window wants panicThreshold x what we hold; while panicking never scale down for a stable window.
    const quiet = a.lastStartMs < nowMs - o.stableWindowMs && a.lastEndMs <= nowMs - o.stableWindowMs
    const stable = quiet ? 0 : Math.ceil(a.averageConcurrency(nowMs, o.stableWindowMs) - 1e-9)
    const panic = quiet ? 0 : Math.ceil(a.averageConcurrency(nowMs, o.panicWindowMs) - 1e-9)
    const held = Math.max(this.lastWarm, 1)
    if (panic >= o.panicThreshold * held && panic > forecastWarm) {
      this.panicUntilMs = nowMs + o.stableWindowMs
      this.burstWarm = Math.max(this.burstWarm, panic)
    }
    const panicking = nowMs < this.panicUntilMs
    if (!panicking) this.burstWarm = 0
    const burstWarm = panicking ? Math.max(this.burstWarm, stable) : 0

    const covered = plan?.covered ?? false
    // This minute's invocations have probably all come (servedMinute): idle instances go now, and the next
    // minute is pre-warmed by the rule that holds it (the hazard or keep-alive rule, or the forecast; not
    // in the fallback phase without a forecast for the next minute, whose long keep-alive is what holds it).
    const seen = a.lastActiveMinute === minute ? (a.counts[minute - a.originMinute] ?? 0) : 0
    const served = (useHistogram || (covered && nextWarm >= 1)) && this.servedMinute(seen)
    // The histogram (or, without enough idle times, a fixed keep-alive) holds the first instance; the
    // forecast sets a floor for the minutes it covers and lets instances above it go after forecastKeepAliveMs.
    let warm = histWarm
    let prewarmAtMs = histPrewarm
    // A fallback keep-alive that has run out since the last invocation: what the learned pre-warm loads
    // goes a minute (or the fallback keep-alive, if shorter) after it was loaded if unused, as in the
    // histogram phase, not a whole fallback keep-alive later.
    const fallbackOver = o.learningPrewarm !== 'off' && !busy && nowMs - a.lastEndMs >= o.fallbackKeepAliveMinutes * MINUTE_MS
    const fallbackMs = o.fallbackKeepAliveMinutes * MINUTE_MS
    const keepAliveMs = served ? 0 : useHistogram ? o.forecastKeepAliveMs : fallbackOver ? Math.min(o.forecastKeepAliveMs, fallbackMs) : fallbackMs
    const extraKeepAliveMs = useHistogram || served ? Math.min(o.forecastKeepAliveMs, keepAliveMs) : Math.min(o.fallbackExtraKeepAliveMinutes * MINUTE_MS, keepAliveMs)
    let decidedBy: DecidedBy = useHistogram ? 'histogram' : 'fallback'
    let fcWarm = served ? 0 : forecastWarm
    let fcPrewarm: number | undefined
    if (nextWarm > fcWarm && msToNextMinute <= o.decisionIntervalMs) {
      fcWarm = nextWarm
      fcPrewarm = Math.max(nowMs, (minute + 1) * MINUTE_MS - 1000)
      if (fcPrewarm === nowMs) fcPrewarm = undefined
    }
    if (covered && fcWarm > warm) {
      warm = fcWarm
      prewarmAtMs = fcPrewarm
      decidedBy = 'forecast'
    }
    if (burstWarm > warm) {
      warm = burstWarm
      prewarmAtMs = undefined
      decidedBy = 'burst'
    }
    // What the other rules hold at the start of a minute is what a level gap is scored against (closeLevels).
    if (this.baseWarmMinute !== minute) {
      this.baseWarmMinute = minute
      this.baseWarm = warm
    }
    // Extra instances held through idle minutes by the keep-alive chosen on this function's level gaps.
    const extraWarm = this.levelWarm(minute)
    if (extraWarm > warm) {
      warm = extraWarm
      prewarmAtMs = undefined
      decidedBy = useHistogram ? 'histogram' : 'fallback'
    }
    this.lastWarm = warm
    const numbers: Record<string, number | string | boolean> = {
      forecastWarm, nextMinuteWarm: nextWarm, forecastPerMin: Math.round(ratePerMin * 1000) / 1000, forecastModel: plan?.model ?? 'none',
      idleSamples: hg.total, idleMinutes: Math.max(0, elapsed), hazardNow: round3(hazardNow), hazardNextMinute: round3(hazardNext),
      stableConcurrency: stable, panicConcurrency: panic, panicking, burstWarm, episodeWarm, invocationsThisMinute: seen, minuteServed: served,
      learnedPrewarm: !useHistogram && histWarm > 0,
      idleRule: idleRule.name,
      extraWarm, extraRule: this.levelRule === 0 ? 'none' : `keep-alive ${this.o.extraKeepAliveChoices[this.levelRule - 1]} min`,
    }
    // The sentence is built only when someone reads it (the simulator decides millions of times).
    const explanation = { decidedBy, numbers } as PoolTarget['explanation']
    Object.defineProperty(explanation, 'summary', { enumerable: true, get: () => summarize(decidedBy, warm, keepAliveMs, numbers) })
    return { warm, prewarmAtMs, keepAliveMs, extraKeepAliveMs, explanation }
  }
}

/** A rule for holding a function's first instance through idle minutes. */
interface IdleRule {
  /** 'hazard' or 'keep-alive k min' (explanations and tests read it). */
  name: string
  /** Keep-alive minutes; 0 for a hazard rule. */
  keepAliveMinutes: number
  /** For the hazard rule: from the smoothed histogram or the raw one (hazardSmoothing). */
  smoothed: boolean
}

/** The candidates scoreIdleTime validates per function: the hazard (the starting rule), then each keep-alive. */
function idleRules(o: Resolved): IdleRule[] {
  return [{ name: 'hazard', keepAliveMinutes: 0, smoothed: o.hazardSmoothing }, ...o.keepAliveChoices.map((k) => ({ name: `keep-alive ${k} min`, keepAliveMinutes: k, smoothed: false }))]
}

function round3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0
}

function summarize(by: DecidedBy, warm: number, keepAliveMs: number, n: Record<string, number | string | boolean>): string {
  const ka = `${(keepAliveMs / MINUTE_MS).toFixed(1)} min keep-alive`
  switch (by) {
    case 'forecast':
      return `forecast of ${n.forecastPerMin} invocations/min (${n.forecastModel}) needs ${warm} warm; ${ka} above that`
    case 'burst':
      return `burst: concurrency ${n.panicConcurrency} over the panic window outran the forecast (${n.forecastWarm}); holding ${warm} for the stable window`
    case 'histogram':
      return n.idleRule !== 'hazard'
        ? `idle-time rule chosen on this function's past idle times: ${n.idleRule} (${n.idleMinutes} idle min); ${warm} warm`
        : `idle-time histogram (${n.idleSamples} idle times): after ${n.idleMinutes} idle min the chance of an invocation this minute is ${n.hazardNow}, next minute ${n.hazardNextMinute}; ${warm} warm`
    default:
      return n.learnedPrewarm
        ? `too little history for a forecast or histogram (${n.idleSamples} idle times): ${warm} warm for a minute in which one of them ended, ${ka}`
        : `too little history for a forecast or histogram (${n.idleSamples} idle times): ${ka}`
  }
}
