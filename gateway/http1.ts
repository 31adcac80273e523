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
import { STATUS_CODES, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { JaegisError } from '../runtime/index.js'
import type { WireResponse } from './errors.js'
import type { GatewayCore, GatewayHandler, GatewayTarget } from './gateway.js'

export interface FastConnectionOptions {
  /** Largest request head (request line and headers) read here; longer ones go to node:http. @default 16384 */
  maxHeadBytes?: number
}

/** Control over the connections the fast path holds (node:http's own are closed by the server). */
export interface FastConnections {
  /** Connections currently read by the fast path. */
  readonly size: number
  /** Closes connections between requests now and the others after their current response. */
  closeIdle(): void
  /** Destroys every connection the fast path holds. */
  closeAll(): void
}

const CR = 13
const LF = 10
const SP = 32
const COLON = 58
const HTAB = 9
const EMPTY = new Uint8Array(0)
/** Bodies at least this large are written after the head instead of being copied beside it. */
const COPY_BODY_BELOW = 16 * 1024
/** Pipelined requests answered out of a lane and waiting to be written in order, before reading stops. */
const MAX_QUEUED_RESPONSES = 64

/** A response that must wait for the ones before it (pipelining: answers go out in request order). */
interface Slot {
  method: string
  close: boolean
  /** Undefined while its function runs in a lane. */
  out: WireResponse | undefined
}

/**
 * Makes `server` (a node:http server, listening or not) read new connections with the fast path
 * first; `gateway` decides and runs the invocations. node:http's own timeouts bound the
 * connections it takes over; here `server.keepAliveTimeout` bounds an idle connection and
 * `server.headersTimeout` a request that stops arriving half-way.
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
  server.on('connection', (socket: Socket) => {
    open.add(new FastConnection(socket, shared))
  })
  return {
    get size() {
      return open.size
    },
    closeIdle() {
      shared.closing = true
      for (const c of [...open]) c.closeIfIdle()
    },
    closeAll() {
      for (const c of [...open]) c.socket.destroy()
    },
  }
}

interface Shared {
  core: GatewayCore
  server: Server
  maxHeadBytes: number
  handOff(socket: Socket): void
  open: Set<FastConnection>
  /** The server is shutting down: answer with Connection: close. */
  closing: boolean
}

/** A request head the fast path serves, as parsed. */
interface ParsedHead {
  method: string
  /** The request target as sent (origin-form). */
  url: string
  rawHeaders: string[]
  contentLength: number
  close: boolean
  /** Bytes of the head, CRLFCRLF included. */
  size: number
}


/** A request waiting for the rest of its body. */
interface Pending {
  head: ParsedHead
  target: GatewayTarget
  body: Buffer
  filled: number
}

type TimeoutMode = 'idle' | 'request' | 'none'

