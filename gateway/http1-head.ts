// Reading a request head for the fast path: incrementally, one complete line at a time, so a head that
// trickles in is read once in all (not re-parsed from its start per line), into one buffer per connection.
// What the fast path does not serve (or is not sure of) is left to node:http: this file only says "null".

const CR = 13
const LF = 10
const SP = 32
const COLON = 58
const HTAB = 9
const EMPTY = Buffer.alloc(0)

/** Methods read here; any other goes to node:http. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])

/**
 * Header lines a head read here may have. More go to node:http, which keeps its own count
 * (`maxHeadersCount`) and decides what reaches the function: both paths then agree.
 */
export const MAX_FAST_HEADER_LINES = 100

/** Token characters (RFC 9110) for header names. */
const TOKEN_CHAR = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHAR[c.charCodeAt(0)] = 1

/** A request head the fast path serves, as parsed. */
export interface ParsedHead {
  method: string
  /** The request target as sent (origin-form). */
  url: string
  rawHeaders: string[]
  contentLength: number
  close: boolean
  /** Bytes of the head, CRLFCRLF included. */
  size: number
}

/**
 * The bytes a connection received and has not consumed yet. A chunk that arrives while nothing is held
 * is kept as it is (no copy: the common case, a whole request in one segment); later ones are copied
 * into one buffer of the connection's own that doubles as needed. However finely the bytes were split
 * into segments, at most two buffers are held and their size stays within about twice the bytes held.
 */
export class ReadBuffer {
  /** The unconsumed bytes (a view into the latest chunk or into `own`). */
  bytes: Buffer = EMPTY
  /** Storage of our own that `bytes` may point into. */
  private own: Buffer | undefined

  append(chunk: Buffer): void {
    const held = this.bytes
    if (held.length === 0) {
      this.bytes = chunk
      this.own = undefined
      return
    }
    const own = this.own
    const need = held.length + chunk.length
    if (own !== undefined && held.buffer === own.buffer) {
      const start = held.byteOffset - own.byteOffset
      const end = start + held.length
      if (end + chunk.length <= own.length) {
        chunk.copy(own, end)
        this.bytes = own.subarray(start, end + chunk.length)
        return
      }
    }
    // allocUnsafeSlow: storage of its own, never a slice of Node's shared pool.
    const grown = Buffer.allocUnsafeSlow(Math.max(1024, 2 * need))
    held.copy(grown, 0)
    chunk.copy(grown, held.length)
    this.own = grown
    this.bytes = grown.subarray(0, need)
  }

  /** Drops the first `n` bytes. */
  consume(n: number): void {
    this.bytes = n >= this.bytes.length ? EMPTY : this.bytes.subarray(n)
    if (this.bytes.length === 0) this.own = undefined
  }

  clear(): void {
    this.bytes = EMPTY
    this.own = undefined
  }

  /** Buffers this holds on to (at most 2): for tests of what a trickling client costs. */
  get buffersHeld(): number {
    if (this.bytes.length === 0) return this.own ? 1 : 0
    return this.own !== undefined && this.bytes.buffer === this.own.buffer ? 1 : this.own ? 2 : 1
  }

  /** Bytes of storage held (own buffer and any foreign chunk viewed). */
  get bytesHeld(): number {
    const own = this.own?.length ?? 0
    return this.own !== undefined && this.bytes.buffer === this.own.buffer ? own : own + this.bytes.length
  }
}

/**
 * Reads one request head at the start of a buffer that grows between calls (the connection's
 * ReadBuffer: the head stays at offset 0 until it is complete). Each call reads the lines completed
 * since the last one; `bytesScanned` counts the work, at most about twice the head's size in all.
 */
export class HeadParser {
  /** Bytes examined since this parser was made (line searches and line checks): for tests. */
  bytesScanned = 0
  /** Offset of the first line not read yet. */
  private at = 0
  /** Offset from which to look for the next LF (bytes before it hold none past `at`). */
  private scanFrom = 0
  private method = ''
  private url = ''
  private rawHeaders: string[] = []
  private contentLength = -1
  private close = false
  private hosts = 0

