// Forwarding an invocation this host does not hold to a host the plan placed it on, over HTTP with
// undici's pooled keep-alive connections (measured against NATS request/reply in bench:cluster; see
// docs/cluster.md). A refused connection re-routes to the next placed host at once and tells the
// control plane; with no host left the caller gets 503 with Retry-After.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { JaegisError } from '@jaegis/runtime'
import { readBody, sendError, type ErrorLogger } from '@jaegis/gateway'

/** Set on a forwarded request: the receiving host serves it or answers NOT_HERE, never forwards again. */
export const FORWARDED_HEADER = 'x-jaegis-forwarded'
/** Set by the host that ran an invocation (forwarded responses keep it): which host served. */
export const SERVED_BY_HEADER = 'x-jaegis-host'
/** Set on the 503 of a host that received a forwarded request for a function it no longer holds. */
export const NOT_HERE_HEADER = 'x-jaegis-not-here'
/** Largest request body a host forwards (it is buffered, so that a re-route can send it again). */
export const MAX_FORWARD_BODY_BYTES = 16 * 1024 * 1024
/** A peer that refused a connection is skipped this long (the reaper or the plan settle it meanwhile). */
const DOWN_FOR_MS = 2_000
/** Methods that may be sent again after a connection broke mid-request (RFC 9110 idempotent methods). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
/** Errors after which the peer never got the request: re-routed whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
/** Errors after which the peer may have got it (the connection broke, or its pool was closed because the peer is down). */
const BROKEN = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED'])
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer'])

export interface Peer {
  id: string
  url: string
  region: string
  /** Its edge site, if any. */
  site?: string
}

export interface ForwarderOptions {
  selfId: string
  selfRegion: string
  /** Hosts placed for `name`, best first (from the plan). */
  placed(name: string): readonly string[]
  /** A registered host's address, or undefined when it is not (or no longer) registered. */
  peer(id: string): Peer | undefined
  /** Whether `peer` may be forwarded to now (a site cut off from the hub keeps requests inside). @default always */
  allowed?(peer: Peer): boolean
  /** Told when a peer refused a connection (the host publishes it for the leader). */
  onPeerDown(id: string): void
  onError: ErrorLogger
  /** Seconds a 503 asks the client to wait. @default 1 */
  retryAfterS?: number
}

export class HttpForwarder {
  private readonly pools = new Map<string, Pool>()
  private readonly downUntil = new Map<string, number>()
  private rr = 0

  constructor(private readonly o: ForwarderOptions) {}

  /** The peers to try for `name`, in order: same region first (rotating), then the plan's order. */
  candidates(name: string): Peer[] {
    const now = Date.now()
    const near: Peer[] = []
    const far: Peer[] = []
    for (const id of this.o.placed(name)) {
      if (id === this.o.selfId || (this.downUntil.get(id) ?? 0) > now) continue
      const p = this.o.peer(id)
      if (!p || (this.o.allowed && !this.o.allowed(p))) continue
      ;(p.region === this.o.selfRegion ? near : far).push(p)
    }
    if (near.length > 1) {
      const k = this.rr++ % near.length
      near.push(...near.splice(0, k))
    }
    return [...near, ...far]
  }

  async forward(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    let body: Uint8Array
    try {
      body = await readBody(req, MAX_FORWARD_BODY_BYTES)
    } catch (err) {
      sendError(res, err, this.o.onError)
      return
    }
    const headers: Record<string, string | string[]> = {}
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i]!.toLowerCase()
      if (HOP_BY_HOP.has(k) || k === FORWARDED_HEADER) continue
      const prev = headers[k]
      headers[k] = prev === undefined ? req.rawHeaders[i + 1]! : [...(Array.isArray(prev) ? prev : [prev]), req.rawHeaders[i + 1]!]
    }
    headers[FORWARDED_HEADER] = this.o.selfId
    for (const peer of this.candidates(name)) {
      let out: Dispatcher.ResponseData
      const pool = this.pool(peer)
      try {
        out = await pool.request({ path: req.url ?? '/', method: method as Dispatcher.HttpMethod, headers, body: body.length ? body : null, headersTimeout: 60_000, bodyTimeout: 60_000 })
      } catch (err) {
        const code = (err as { code?: string }).code ?? ''
        if (NOT_SENT.has(code) || (BROKEN.has(code) && IDEMPOTENT.has(method))) {
          if (this.pools.get(peer.id) === pool) this.markDown(peer.id) // else it was forgotten meanwhile: nothing to report
          continue
        }
        sendError(res, new JaegisError('INTERNAL', `forwarding ${name} to host ${peer.id} failed: ${(err as Error).message}`, { cause: err, expose: false }), this.o.onError)
        return
      }
      if (out.statusCode === 503 && out.headers[NOT_HERE_HEADER] !== undefined) {
        await out.body.dump()
        continue // the plan moved it away from that host: the next one
      }
      const outHeaders: Record<string, string | string[]> = {}
      for (const [k, v] of Object.entries(out.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) outHeaders[k] = v
      res.writeHead(out.statusCode, outHeaders)
      for await (const chunk of out.body) res.write(chunk)
      res.end()
      return
    }
    this.noHost(name, res)
  }

  /** 503 with Retry-After: nobody can serve `name` right now (re-placing, or no host at all). */
  noHost(name: string, res: ServerResponse): void {
    sendError(res, new JaegisError('OVERLOADED', `no host can serve "${name}" right now; retry after ${this.o.retryAfterS ?? 1} s`), this.o.onError, this.o.retryAfterS ?? 1)
  }

  private markDown(id: string): void {
    this.downUntil.set(id, Date.now() + DOWN_FOR_MS)
    const pool = this.pools.get(id)
    this.pools.delete(id)
    void pool?.destroy().catch(() => {})
    this.o.onPeerDown(id)
  }

  /**
   * A peer is registered again (a restart) or gone (reaped, left): forget what we knew of its
   * connections. They are destroyed, not closed: a peer that was reaped because its link went down
   * never answers, and a graceful close would wait for requests in flight on them for the full
   * headers timeout. Destroyed, those requests fail at once and are re-routed (idempotent methods).
   */
  forget(id: string): void {
    this.downUntil.delete(id)
    const pool = this.pools.get(id)
    this.pools.delete(id)
    void pool?.destroy().catch(() => {})
  }

  private pool(peer: Peer): Pool {
    let p = this.pools.get(peer.id)
    if (!p) {
      p = new Pool(peer.url, { connections: 64, keepAliveTimeout: 30_000, pipelining: 1 })
      this.pools.set(peer.id, p)
    }
    return p
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close().catch(() => {})))
    this.pools.clear()
  }
}
