// Policies by name, with their default settings and the values `jaegis sim --plot` sweeps for each knob.
import { EtsForecaster, type Forecaster } from '../forecaster.js'
import { SchedulerError } from '../errors.js'
import type { ScalingPolicy } from '../types.js'
import { FixedKeepAlivePolicy } from './fixed.js'
import { HybridHistogramPolicy } from './histogram.js'
import { PredictivePolicy } from './predictive.js'

export const POLICY_NAMES = ['fixed', 'histogram', 'predictive'] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

/** Values of each policy's main knob for a trade-off sweep (the default is among them). */
export function sweepValues(name: PolicyName): number[] {
  switch (name) {
    case 'fixed':
      return [1, 5, 10, 20, 60, 120] // keep-alive minutes
    case 'histogram':
      return [30, 60, 120, 240, 480] // histogram range minutes
    case 'predictive':
      // cost of a cold start in GB-s of idle memory; at 128 MiB the hold thresholds 0.5 ... 0.00125
      return [15, 37.5, 75, 150, 250, 350, 500, 750, 1500, 3000, 6000]
  }
}

/** A policy by name; `knob` overrides its main knob; `forecaster` is the predictive policy's. */
export function createPolicy(name: string, knob?: number, forecaster?: Forecaster): ScalingPolicy {
  switch (name) {
    case 'fixed':
      return new FixedKeepAlivePolicy(knob === undefined ? {} : { keepAliveMinutes: knob })
    case 'histogram':
      // The paper predicts the next idle time with ARIMA when most fall out of range; ETS stands in for it.
      return new HybridHistogramPolicy({ idleForecaster: new EtsForecaster({ season: 1 }), ...(knob === undefined ? {} : { rangeMinutes: knob }) })
    case 'predictive':
      return new PredictivePolicy({ forecaster, ...(knob === undefined ? {} : { coldStartCostGbS: knob }) })
    default:
      throw new SchedulerError('BAD_OPTIONS', `unknown policy ${JSON.stringify(name)}; expected one of ${POLICY_NAMES.join(', ')}`)
  }
}