  /**
   * The head at the start of `buf` once complete. Undefined: not complete yet (call again with more
   * bytes). Null: not a request the fast path serves (node:http takes it from the first byte, and
   * answers anything malformed itself). Either answer but undefined resets the parser for the next head.
   */
  parse(buf: Buffer, maxHeadBytes: number): ParsedHead | null | undefined {
    const limit = Math.min(buf.length, maxHeadBytes)
    for (;;) {
      let lf = this.scanFrom < limit ? buf.indexOf(LF, this.scanFrom) : -1
      this.bytesScanned += (lf < 0 ? buf.length : lf + 1) - this.scanFrom
      if (lf >= limit) lf = -1
      if (lf < 0) {
        this.scanFrom = limit
        if (buf.length >= maxHeadBytes) return this.reset(null) // over the limit: node:http answers 431
        return undefined
      }
      const start = this.at
      this.scanFrom = this.at = lf + 1
      if (lf === start || buf[lf - 1] !== CR) return this.reset(null) // a bare LF
      const end = lf - 1 // the line is [start, end), its CRLF excluded
      this.bytesScanned += end - start
      if (this.method === '') {
        if (!this.requestLine(buf, start, end)) return this.reset(null)
        continue
      }
      if (end === start) {
        // The empty line: the head is complete.
        if (this.hosts !== 1) return this.reset(null) // node:http answers a request without exactly one Host
        const head: ParsedHead = { method: this.method, url: this.url, rawHeaders: this.rawHeaders, contentLength: Math.max(this.contentLength, 0), close: this.close, size: lf + 1 }
        this.reset(null)
        return head
      }
      if (this.rawHeaders.length >= 2 * MAX_FAST_HEADER_LINES) return this.reset(null)
      if (!this.headerLine(buf, start, end)) return this.reset(null)
    }
  }

  private reset(out: null): null {
    this.at = 0
    this.scanFrom = 0
    this.method = ''
    this.url = ''
    this.rawHeaders = []
    this.contentLength = -1
    this.close = false
    this.hosts = 0
    return out
  }

  /** METHOD SP origin-form-target SP HTTP/1.1 */
  private requestLine(buf: Buffer, start: number, end: number): boolean {
    let i = start
    while (i < end && buf[i]! >= 0x41 && buf[i]! <= 0x5a) i++
    if (i === start || i === end || buf[i] !== SP) return false
    const method = buf.toString('latin1', start, i)
    if (!METHODS.has(method)) return false // node:http knows the rarer methods (and refuses unknown ones)
    const targetStart = ++i
    if (buf[i] !== 0x2f) return false // origin-form only: "/..."
    while (i < end && buf[i]! > 0x20 && buf[i]! < 0x7f) i++
    if (buf[i] !== SP) return false
    const url = buf.toString('latin1', targetStart, i)
    i++
    // "HTTP/1.1" and nothing after it
    if (end - i !== 8 || buf[i] !== 0x48 || buf[i + 1] !== 0x54 || buf[i + 2] !== 0x54 || buf[i + 3] !== 0x50 || buf[i + 4] !== 0x2f || buf[i + 5] !== 0x31 || buf[i + 6] !== 0x2e || buf[i + 7] !== 0x31) return false
    this.method = method
    this.url = url
    return true
  }

  /** name ":" OWS value OWS, the value without controls but HTAB. */
  private headerLine(buf: Buffer, start: number, end: number): boolean {
    let i = start
    while (i < end && TOKEN_CHAR[buf[i]!] === 1) i++
    if (i === start || i === end || buf[i] !== COLON) return false // obs-fold, space before the colon, bad name
    const nameEnd = i++
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++
    const valueStart = i
    while (i < end && (buf[i]! >= 0x20 ? buf[i] !== 0x7f : buf[i] === HTAB)) i++
    if (i !== end) return false // a bare CR or a control character
    let valueEnd = end
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--
    const name = buf.toString('latin1', start, nameEnd)
    const value = buf.toString('latin1', valueStart, valueEnd)
    this.rawHeaders.push(name, value)
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') this.hosts++
        break
      case 6: // expect: node:http answers 100-continue
      case 7: // upgrade
        if (name.toLowerCase() === 'expect' || name.toLowerCase() === 'upgrade') return false
        break
      case 10:
        if (name.toLowerCase() === 'connection') {
          const tokens = value.toLowerCase()
          if (tokens.includes('upgrade')) return false
          if (/(^|[\s,])close($|[\s,])/.test(tokens)) this.close = true
        }
        break
      case 14:
        if (name.toLowerCase() === 'content-length') {
          // One plain length, nothing after it: node:http refuses a second one (even equal) and some
          // trailing whitespace; whatever is not this simple shape is left to it.
          if (this.contentLength >= 0 || valueEnd !== end || !/^\d{1,15}$/.test(value)) return false
          this.contentLength = Number(value)
        }
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return false
        break
    }
    return true
  }
}
