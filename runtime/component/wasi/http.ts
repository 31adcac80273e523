// wasi:http/types 0.2 for the component host, over in-memory bodies: the runtime builds an
// IncomingRequest from a FunctionRequest, the guest fills a ResponseOutparam, and the host reads it back.
import { BufferSink, CLOSED, InputStream, IoError, OutputStream, Pollable } from './io.js'

type Method = { tag: string; val?: string }
const METHODS = ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']
const enc = new TextEncoder()
const dec = new TextDecoder()

export function toMethod(name: string): Method {
  const lower = name.toLowerCase()
  return METHODS.includes(lower) ? { tag: lower } : { tag: 'other', val: name }
}
export function fromMethod(m: Method): string {
  return m.tag === 'other' ? String(m.val) : m.tag.toUpperCase()
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** wasi:http/types.fields: header names are lower-cased; values are bytes. */
export class Fields {
  private list: Array<[string, Uint8Array]> = []
  immutable = false
  static fromList(entries: Array<[string, Uint8Array]>): Fields {
    const f = new Fields()
    for (const [k, v] of entries) f.append(k, v)
    return f
  }
  static fromPairs(pairs: Iterable<readonly [string, string]>, immutable: boolean): Fields {
    const f = new Fields()
    // All values in one buffer, each a view of it: one ArrayBuffer per request instead of one per header
    // (a guest that never drops its incoming-request keeps all of it on the host's heap).
    const list = Array.isArray(pairs) ? (pairs as Array<readonly [string, string]>) : [...pairs]
    let text = ''
    for (const [, v] of list) text += v
    if (!/^[\x00-\x7f]*$/.test(text)) {
      for (const [k, v] of list) f.list.push([k.toLowerCase(), enc.encode(v)])
    } else {
      const bytes = enc.encode(text)
      let at = 0
      for (const [k, v] of list) {
        f.list.push([k.toLowerCase(), bytes.subarray(at, at + v.length)])
        at += v.length
      }
    }
    f.immutable = immutable
    return f
  }
  private check(name: string): string {
    if (this.immutable) throw { tag: 'immutable' }
    if (!TOKEN_RE.test(name)) throw { tag: 'invalid-syntax' }
    return name.toLowerCase()
  }
  get(name: string): Uint8Array[] {
    const n = name.toLowerCase()
    return this.list.filter(([k]) => k === n).map(([, v]) => v)
  }
  has(name: string): boolean {
    const n = name.toLowerCase()
    return this.list.some(([k]) => k === n)
  }
  set(name: string, values: Uint8Array[]): void {
    const n = this.check(name)
    this.list = this.list.filter(([k]) => k !== n)
    for (const v of values) this.list.push([n, v.slice()])
  }
  delete(name: string): void {
    const n = this.check(name)
    this.list = this.list.filter(([k]) => k !== n)
  }
  append(name: string, value: Uint8Array): void {
    this.list.push([this.check(name), value.slice()])
  }
  entries(): Array<[string, Uint8Array]> {
    return this.list.map(([k, v]) => [k, v])
  }
  clone(): Fields {
    const f = new Fields()
    f.list = this.list.map(([k, v]) => [k, v])
    return f
  }
  /** Header pairs as strings, for the host. */
  pairs(): Array<[string, string]> {
    return this.list.map(([k, v]) => [k, dec.decode(v)])
  }
}

/** wasi:http/types.incoming-body. */
export class IncomingBody {
  private taken = false
  constructor(private readonly bytes: Uint8Array) {}
  stream(): InputStream {
    if (this.taken) throw undefined
    this.taken = true
    return new InputStream(this.bytes)
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers()
  }
}

/** wasi:http/types.future-trailers: never any trailers here. */
export class FutureTrailers {
  private done = false
  subscribe(): Pollable {
    return new Pollable()
  }
  get(): unknown {
    if (this.done) return { tag: 'err', val: undefined }
    this.done = true
    return { tag: 'ok', val: { tag: 'ok', val: undefined } }
  }
}

/** wasi:http/types.incoming-request, built by the host from a FunctionRequest. */
export class IncomingRequest {
  private consumed = false
  constructor(
    private readonly m: string,
    private readonly pathQuery: string,
    private readonly authority_: string,
    private readonly fields: Fields,
    private readonly body: Uint8Array,
    private readonly https = false,
  ) {}
  method(): Method {
    return toMethod(this.m)
  }
  pathWithQuery(): string {
    return this.pathQuery
  }
  scheme(): { tag: string } {
    return { tag: this.https ? 'HTTPS' : 'HTTP' }
  }
  authority(): string {
    return this.authority_
  }
  headers(): Fields {
    return this.fields
  }
  consume(): IncomingBody {
    if (this.consumed) throw undefined
    this.consumed = true
    return new IncomingBody(this.body)
  }
}

/** wasi:http/types.outgoing-body: bytes collected in memory, up to a limit. */
export class OutgoingBody {
  readonly sink: BufferSink
  finished = false
  private stream_?: OutputStream
  constructor(limitBytes: number) {
    this.sink = new BufferSink(limitBytes)
  }
  write(): OutputStream {
    if (this.stream_) throw undefined
    this.stream_ = new OutputStream(this.sink)
    return this.stream_
  }
  static finish(body: OutgoingBody, _trailers?: Fields): void {
    body.finished = true
    if (body.stream_) body.stream_.closed = true
  }
  [Symbol.dispose](): void {
    // Dropping a body without finish() still ends it; the host serves what was written.
    this.finished = true
  }
}

/** Largest response body a component may write (beyond it writes fail inside the guest). */
export const RESPONSE_BODY_LIMIT_BYTES = 64 * 1024 * 1024

/** wasi:http/types.outgoing-response. */
export class OutgoingResponse {
  status = 200
  private body_?: OutgoingBody
  constructor(readonly fields: Fields) {
    fields.immutable = false
  }
  statusCode(): number {
    return this.status
  }
  setStatusCode(code: number): void {
    if (code < 100 || code > 599) throw undefined
    this.status = code
  }
  headers(): Fields {
    const f = this.fields.clone()
    return f
  }
  body(): OutgoingBody {
    if (this.body_) throw undefined
    this.body_ = new OutgoingBody(RESPONSE_BODY_LIMIT_BYTES)
    return this.body_
  }
  get outgoingBody(): OutgoingBody | undefined {
    return this.body_
  }
}

/** wasi:http/types.response-outparam: where the guest puts its response. */
export class ResponseOutparam {
  result?: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: unknown }
  static set(param: ResponseOutparam, response: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: unknown }): void {
    param.result = response
  }
}

