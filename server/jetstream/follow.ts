// Following a KV watch: the one loop every cluster role runs over its buckets (deployments, hosts,
// the plan). Puts arrive decoded, deletes (and purges) by key, in the bucket's order.
import type { ErrorLogger } from '@jaegis/gateway'

/** What a KV watch yields, as far as following it needs. */
export interface WatchedEntry {
  operation: string
  key: string
  json<T>(): T
}

export interface KvFollower<T> {
  /** A put whose value decoded as JSON. A value that is not JSON, or that `put` throws on, is skipped (not a record of ours). */
  put(value: T, key: string): void
  /** A delete or purge of `key`. @default ignored */
  delete?(key: string): void
}

/**
 * Runs `on` over `watch` in the background until the watch ends. A failure of the watch is reported
 * to `onError` as `name` unless `closed()` (closing stops the watch on purpose).
 */
export function followKv<T>(watch: AsyncIterable<WatchedEntry>, name: string, on: KvFollower<T>, onError: ErrorLogger, closed: () => boolean): void {
  void (async () => {
    for await (const e of watch) {
      if (e.operation !== 'PUT') {
        on.delete?.(e.key)
        continue
      }
      try {
        on.put(e.json<T>(), e.key)
      } catch {
        // not a record of ours
      }
    }
  })().catch((err) => !closed() && onError(name, err))
}
