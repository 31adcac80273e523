// How long a connection may take: one place for the three timeouts both ways of reading requests
// obey (the fast path reads them from the node:http server, which enforces them itself).
import type { Server } from 'node:http'

/** Connection timeouts, in ms; 0 turns one off. Defaults are node:http's own. */
export interface HttpTimeouts {
  /** Without a request on an idle keep-alive connection before it is closed. @default 5000 */
  keepAliveTimeoutMs?: number
  /** From a request's first byte to the end of its head (total, not inactivity); 408 past it. @default 60000 */
  headersTimeoutMs?: number
  /** From a request's first byte to the end of its body (total); 408 past it. @default 300000 */
  requestTimeoutMs?: number
}

export const DEFAULT_HTTP_TIMEOUTS: Required<HttpTimeouts> = { keepAliveTimeoutMs: 5_000, headersTimeoutMs: 60_000, requestTimeoutMs: 300_000 }

/** Sets `server`'s keepAliveTimeout, headersTimeout and requestTimeout (defaults for what `t` leaves out). */
export function applyHttpTimeouts(server: Server, t: HttpTimeouts = {}): void {
  const all = { ...DEFAULT_HTTP_TIMEOUTS, ...t }
  server.keepAliveTimeout = all.keepAliveTimeoutMs
  server.headersTimeout = all.headersTimeoutMs
  server.requestTimeout = all.requestTimeoutMs
}