/** wasi:http/types.request-options (timeouts in ns; kept, bounded by the invocation deadline). */
export class RequestOptions {
  connect?: bigint
  firstByte?: bigint
  betweenBytes?: bigint
  connectTimeout(): bigint | undefined {
    return this.connect
  }
  setConnectTimeout(d?: bigint): void {
    this.connect = d
  }
  firstByteTimeout(): bigint | undefined {
    return this.firstByte
  }
  setFirstByteTimeout(d?: bigint): void {
    this.firstByte = d
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.betweenBytes
  }
  setBetweenBytesTimeout(d?: bigint): void {
    this.betweenBytes = d
  }
}

/** wasi:http/types.outgoing-request. */
export class OutgoingRequest {
  method_: Method = { tag: 'get' }
  path?: string
  scheme_?: { tag: string; val?: string }
  authority_?: string
  body_?: OutgoingBody
  constructor(readonly fields: Fields) {}
  method(): Method {
    return this.method_
  }
  setMethod(m: Method): void {
    this.method_ = m
  }
  pathWithQuery(): string | undefined {
    return this.path
  }
  setPathWithQuery(p?: string): void {
    this.path = p
  }
  scheme(): { tag: string; val?: string } | undefined {
    return this.scheme_
  }
  setScheme(s?: { tag: string; val?: string }): void {
    this.scheme_ = s
  }
  authority(): string | undefined {
    return this.authority_
  }
  setAuthority(a?: string): void {
    this.authority_ = a
  }
  headers(): Fields {
    return this.fields
  }
  body(): OutgoingBody {
    if (this.body_) throw undefined
    this.body_ = new OutgoingBody(RESPONSE_BODY_LIMIT_BYTES)
    return this.body_
  }
  /** The URL this request targets. */
  url(): URL {
    const scheme = this.scheme_ ? (this.scheme_.tag === 'other' ? String(this.scheme_.val) : this.scheme_.tag.toLowerCase()) : 'https'
    if (!this.authority_) throw { tag: 'HTTP-request-URI-invalid' }
    return new URL(`${scheme}://${this.authority_}${this.path ?? '/'}`)
  }
}

/** wasi:http/types.incoming-response (a finished outbound call). */
export class IncomingResponse {
  constructor(
    private readonly status_: number,
    private readonly fields: Fields,
    private readonly bytes: Uint8Array,
  ) {}
  status(): number {
    return this.status_
  }
  headers(): Fields {
    return this.fields
  }
  consume(): IncomingBody {
    return new IncomingBody(this.bytes)
  }
}

/** Result of an outbound call: an IncomingResponse or an error-code variant. */
export type OutboundResult = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: { tag: string; val?: unknown } }

/** wasi:http/types.future-incoming-response. The call runs (synchronously) when first polled. */
export class FutureIncomingResponse {
  private result?: OutboundResult
  private taken = false
  constructor(private readonly run: () => OutboundResult) {}
  private settle(): OutboundResult {
    if (!this.result) this.result = this.run()
    return this.result
  }
  subscribe(): Pollable {
    const self = this
    return new (class extends Pollable {
      override ready(): boolean {
        self.settle()
        return true
      }
      override block(): void {
        self.settle()
      }
      override remainingNs(): bigint {
        return 0n
      }
    })()
  }
  get(): unknown {
    this.settle()
    if (this.taken) return { tag: 'err', val: undefined }
    this.taken = true
    return { tag: 'ok', val: this.result }
  }
}

/** wasi:http/types.http-error-code: our io errors carry no http error code. */
export function httpErrorCode(_err: IoError): undefined {
  return undefined
}

export { CLOSED }
