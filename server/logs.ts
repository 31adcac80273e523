// Function logs: buffered into the store, fanned out to live followers (Server-Sent Events).
import type { LogRecord, Store } from './store/store.js'

export type LogListener = (record: LogRecord) => void

/** Collects log lines per function; writes them to the store in batches so logging never blocks a request. */
export class LogHub {
  private pending = new Map<string, LogRecord[]>()
  private listeners = new Map<string, Set<LogListener>>()
  private timer: NodeJS.Timeout
  private flushing: Promise<void> = Promise.resolve()

  constructor(private readonly store: Store, flushEveryMs = 200) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs)
    this.timer.unref()
  }

  add(name: string, record: LogRecord): void {
    let batch = this.pending.get(name)
    if (!batch) this.pending.set(name, (batch = []))
    batch.push(record)
    if (batch.length > 10_000) batch.splice(0, batch.length - 10_000) // a runaway logger loses its oldest lines, not the host
    for (const l of this.listeners.get(name) ?? []) l(record)
  }

  /** The newest `limit` lines, pending ones included. */
  async recent(name: string, limit: number): Promise<LogRecord[]> {
    await this.flush()
    return this.store.readLogs(name, limit)
  }

  /** Calls `listener` for every new line of `name`; returns the unsubscribe function. */
  follow(name: string, listener: LogListener): () => void {
    let set = this.listeners.get(name)
    if (!set) this.listeners.set(name, (set = new Set()))
    set.add(listener)
    return () => set!.delete(listener)
  }

  /** Forgets pending lines of a deleted function. */
  drop(name: string): void {
    this.pending.delete(name)
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batches = [...this.pending]
      this.pending.clear()
      for (const [name, records] of batches) await this.store.appendLogs(name, records).catch(() => {})
    })
    return this.flushing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
