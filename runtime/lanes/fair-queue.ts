// Waiting invocations, one FIFO per function, served round-robin across functions: a flooded
// function waits behind itself, never in front of a quiet one. A function whose line was empty
// (it had nothing waiting) is served before the round continues, as fq_codel's "new flows" are
// (RFC 8290): a quiet function's request waits for at most the invocations already running, not
// for another turn of every flooded function. It gets one item that way; if more of its items
// wait, it joins the round like any other. Also owns the per-function concurrency count that
// `max_concurrency` bounds.

/** One function's line. */
interface Line<T> {
  items: T[]
  /** Index of the first live item (items before it were taken). */
  head: number
  /** Invocations of this function running now. */
  running: number
}

export class FairQueue<T> {
  private readonly lines = new Map<string, Line<T>>()
  /** Functions whose line just stopped being empty, in arrival order: served first, one item each. */
  private fresh: string[] = []
  /** Functions with items waiting that had their fresh turn, in round-robin order; `cursor` is where the next turn starts. */
  private active: string[] = []
  private cursor = 0
  private waitingTotal = 0

  /** Items waiting across all functions. */
  get size(): number {
    return this.waitingTotal
  }

  /** Items waiting for `key`. */
  waiting(key: string): number {
    const line = this.lines.get(key)
    return line ? line.items.length - line.head : 0
  }

  /** Invocations of `key` running now. */
  running(key: string): number {
    return this.lines.get(key)?.running ?? 0
  }

  /** Appends `item` to its function's line. */
  push(key: string, item: T): void {
    const line = this.line(key)
    if (line.items.length === line.head) this.fresh.push(key)
    line.items.push(item)
    this.waitingTotal++
  }

  /** Removes a waiting item (its deadline passed). False when it was not waiting. */
  remove(key: string, item: T): boolean {
    const line = this.lines.get(key)
    if (!line) return false
    const i = line.items.indexOf(item, line.head)
    if (i < 0) return false
    line.items.splice(i, 1)
    this.waitingTotal--
    if (line.items.length === line.head) this.deactivate(key, line)
    return true
  }

  /**
   * Takes the next item in round-robin order among functions running fewer than `limit(key)`
   * (0: no limit), and counts it as running. Undefined when nothing may start.
   */
  take(limit: (key: string) => number): { key: string; item: T } | undefined {
    for (let i = 0; i < this.fresh.length; i++) {
      const key = this.fresh[i]!
      const line = this.lines.get(key)!
      const max = limit(key)
      if (max > 0 && line.running >= max) continue
      this.fresh.splice(i, 1)
      const item = this.shift(line)
      if (line.items.length === line.head) this.deactivate(key, line)
      else {
        // More of its items wait: it joins the round, last in it (just before the cursor).
        this.active.splice(this.cursor, 0, key)
        this.cursor = (this.cursor + 1) % this.active.length
      }
      return { key, item }
    }
    const n = this.active.length
    for (let k = 0; k < n; k++) {
      const at = (this.cursor + k) % n
      const key = this.active[at]!
      const line = this.lines.get(key)!
      const max = limit(key)
      if (max > 0 && line.running >= max) continue
      const item = this.shift(line)
      if (line.items.length === line.head) {
        this.deactivate(key, line)
        this.cursor = this.active.length === 0 ? 0 : at % this.active.length
      } else {
        this.cursor = (at + 1) % n
      }
      return { key, item }
    }
    return undefined
  }

  /** Takes the first item of `line` and counts it as running. */
  private shift(line: Line<T>): T {
    const item = line.items[line.head]!
    line.items[line.head++] = undefined as T
    line.running++
    this.waitingTotal--
    if (line.head > 64 && line.head * 2 > line.items.length) {
      line.items = line.items.slice(line.head)
      line.head = 0
    }
    return item
  }

  /** Counts an invocation of `key` that starts without waiting. */
  started(key: string): void {
    this.line(key).running++
  }

  /** An invocation of `key` ended: it no longer counts against its limit. */
  finished(key: string): void {
    const line = this.lines.get(key)
    if (!line) return
    line.running--
    if (line.running <= 0 && line.items.length === line.head) this.lines.delete(key)
  }

  private line(key: string): Line<T> {
    let line = this.lines.get(key)
    if (!line) this.lines.set(key, (line = { items: [], head: 0, running: 0 }))
    return line
  }

  private deactivate(key: string, line: Line<T>): void {
    line.items = []
    line.head = 0
    const f = this.fresh.indexOf(key)
    if (f >= 0) this.fresh.splice(f, 1)
    const i = this.active.indexOf(key)
    if (i >= 0) {
      this.active.splice(i, 1)
      if (this.cursor > i) this.cursor--
      if (this.cursor >= this.active.length) this.cursor = 0
    }
    if (line.running <= 0) this.lines.delete(key)
  }
}
