// Function logs: buffered into the store, fanned out to live followers (Server-Sent Events).
// Lines the store refuses (a full disk) are counted, and the function's log says so once writes work again.
import type { LogRecord, Store } from './store/store.js'

export type LogListener = (record: LogRecord) => void

/** Collects log lines per function; writes them to the store in batches so logging never blocks a request. */
export class LogHub {
  private pending = new Map<string, LogRecord[]>()
  private listeners = new Map<string, Set<LogListener>>()
  private timer: NodeJS.Timeout
  private flushing: Promise<void> = Promise.resolve()
  /** Lines lost per function since its log was last written, with the last reason. */
  private readonly lost = new Map<string, { lines: number; reason: string }>()
  private droppedTotal = 0

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
    this.lost.delete(name)
  }

  /** Log lines the store refused since start (jaegis_log_lines_dropped_total). */
  get droppedLines(): number {
    return this.droppedTotal
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batches = [...this.pending]
      this.pending.clear()
      // A loss is reported as soon as the store takes writes again, even if the function logs nothing new.
      for (const name of this.lost.keys()) if (!batches.some(([n]) => n === name)) batches.push([name, []])
      for (const [name, records] of batches) await this.write(name, records)
    })
    return this.flushing
  }

  /** Appends one function's batch; a refused batch is counted, and reported at the head of the next one that lands. */
  private async write(name: string, records: LogRecord[]): Promise<void> {
    const lost = this.lost.get(name)
    const batch = lost ? [{ timeMs: Date.now(), level: 'warn', message: `${lost.lines} log line(s) were dropped: ${lost.reason}`, version: 0 }, ...records] : records
    try {
      await this.store.appendLogs(name, batch)
      this.lost.delete(name)
    } catch (err) {
      this.droppedTotal += records.length
      this.lost.set(name, { lines: (lost?.lines ?? 0) + records.length, reason: (err as Error).message })
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}
