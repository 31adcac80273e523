// The simulator's trade-off sweep for the dashboard: run on a thread of its own (never on the request
// path; started by the runtime's spawner, so not even `new Worker`, 1-22 ms, runs on the gateway
// thread), bounded in trace size, minutes and wall time, one at a time, the latest answer per trace kept.
import { createHash } from 'node:crypto'
import { JaegisError, OffThread, builtScript, isJaegisError } from '@jaegis/runtime'
import type { SweepSeries } from '@jaegis/scheduler'

export interface SimResult {
  trace: { source: string; format: string; functions: number; minutes: number; invocations: number }
  series: SweepSeries[]
  svg: string
}

export interface SimLimits {
  /** Largest trace accepted (bytes). @default 2 MiB */
  maxTraceBytes?: number
  /** Minutes of the trace replayed (its first ones). @default 240 */
  maxMinutes?: number
  /** Wall time before the sweep is stopped (ms). @default 60000 */
  timeoutMs?: number
}

const workerScript = (): URL => builtScript('sim-worker', import.meta.url, '../dist/dashboard')

/** Runs sweeps one at a time; a second request while one runs waits for it. */
export class SimRunner {
  readonly maxTraceBytes: number
  private readonly maxMinutes: number
  private readonly timeoutMs: number
  private readonly cache = new Map<string, Promise<SimResult>>()
  private queue: Promise<unknown> = Promise.resolve()
  private readonly thread = new OffThread(workerScript())

  constructor(limits: SimLimits = {}) {
    this.maxTraceBytes = limits.maxTraceBytes ?? 2 * 1024 * 1024
    this.maxMinutes = limits.maxMinutes ?? 240
    this.timeoutMs = limits.timeoutMs ?? 60_000
  }

  /** Ends the simulator's thread (a later run starts a new one). */
  close(): void {
    this.thread.close()
  }

  /** The sweep of a trace's text (cached by content: the sweep is deterministic). */
  run(text: string, source: string): Promise<SimResult> {
    if (Buffer.byteLength(text) > this.maxTraceBytes) return Promise.reject(new JaegisError('BODY_TOO_LARGE', `a trace for the dashboard is at most ${this.maxTraceBytes} bytes`))
    const key = createHash('sha256').update(text).digest('hex')
    let p = this.cache.get(key)
    if (!p) {
      p = this.queue.then(() => this.sweep(text, source))
      this.queue = p.catch(() => undefined)
      this.cache.set(key, p)
      p.catch(() => this.cache.delete(key))
      // Keep the few latest: each holds an SVG and a sweep.
      while (this.cache.size > 4) this.cache.delete(this.cache.keys().next().value!)
    }
    return p
  }

  private async sweep(text: string, source: string): Promise<SimResult> {
    try {
      return await this.thread.call<SimResult>('sweep', { text, source, maxMinutes: this.maxMinutes }, {
        timeoutMs: this.timeoutMs,
        timeoutError: () => new JaegisError('TIMEOUT', `the simulation took more than ${this.timeoutMs} ms and was stopped; try a smaller trace`),
      })
    } catch (err) {
      if (isJaegisError(err)) throw err
      throw new JaegisError('INTERNAL', `simulation failed: ${(err as Error).message}`, { cause: err, expose: false })
    }
  }
}
