// Graceful shutdown of a server whose connections the fast path and node:http share: every request
// received is answered (the last answer on a connection with `Connection: close`), idle keep-alive
// connections are closed, and what is left after the grace period is destroyed.
import type { Server, ServerResponse } from 'node:http'
import { Server as NetServer } from 'node:net'

/** node:http's responses not written yet, so that a shutdown can make them close their connection. */
export interface NodeResponses {
  /** From now on every node:http response carries `Connection: close` (and ends its connection). */
  closeAfterResponses(): void
}

/** The parts of the fast path a drain uses (acceptFastConnections implements them). */
interface FastSide {
  closeIdle(): void
  closeAll(): void
}

/** Follows `server`'s node:http requests from now on (install it before the server listens). */
export function trackNodeResponses(server: Server): NodeResponses {
  const live = new Set<ServerResponse>()
  let closing = false
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (closing) {
      closeAfter(server, res)
      return
    }
    live.add(res)
    res.once('close', () => live.delete(res))
  })
  return {
    closeAfterResponses() {
      if (closing) return
      closing = true
      for (const res of live) closeAfter(server, res)
      live.clear()
    },
  }
}

/**
 * Makes `res` say `Connection: close` and end its connection. One whose head is already written keeps
 * its connection alive: the connection is closed once idle.
 */
function closeAfter(server: Server, res: ServerResponse): void {
  if (!res.headersSent) res.shouldKeepAlive = false
  else res.once('finish', () => afterPendingReads(() => server.closeIdleConnections()))
}

/**
 * Runs `fn` once the event loop has gone through a poll phase (and one more), so that bytes clients
 * sent before now have been read: a connection is idle only if nothing it sent is waiting unread
 * (closing one with unread bytes would reset it, and lose a request written before the shutdown).
 */
export function afterPendingReads(fn: () => void): void {
  setTimeout(() => setImmediate(() => setImmediate(fn)), 0)
}

/**
 * Drains `server` (see FastConnections.drain): stops accepting, answers what was received on both
 * paths with `Connection: close`, closes idle connections once what clients had already sent has been
 * read, destroys the rest after `graceMs`. Resolves when the last connection is closed.
 */
export async function drainServer(server: Server, node: NodeResponses, fast: FastSide, graceMs: number): Promise<void> {
  // net.Server's close, not http.Server's: the latter destroys node:http's idle connections at once,
  // before the bytes a client already sent on them are read (a reset, and a request lost).
  const closed = new Promise<void>((ok) => NetServer.prototype.close.call(server, () => ok()))
  node.closeAfterResponses()
  fast.closeIdle() // the fast path's idle connections, after the pending reads
  afterPendingReads(() => server.closeIdleConnections())
  const timer = setTimeout(() => {
    server.closeAllConnections()
    fast.closeAll()
  }, graceMs)
  await closed
  clearTimeout(timer)
}
