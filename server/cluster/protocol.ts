// Messages between the primary of `jaegis serve --workers N` and its worker processes (node:cluster
// IPC with the 'advanced' serialization, so artifacts' bytes cross as bytes).
import type { HttpTimeouts } from '@jaegis/gateway'
import type { Artifact, FunctionStats, LogEntry } from '@jaegis/runtime'
import type { EventGroup } from './event-batch.js'

/** What a worker process starts with (its environment, JAEGIS_WORKER_CONFIG as JSON). */
export interface WorkerConfig {
  port: number
  host: string
  /** Unix socket of the primary's control server: admin API and /metrics are forwarded there. */
  controlSocket: string
  maxInflight?: number
  timeouts?: HttpTimeouts
}

/** Primary -> worker. `seq` orders changes; the worker acknowledges each. */
export type ToWorker =
  | { t: 'activate'; seq: number; artifact: Artifact }
  | { t: 'unload'; seq: number; name: string }
  | { t: 'pool'; seq: number; name: string; minWarm: number; maxWarm: number }
  | { t: 'keys'; seq: number; keys: Array<[name: string, key: string]> }
  | { t: 'listen' }
  | { t: 'close'; graceMs: number }

/** Worker -> primary. */
export type FromWorker =
  | { t: 'hello' }
  | { t: 'ack'; seq: number; error?: string }
  | { t: 'listening'; port: number }
  | { t: 'listen-failed'; error: string }
  | { t: 'batch'; events: EventGroup[]; logs: LogEntry[]; rejects: Array<[name: string, code: string]> }
  | { t: 'stats'; functions: Record<string, FunctionStats & { digest: string }> }
