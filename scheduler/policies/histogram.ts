// The hybrid histogram policy of Shahrad et al., "Serverless in the Wild" (USENIX ATC 2020, Sec. 4.2), as a
// baseline: pre-warm at the head (5th percentile) of the idle-time histogram, keep alive to its tail (99th),
// with 10% margins; a standard keep-alive of the histogram's range while the histogram is not representative;
// and a time-series prediction of the next idle time when most idle times fall outside the range.
import { FunctionActivity } from '../activity.js'
import { MINUTE_MS, type FunctionPolicy, type PoolTarget, type ScalingPolicy } from '../types.js'
import type { Forecaster } from '../forecaster.js'

export interface HybridHistogramOptions {
  /** Histogram range in minutes (1-minute bins); also the fallback keep-alive. @default 240 */
  rangeMinutes?: number
  /** Head percentile: the pre-warm window. @default 5 */
  headPercentile?: number
  /** Tail percentile: end of the keep-alive window. @default 99 */
  tailPercentile?: number
  /** Margin: the head is lowered and the tail raised by this share. @default 0.1 */
  margin?: number
  /** Absolute margin in minutes, applied after the relative one (not in the paper). @default 0 */
  marginMinutes?: number
  /** Bin-count CV at or above which the histogram is representative. @default 2 */
  cvThreshold?: number
  /** Idle times needed before the histogram is used. @default 10 */
  minSamples?: number
  /** Share of out-of-bounds idle times above which the next idle time is predicted instead. @default 0.5 */
  oobThreshold?: number
  /** Predicts the next idle time from past ones (the paper used ARIMA). Without it the range fallback applies. */
  idleForecaster?: Forecaster
  /** @default 60000 */
  decisionIntervalMs?: number
}

/** Pre-warm and keep-alive windows, in ms, and where they came from. */
export interface HybridWindows {
  prewarmMs: number
  keepAliveMs: number
  source: 'histogram' | 'fallback' | 'prediction'
  numbers: Record<string, number>
}

/** Computes the ATC'20 windows from one function's activity. */
export function hybridWindows(activity: FunctionActivity, o: Required<Omit<HybridHistogramOptions, 'idleForecaster' | 'decisionIntervalMs'>>, idleForecaster?: Forecaster, idleTimesMin?: number[]): HybridWindows {
  const h = activity.histogram
  const rangeMs = o.rangeMinutes * MINUTE_MS
  const total = h.total
  if (total > 0 && h.outOfBounds / total > o.oobThreshold && idleForecaster && idleTimesMin && idleTimesMin.length >= 3) {
    // Mostly out-of-bounds idle times: predict the next one; pre-warm at 85% of it, keep alive for 30% (15% margins).
    const next = Math.max(0, idleForecaster.forecast(Float64Array.from(idleTimesMin), 1).mean[0])
    return { prewarmMs: 0.85 * next * MINUTE_MS, keepAliveMs: 0.3 * next * MINUTE_MS, source: 'prediction', numbers: { predictedIdleMin: next, outOfBoundsShare: h.outOfBounds / total } }
  }
  const cv = h.binCountCv()
  if (h.inBounds < o.minSamples || cv < o.cvThreshold) {
    return { prewarmMs: 0, keepAliveMs: rangeMs, source: 'fallback', numbers: { idleSamples: h.inBounds, binCountCv: cv } }
  }
  // Idle times count whole idle minutes between active minutes, and invocations fall anywhere in their minute:
  // from the end of the last invocation, the next one comes between `head` and `tail + 1` minutes later.
  const head = h.percentileMinutes(o.headPercentile, 'lower')
  const tail = h.percentileMinutes(o.tailPercentile, 'upper') + 1
  const prewarmMin = Math.max(0, Math.floor(head * (1 - o.margin)) - o.marginMinutes)
  const keepAliveMin = Math.max(1, Math.ceil(tail * (1 + o.margin)) + o.marginMinutes - prewarmMin)
  return {
    prewarmMs: prewarmMin * MINUTE_MS,
    keepAliveMs: keepAliveMin * MINUTE_MS,
    source: 'histogram',
    numbers: { idleSamples: h.inBounds, binCountCv: cv, idleHeadMin: head, idleTailMin: tail },
  }
}

