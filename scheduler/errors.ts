// Errors of the scheduler with stable codes (see runtime/errors.ts for the convention): bad traces,
// bad fleets, impossible placements, bad options and bad site summaries (federated forecasting).

export type SchedulerErrorCode = 'BAD_TRACE' | 'BAD_FLEET' | 'BAD_OPTIONS' | 'BAD_SUMMARY' | 'PLACEMENT_INFEASIBLE'

/** An error of the scheduler; `code` is stable, `message` is safe to show. */
export class SchedulerError extends Error {
  readonly code: SchedulerErrorCode
  readonly expose = true
  constructor(code: SchedulerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SchedulerError'
    this.code = code
  }
}
