// The fast path for function invocations: HTTP/1.1 read and written straight on the connection.
//
// node:http spends more per request (parser callbacks, IncomingMessage and ServerResponse streams,
// header objects, finish events) than a small function's whole invocation. Here a connection starts
// with a lean reader: a request in the common shape (HTTP/1.1, origin-form target, a plain
// Content-Length body or none) for a function is parsed, run and answered without those objects.
// The first request of any other shape (admin API, /metrics, chunked body, Expect, Upgrade,
// HTTP/1.0, anything malformed or unusual) hands the connection, from that request on, to the
// node:http server, whose handler serves it exactly as before. Responses carry the same framing
// headers node:http writes (Date, Connection, Keep-Alive) and requests are answered in order.
// Reading heads is http1-head.ts's; shutting down both kinds of connections is drain.ts's.
import { STATUS_CODES, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { JaegisError } from '@jaegis/runtime'
import { afterPendingReads, drainServer, trackNodeResponses, type NodeResponses } from './drain.js'
import type { WireResponse } from './errors.js'
import { statusHasBody } from './framing.js'
import type { GatewayCore, GatewayHandler, GatewayTarget } from './gateway.js'
import { HeadParser, ReadBuffer, type ParsedHead } from './http1-head.js'

export interface FastConnectionOptions {
  /** Largest request head (request line and headers) read here; longer ones go to node:http. @default 16384 */
  maxHeadBytes?: number
}

/** Control over the connections the fast path holds (node:http's own are closed by the server). */
export interface FastConnections {
  /** Connections currently read by the fast path. */
  readonly size: number
  /**
   * Starts a shutdown of the fast path's connections: every answer from now on carries
   * `Connection: close`, and connections with nothing received and unanswered are closed once the
   * event loop has read what clients had already sent.
   */
  closeIdle(): void
  /** Destroys every connection the fast path holds. */
  closeAll(): void
  /**
   * Graceful shutdown of the whole server, both paths: stops accepting; answers every request
   * received (with `Connection: close`); closes idle keep-alive connections; after `graceMs`
   * destroys what is left. Resolves once every connection is closed.
   */
  drain(graceMs: number): Promise<void>
}

const EMPTY = new Uint8Array(0)
/** Bodies at least this large are written after the head instead of being copied beside it. */
const COPY_BODY_BELOW = 16 * 1024
/** Pipelined requests answered out of a lane and waiting to be written in order, before reading stops. */
const MAX_QUEUED_RESPONSES = 64
/** node:http's answer to a request it cannot parse (its default 'clientError' behaviour). */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'
/** A body buffer starts at most this large and doubles as bytes arrive (memory follows what was received). */
const FIRST_BODY_BYTES = 64 * 1024

/** A response that must wait for the ones before it (pipelining: answers go out in request order). */
interface Slot {
  method: string
  close: boolean
  /** Undefined while its function runs in a lane. */
  out: WireResponse | undefined
}

/**
 * Makes `server` (a node:http server, listening or not) read new connections with the fast path
 * first; `gateway` decides and runs the invocations. The server's own settings bound both paths:
 * `keepAliveTimeout` an idle connection, `headersTimeout` the time from a request's first byte to
 * the end of its head and `requestTimeout` to the end of its body (total deadlines, 408 past them,
 * as node:http enforces them on the connections it takes over).
 */
export function acceptFastConnections(server: Server, gateway: GatewayHandler, options: FastConnectionOptions = {}): FastConnections {
  const listeners = server.listeners('connection')
  if (listeners.length !== 1) throw new Error(`acceptFastConnections needs node:http's own connection listener alone on the server (found ${listeners.length})`)
  const nodeListener = listeners[0] as (socket: Socket) => void
  server.removeListener('connection', nodeListener)
  const open = new Set<FastConnection>()
  const shared: Shared = {
    core: gateway.core,
    server,
    maxHeadBytes: options.maxHeadBytes ?? 16 * 1024,
    handOff: (socket) => nodeListener.call(server, socket),
    open,
    closing: false,
  }
  const nodeResponses: NodeResponses = trackNodeResponses(server)
  server.on('connection', (socket: Socket) => {
    open.add(new FastConnection(socket, shared))
  })
  const fast: FastConnections = {
    get size() {
      return open.size
    },
    closeIdle() {
      shared.closing = true
      afterPendingReads(() => {
        for (const c of [...open]) c.closeIfIdle()
      })
    },
    closeAll() {
      for (const c of [...open]) c.socket.destroy()
    },
    drain(graceMs) {
      return drainServer(server, nodeResponses, fast, graceMs)
    },
  }
  return fast
}

interface Shared {
  core: GatewayCore
  server: Server
  maxHeadBytes: number
  handOff(socket: Socket): void
  open: Set<FastConnection>
  /** The server is shutting down: the last answer owed on a connection carries Connection: close. */
  closing: boolean
}

/** A request waiting for the rest of its body (not in flight yet: it takes no capacity). */
interface Pending {
  head: ParsedHead
  target: GatewayTarget
  /** Grows as bytes arrive, up to the declared length. */
  body: Buffer
  filled: number
}

class FastConnection {
  /** Bytes received and not yet consumed. */
  private readonly input = new ReadBuffer()
  private readonly parser = new HeadParser()
  private pending: Pending | undefined
  /** Bytes still to drop: the body of a request refused before it arrived. */
  private skip = 0
  /** Responses that wait for a lane (or for one before them), in request order. */
  private slots: Slot[] = []
  /** Reading stops: a request asked to close, or too many responses wait. */
  private stopReading = false
  /** Waiting for 'drain' before reading on. */
  private blocked = false
  private done = false
  /** The client half-closed: nothing more will arrive. */
  private peerEnded = false
  /** The socket's inactivity timeout is keepAliveTimeout (idle between requests) or off. */
  private idleTimeout = false
  /** Date.now() when the request being received began (the connection's start for its first); -1 between requests. */
  private requestStartMs: number
  /** Fires at the request's total deadline (headersTimeout, then requestTimeout). */
  private deadline: NodeJS.Timeout | undefined
  private deadlineAt = 0
  private readonly onData = (chunk: Buffer) => {
    this.input.append(chunk)
    this.serve()
  }
  private readonly onDeadline = () => {
    this.deadline = undefined
    if (this.done || this.blocked || this.stopReading) return
    if (!this.incomplete()) {
      if (this.slots.length === 0) this.socket.destroy() // a new connection that sent nothing within headersTimeout
      return
    }
    const { server } = this.shared
    const ms = this.pending || this.skip > 0 ? server.requestTimeout : server.headersTimeout
    this.input.clear()
    this.pending = undefined
    this.skip = 0
    this.requestStartMs = -1
    this.respond('GET', true, this.shared.core.errorResponse(new JaegisError('REQUEST_TIMEOUT', `the request did not arrive completely within ${ms} ms`)))
  }
  private readonly onTimeout = () => {
    this.socket.destroy() // idle past keepAliveTimeout, or not reading its responses
  }
  private readonly onDrain = () => {
    this.blocked = false
    this.socket.resume()
    this.serve()
  }
  private readonly onClose = () => {
    this.finish()
  }
  /** The client finished sending (half-close): what it sent whole is answered, then our side closes. */
  private readonly onEnd = () => {
    this.peerEnded = true
    this.serve()
  }
  private readonly onError = () => {
    // A reset or broken connection: 'close' follows; nothing to answer.
  }

  constructor(
    readonly socket: Socket,
    private readonly shared: Shared,
  ) {
    socket.on('data', this.onData)
    socket.on('timeout', this.onTimeout)
    socket.on('drain', this.onDrain)
    socket.on('close', this.onClose)
    socket.on('end', this.onEnd)
    socket.on('error', this.onError)
    // A new connection owes its first head within headersTimeout.
    this.requestStartMs = Date.now()
    this.armDeadline()
  }

  /** Serves every complete request in the buffer, in order. */
  private serve(): void {
    try {
      this.serveBuffered()
    } catch (err) {
      // A bug here must not take the process down: log it with a reference and drop the connection.
      this.shared.core.errorResponse(err)
      this.finish()
      this.socket.destroy()
    }
  }

  private serveBuffered(): void {
    const { core } = this.shared
    while (!this.done && !this.blocked && !this.stopReading) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, this.input.bytes.length)
        this.input.consume(take)
        this.skip -= take
        if (this.skip > 0) break
        this.requestStartMs = -1
        continue
      }
      const pending = this.pending
      if (pending) {
        if (!this.fill(pending)) break
        this.pending = undefined
        this.run(pending.head, pending.target, pending.body)
        continue
      }
      const buf = this.input.bytes
      if (buf.length === 0) break
      const head = this.parser.parse(buf, this.shared.maxHeadBytes)
      if (head === undefined) {
        // Incomplete: wait for more. Its first bytes arrived now (this tick), or with an earlier read.
        if (this.requestStartMs < 0) this.requestStartMs = Date.now()
        break
      }
      if (head === null) return this.handOff()
      const target = core.target(head.url)
      if (!target) return this.handOff()
      this.input.consume(head.size)
      const checked = core.check(target.name, head.rawHeaders)
      if (checked instanceof JaegisError) {
        // Answered at once, as node:http does; its body is read and dropped, and the connection goes on.
        this.respond(head.method, head.close, core.errorResponse(checked))
        if (head.contentLength === 0) this.requestStartMs = -1
        else {
          this.skip = head.contentLength
          if (this.requestStartMs < 0) this.requestStartMs = Date.now()
        }
        continue
      }
      if (head.contentLength > checked.limits.bodyBytes) {
        const err = new JaegisError('BODY_TOO_LARGE', `request body of ${head.contentLength} bytes is over the function's limit of ${checked.limits.bodyBytes} bytes`)
        core.reject(target.name, err.code)
        this.requestStartMs = -1
        this.respond(head.method, true, core.errorResponse(err))
        continue
      }
      if (head.contentLength === 0) {
        this.run(head, target, EMPTY)
        continue
      }
      const rest = this.input.bytes
      if (rest.length >= head.contentLength) {
        // The whole body is here: a copy of its own (the chunk may be shared with the next request).
        const body = Buffer.from(rest.subarray(0, head.contentLength))
        this.input.consume(head.contentLength)
        this.run(head, target, body)
        continue
      }
      this.pending = { head, target, body: Buffer.allocUnsafe(Math.min(head.contentLength, Math.max(FIRST_BODY_BYTES, rest.length))), filled: 0 }
      if (this.requestStartMs < 0) this.requestStartMs = Date.now()
    }
    if (this.done) return
    if (this.peerEnded && this.slots.length === 0 && !this.blocked && !this.stopReading) return this.endAfterPeer()
    // While a lane runs a request the function's deadline bounds the wait, not the connection's timers.
    this.setIdleTimeout(this.slots.length === 0 && (!this.incomplete() || this.blocked))
    this.armDeadline()
  }

  /** Moves received bytes into `p`'s body; true once it is complete. */
  private fill(p: Pending): boolean {
    const want = p.head.contentLength
    const avail = this.input.bytes
    const take = Math.min(want - p.filled, avail.length)
    if (p.filled + take > p.body.length) {
      const grown = Buffer.allocUnsafe(Math.min(want, Math.max(2 * p.body.length, p.filled + take)))
      p.body.copy(grown, 0, 0, p.filled)
      p.body = grown
    }
    avail.copy(p.body, p.filled, 0, take)
    p.filled += take
    this.input.consume(take)
    return p.filled === want
  }

  /** Runs a request whose head and body are in: it takes an in-flight slot now (or gets OVERLOADED). */
  private run(head: ParsedHead, target: GatewayTarget, body: Uint8Array): void {
    const { core } = this.shared
    this.requestStartMs = -1
    const overloaded = core.acquire(target.name)
    this.respond(head.method, head.close, overloaded ? core.errorResponse(overloaded) : core.invoke(target, head.method, head.rawHeaders, body))
  }

  /** A request is partly received: bytes of a head, or a body not complete. */
  private incomplete(): boolean {
    return this.pending !== undefined || this.skip > 0 || this.input.bytes.length > 0
  }

  /**
   * Answers a `method` request: at once when nothing is waiting before it and the answer is here,
   * else in its turn once every earlier answer is written.
   */
  private respond(method: string, close: boolean, out: WireResponse | Promise<WireResponse>): void {
    if (this.slots.length === 0 && !(out instanceof Promise)) return this.write(method, close, out)
    const slot: Slot = { method, close, out: out instanceof Promise ? undefined : out }
    this.slots.push(slot)
    if (close || this.slots.length >= MAX_QUEUED_RESPONSES) this.stopReading = true
    if (out instanceof Promise) {
      void out.then((w) => {
        slot.out = w
        this.flush()
      })
    }
  }

  /** Writes the answers that are ready, in order; reads on once none waits. */
  private flush(): void {
    try {
      while (!this.done && this.slots.length > 0 && this.slots[0]!.out !== undefined) {
        const slot = this.slots.shift()!
        this.write(slot.method, slot.close, slot.out!)
      }
      if (this.done) return
      if (this.slots.length < MAX_QUEUED_RESPONSES && !this.slots.some((s) => s.close)) this.stopReading = false
      this.serve()
    } catch (err) {
      this.shared.core.errorResponse(err)
      this.finish()
      this.socket.destroy()
    }
  }

  /**
   * Writes the response to a `method` request; `close` ends the connection after it. In a shutdown
   * the last answer owed (nothing else received and unanswered) closes it too.
   */
  private write(method: string, close: boolean, out: WireResponse): void {
    close ||= this.shared.closing && this.slots.length === 0 && !this.incomplete()
    const hasBody = statusHasBody(out.status)
    const body = !hasBody || method === 'HEAD' ? EMPTY : out.body
    let text = `HTTP/1.1 ${out.status} ${STATUS_CODES[out.status] ?? 'unknown'}\r\n`
    const h = out.headers
    for (let i = 0; i + 1 < h.length; i += 2) text += `${h[i]}: ${h[i + 1]}\r\n`
    if (hasBody) text += `content-length: ${out.body.byteLength}\r\n`
    const keepAlive = this.shared.server.keepAliveTimeout
    // As node:http writes them: Keep-Alive only when idle connections time out.
    if (close) text += `Date: ${httpDate()}\r\nConnection: close\r\n\r\n`
    else if (keepAlive > 0) text += `Date: ${httpDate()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAlive / 1000)}\r\n\r\n`
    else text += `Date: ${httpDate()}\r\nConnection: keep-alive\r\n\r\n`
    let ok: boolean
    if (body.byteLength < COPY_BODY_BELOW) {
      const bytes = Buffer.allocUnsafe(text.length + body.byteLength)
      bytes.write(text, 0, 'latin1')
      bytes.set(body, text.length)
      ok = this.socket.write(bytes)
    } else {
      this.socket.cork()
      this.socket.write(Buffer.from(text, 'latin1'))
      ok = this.socket.write(body)
      this.socket.uncork()
    }
    if (close) {
      this.finish()
      this.socket.end()
      return
    }
    if (!ok) {
      // The client is not reading its responses: stop reading its requests until it does.
      this.blocked = true
      this.socket.pause()
    }
  }

  /**
   * Closes a connection the client half-closed once every request it sent whole is answered. A request
   * cut short by the end gets what node:http gives it: a 'clientError' on the server, or by default
   * 400 and the connection destroyed.
   */
  private endAfterPeer(): void {
    const cut = this.incomplete()
    const { socket } = this
    this.finish()
    if (!cut) return void socket.end()
    const err = Object.assign(new Error('Parse Error: Invalid EOF state'), { code: 'HPE_INVALID_EOF_STATE' })
    if (this.shared.server.emit('clientError', err, socket)) return
    socket.write(BAD_REQUEST)
    socket.destroy()
  }

  /** Gives the connection, from the first unconsumed byte on, to node:http. */
  private handOff(): void {
    const { socket } = this
    const rest = this.input.bytes
    this.finish()
    socket.removeListener('error', this.onError) // node:http listens from here on
    if (rest.length > 0) socket.unshift(rest)
    this.shared.handOff(socket)
  }

  /** Closes the connection if nothing it sent waits for an answer (server shutdown). */
  closeIfIdle(): void {
    if (this.incomplete() || this.slots.length > 0) return // answered with Connection: close, then closed
    const unsent = this.blocked
    this.finish()
    // Responses still waiting for a slow reader are flushed before the close.
    if (unsent) this.socket.end()
    else this.socket.destroy()
  }

  /** Stops reading: the connection closes or node:http takes it. The error listener stays until then. */
  private finish(): void {
    if (this.done) return
    this.done = true
    this.input.clear()
    this.slots = []
    this.pending = undefined
    this.skip = 0
    if (this.deadline) clearTimeout(this.deadline)
    this.deadline = undefined
    const { socket } = this
    socket.removeListener('data', this.onData)
    socket.removeListener('timeout', this.onTimeout)
    socket.removeListener('drain', this.onDrain)
    socket.removeListener('close', this.onClose)
    socket.removeListener('end', this.onEnd)
    socket.setTimeout(0)
    if (this.blocked) socket.resume()
    this.shared.open.delete(this)
  }

  private setIdleTimeout(on: boolean): void {
    if (on === this.idleTimeout) return
    this.idleTimeout = on
    this.socket.setTimeout(on ? this.shared.server.keepAliveTimeout : 0)
  }

  /**
   * Keeps the deadline timer on the request being received: its first byte plus headersTimeout
   * while the head arrives, plus requestTimeout while the body does (0 turns either off). A request
   * that arrived whole in one read never arms it.
   */
  private armDeadline(): void {
    let at = 0
    if (this.requestStartMs >= 0 && !this.blocked && !this.stopReading && (this.incomplete() || this.slots.length === 0)) {
      const { headersTimeout, requestTimeout } = this.shared.server
      const ms = this.pending || this.skip > 0 ? requestTimeout : headersTimeout > 0 && requestTimeout > 0 ? Math.min(headersTimeout, requestTimeout) : headersTimeout || requestTimeout
      if (ms > 0) at = this.requestStartMs + ms
    }
    if (at === this.deadlineAt && (at === 0) === (this.deadline === undefined)) return
    if (this.deadline) clearTimeout(this.deadline)
    this.deadline = undefined
    this.deadlineAt = at
    if (at > 0) this.deadline = setTimeout(this.onDeadline, Math.max(0, at - Date.now()))
  }
}

let dateSecond = -1
let dateText = ''

/** The current time as an HTTP date, computed once a second. */
function httpDate(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateText = new Date(second * 1000).toUTCString()
  }
  return dateText
}