/** Turns windows into a pool target at `nowMs` (one instance, as the paper loads one application image). */
export function windowsTarget(w: HybridWindows, idleSinceMs: number, nowMs: number, intervalMs: number, busy: boolean): Pick<PoolTarget, 'warm' | 'prewarmAtMs' | 'keepAliveMs'> {
  if (w.prewarmMs <= 0 || busy || idleSinceMs === -Infinity) return { warm: 0, keepAliveMs: w.keepAliveMs }
  // With a pre-warm window the image is unloaded after it ran; at minute granularity (as in the paper's
  // simulation) "after" means once its minute is over, so instances keep one minute after their last use.
  const after = MINUTE_MS
  const loadAt = idleSinceMs + w.prewarmMs
  const unloadAt = loadAt + w.keepAliveMs
  if (nowMs >= loadAt && nowMs < unloadAt) return { warm: 1, keepAliveMs: after }
  if (loadAt > nowMs && loadAt < nowMs + intervalMs) return { warm: 1, prewarmAtMs: loadAt, keepAliveMs: after }
  return { warm: 0, keepAliveMs: after }
}

/** The ATC'20 hybrid histogram policy. */
export class HybridHistogramPolicy implements ScalingPolicy {
  readonly name = 'histogram'
  readonly knob
  readonly decisionIntervalMs: number
  private readonly o: Required<Omit<HybridHistogramOptions, 'idleForecaster' | 'decisionIntervalMs'>>
  private readonly idleForecaster?: Forecaster

  constructor(options: HybridHistogramOptions = {}) {
    this.o = {
      rangeMinutes: options.rangeMinutes ?? 240,
      headPercentile: options.headPercentile ?? 5,
      tailPercentile: options.tailPercentile ?? 99,
      margin: options.margin ?? 0.1,
      marginMinutes: options.marginMinutes ?? 0,
      cvThreshold: options.cvThreshold ?? 2,
      minSamples: options.minSamples ?? 10,
      oobThreshold: options.oobThreshold ?? 0.5,
    }
    if (!(this.o.rangeMinutes >= 1) || !Number.isInteger(this.o.rangeMinutes)) throw new RangeError(`rangeMinutes must be an integer >= 1, got ${this.o.rangeMinutes}`)
    if (!(this.o.headPercentile >= 0 && this.o.headPercentile < this.o.tailPercentile && this.o.tailPercentile <= 100)) {
      throw new RangeError(`need 0 <= headPercentile < tailPercentile <= 100, got ${this.o.headPercentile} and ${this.o.tailPercentile}`)
    }
    this.idleForecaster = options.idleForecaster
    this.decisionIntervalMs = options.decisionIntervalMs ?? MINUTE_MS
    this.knob = { name: 'rangeMinutes', value: this.o.rangeMinutes, unit: 'min' }
  }

  forFunction(): FunctionPolicy {
    const activity = new FunctionActivity({ histogramRangeMinutes: this.o.rangeMinutes })
    const idleTimesMin: number[] = []
    const o = this.o
    const interval = this.decisionIntervalMs
    const idleForecaster = this.idleForecaster
    let cached: HybridWindows | undefined
    return {
      recordInvocation(startMs, durationMs) {
        const minute = Math.floor(startMs / MINUTE_MS)
        if (activity.invocations > 0 && minute > activity.lastActiveMinute) {
          idleTimesMin.push(minute - activity.lastActiveMinute - 1)
          if (idleTimesMin.length > 500) idleTimesMin.shift()
        }
        activity.record(startMs, durationMs)
        cached = undefined
      },
      decide(nowMs): PoolTarget {
        cached ??= hybridWindows(activity, o, idleForecaster, idleTimesMin)
        const w = cached
        const idleSince = activity.idleSinceMs(nowMs)
        const busy = activity.lastEndMs > nowMs
        const t = windowsTarget(w, idleSince, nowMs, interval, busy)
        const what = w.source === 'histogram' ? 'idle-time histogram' : w.source === 'prediction' ? 'predicted next idle time' : `histogram not representative yet: standard keep-alive of the ${o.rangeMinutes}-min range`
        return {
          ...t,
          explanation: {
            decidedBy: w.source === 'fallback' ? 'fallback' : 'histogram',
            summary: `${what}: pre-warm ${(w.prewarmMs / MINUTE_MS).toFixed(1)} min after the last invocation, keep alive ${(w.keepAliveMs / MINUTE_MS).toFixed(1)} min`,
            numbers: { ...w.numbers, prewarmMs: w.prewarmMs, keepAliveMs: w.keepAliveMs, idleSinceMs: idleSince },
          },
        }
      },
    }
  }
}