class FastConnection {
  /** Bytes received and not yet consumed. */
  private buf: Buffer = Buffer.alloc(0)
  private pending: Pending | undefined
  /** Responses that wait for a lane (or for one before them), in request order. */
  private slots: Slot[] = []
  /** Reading stops: a request asked to close, or too many responses wait. */
  private stopReading = false
  /** Waiting for 'drain' before reading on. */
  private blocked = false
  private done = false
  private timeoutMode: TimeoutMode = 'none'
  /** `buf` ends in an incomplete request head; chunks since then wait in `more`. */
  private headIncomplete = false
  private more: Buffer[] = []
  private moreBytes = 0
  private readonly onData = (chunk: Buffer) => {
    if (this.headIncomplete) {
      // Parse again only once a line may have ended (or the head limit is reached): a head that
      // trickles in a byte at a time is neither re-read nor copied per byte.
      this.more.push(chunk)
      this.moreBytes += chunk.length
      if (chunk.indexOf(LF) < 0 && this.buf.length + this.moreBytes < this.shared.maxHeadBytes) return
      this.buf = Buffer.concat([this.buf, ...this.more])
      this.more = []
      this.moreBytes = 0
    } else {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    }
    this.serve()
  }
  private readonly onTimeout = () => {
    if (!this.blocked && (this.pending || this.buf.length > 0)) {
      this.writeError(new JaegisError('REQUEST_TIMEOUT', `the request did not arrive completely within ${this.shared.server.headersTimeout} ms`))
    } else {
      this.socket.destroy() // idle past keepAliveTimeout, or not reading its responses
    }
  }
  private readonly onDrain = () => {
    this.blocked = false
    this.socket.resume()
    this.serve()
  }
  private readonly onClose = () => {
    this.finish()
  }
  /** The client finished sending (half-close): everything complete has been answered; close our side. */
  private readonly onEnd = () => {
    this.finish()
    this.socket.end()
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
    this.setTimeoutMode('request')
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
    while (!this.done && !this.blocked && !this.stopReading) {
      const pending = this.pending
      if (pending) {
        const need = pending.body.length - pending.filled
        const take = Math.min(need, this.buf.length)
        this.buf.copy(pending.body, pending.filled, 0, take)
        pending.filled += take
        this.buf = this.buf.subarray(take)
        if (pending.filled < pending.body.length) break
        this.pending = undefined
        const { head } = pending
        this.respond(head.method, head.close, this.shared.core.invoke(pending.target, head.method, head.rawHeaders, pending.body))
        continue
      }
      if (this.buf.length === 0) break
      const head = parseHead(this.buf, this.shared.maxHeadBytes)
      this.headIncomplete = head === undefined
      if (head === undefined) break // incomplete: wait for more
      if (head === null) return this.handOff()
      const target = this.shared.core.target(head.url)
      if (!target) return this.handOff()
      this.buf = this.buf.subarray(head.size)
      const core = this.shared.core
      const admitted = core.admit(target.name, head.rawHeaders)
      if (admitted instanceof JaegisError) {
        // Refused without reading the body: the connection cannot be reused unless there is none.
        this.respond(head.method, head.close || head.contentLength > 0, core.errorResponse(admitted))
        continue
      }
      if (head.contentLength > admitted.limits.bodyBytes) {
        core.release()
        const err = new JaegisError('BODY_TOO_LARGE', `request body of ${head.contentLength} bytes is over the function's limit of ${admitted.limits.bodyBytes} bytes`)
        core.reject(target.name, err.code)
        this.respond(head.method, true, core.errorResponse(err))
        continue
      }
      if (head.contentLength === 0) {
        this.respond(head.method, head.close, core.invoke(target, head.method, head.rawHeaders, EMPTY))
        continue
      }
      if (this.buf.length >= head.contentLength) {
        // The whole body is here: a copy of its own (the chunk may be shared with the next request).
        const body = Buffer.from(this.buf.subarray(0, head.contentLength))
        this.buf = this.buf.subarray(head.contentLength)
        this.respond(head.method, head.close, core.invoke(target, head.method, head.rawHeaders, body))
        continue
      }
      this.pending = { head, target, body: Buffer.allocUnsafe(head.contentLength), filled: 0 }
    }
    // While a lane runs a request the function's deadline bounds the wait, not the connection's timers.
    if (!this.done) this.setTimeoutMode(this.slots.length > 0 ? 'none' : this.pending || this.buf.length > 0 ? 'request' : 'idle')
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
        // In a shutdown the last answer owed closes the connection.
        const last = this.slots.length === 0 && this.buf.length === 0 && !this.pending
        this.write(slot.method, slot.close || (this.shared.closing && last), slot.out!)
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

  /** Writes the response to a `method` request; `close` (or server shutdown) ends the connection after it. */
  private write(method: string, close: boolean, out: WireResponse): void {
    close ||= this.shared.closing
    const noBody = out.status === 204 || out.status === 304
    const body = noBody || method === 'HEAD' ? EMPTY : out.body
    let text = `HTTP/1.1 ${out.status} ${STATUS_CODES[out.status] ?? 'unknown'}\r\n`
    const h = out.headers
    for (let i = 0; i + 1 < h.length; i += 2) text += `${h[i]}: ${h[i + 1]}\r\n`
    if (!noBody) text += `content-length: ${out.body.byteLength}\r\n`
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

  private writeError(err: JaegisError): void {
    this.respond('GET', true, this.shared.core.errorResponse(err))
  }

  /** Gives the connection, from the first unconsumed byte on, to node:http. */
  private handOff(): void {
    const { socket } = this
    const rest = this.buf
    this.finish()
    socket.removeListener('error', this.onError) // node:http listens from here on
    if (rest.length > 0) socket.unshift(rest)
    this.shared.handOff(socket)
  }

  /** Closes the connection if no request is under way (server shutdown). */
  closeIfIdle(): void {
    if (this.pending || this.buf.length > 0 || this.slots.length > 0) return // answered with Connection: close, then closed
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
    this.buf = Buffer.alloc(0)
    this.more = []
    this.slots = []
    if (this.pending) {
      this.pending = undefined
      this.shared.core.release()
    }
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

  private setTimeoutMode(mode: TimeoutMode): void {
    if (mode === this.timeoutMode) return
    this.timeoutMode = mode
    const { server } = this.shared
    this.socket.setTimeout(mode === 'idle' ? server.keepAliveTimeout : mode === 'request' ? server.headersTimeout : 0)
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

/** Methods read here; any other goes to node:http. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])

/** Token characters (RFC 9110) for header names. */
const TOKEN_CHAR = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHAR[c.charCodeAt(0)] = 1

/**
 * Parses the request head at the start of `buf`. Undefined: not complete yet. Null: not a request
 * the fast path serves (node:http takes it, and answers anything malformed itself). The head's
 * `target` is the raw request target until the caller resolves it.
 */
function parseHead(buf: Buffer, maxHeadBytes: number): ParsedHead | null | undefined {
  const limit = Math.min(buf.length, maxHeadBytes)
  // Request line: METHOD SP origin-form-target SP HTTP/1.1 CRLF
  let i = 0
  while (i < limit && buf[i]! >= 0x41 && buf[i]! <= 0x5a) i++
  if (i === limit) return buf.length >= maxHeadBytes ? null : undefined
  if (buf[i] !== SP) return null
  const method = buf.toString('latin1', 0, i)
  if (!METHODS.has(method)) return null // node:http knows the rarer methods (and refuses unknown ones)
  const targetStart = ++i
  if (i < limit && buf[i] !== 0x2f) return null // origin-form only: "/..."
  while (i < limit && buf[i]! > 0x20 && buf[i]! < 0x7f) i++
  if (i === limit) return buf.length >= maxHeadBytes ? null : undefined
  if (buf[i] !== SP || i === targetStart) return null
  const url = buf.toString('latin1', targetStart, i)
  i++
  if (i + 10 > limit) return buf.length >= maxHeadBytes ? null : undefined
  // "HTTP/1.1\r\n"
  if (buf[i] !== 0x48 || buf[i + 1] !== 0x54 || buf[i + 2] !== 0x54 || buf[i + 3] !== 0x50 || buf[i + 4] !== 0x2f || buf[i + 5] !== 0x31 || buf[i + 6] !== 0x2e || buf[i + 7] !== 0x31 || buf[i + 8] !== CR || buf[i + 9] !== LF) return null
  i += 10
  const rawHeaders: string[] = []
  let contentLength = -1
  let close = false
  let hosts = 0
  for (;;) {
    if (i + 2 > limit) return buf.length >= maxHeadBytes ? null : undefined
    if (buf[i] === CR) {
      if (buf[i + 1] !== LF) return null
      i += 2
      break
    }
    const nameStart = i
    while (i < limit && TOKEN_CHAR[buf[i]!] === 1) i++
    if (i === limit) return buf.length >= maxHeadBytes ? null : undefined
    if (i === nameStart || buf[i] !== COLON) return null // obs-fold, space before the colon, bad name
    const nameEnd = i++
    while (i < limit && (buf[i] === SP || buf[i] === HTAB)) i++
    const valueStart = i
    while (i < limit && (buf[i]! >= 0x20 ? buf[i] !== 0x7f : buf[i] === HTAB)) i++
    if (i + 1 >= limit) return buf.length >= maxHeadBytes ? null : undefined
    if (buf[i] !== CR || buf[i + 1] !== LF) return null // a bare CR or LF, or a control character
    let valueEnd = i
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--
    i += 2
    const name = buf.toString('latin1', nameStart, nameEnd)
    const value = buf.toString('latin1', valueStart, valueEnd)
    rawHeaders.push(name, value)
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++
        break
      case 6: // expect: node:http answers 100-continue
      case 7: // upgrade
        if (name.toLowerCase() === 'expect' || name.toLowerCase() === 'upgrade') return null
        break
      case 10:
        if (name.toLowerCase() === 'connection') {
          const tokens = value.toLowerCase()
          if (tokens.includes('upgrade')) return null
          if (/(^|[\s,])close($|[\s,])/.test(tokens)) close = true
        }
        break
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (!/^\d{1,15}$/.test(value)) return null
          const n = Number(value)
          if (contentLength >= 0 && n !== contentLength) return null
          contentLength = n
        }
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return null
        break
    }
  }
  if (hosts !== 1) return null // node:http answers a request without exactly one Host (HTTP/1.1 requires it)
  return { method, url, rawHeaders, contentLength: Math.max(contentLength, 0), close, size: i }
}
