// The HTTP gateway: /fn/<name>/<rest>?query and claimed routes -> runtime invocations. A trigger beside
// the runtime that uses only its public API, so an edge host serves functions with node:http and
// these two packages alone; admin APIs live elsewhere.
// The decisions (which function, may it run, what goes back) live in GatewayCore, shared by the
// node:http handler below and by the connection-level fast path in http1.ts.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { JaegisError, type FunctionConfig, type FunctionResponse, type Runtime } from '@jaegis/runtime'
import { readBody } from './body.js'
import { ClientGoneError, defaultErrorLogger, errorResponse, sendError, writeResponse, type ErrorLogger, type WireResponse } from './errors.js'
import { isFramingHeader } from './framing.js'

export interface GatewayOptions {
  /**
   * Requests being served at once before new ones get 503. A request counts once its head and body
   * are in: clients still sending take no capacity (their connections are bounded by the server's
   * headersTimeout and requestTimeout). @default 1024
   */
  maxInflight?: number
  /** Checks a function's key when its manifest requires one. @default refuse every key */
  checkKey?: (name: string, key: string) => boolean
  /** Where internal errors go, with their reference id. @default JSON lines on stderr */
  onError?: ErrorLogger
  /** Seconds a 503 tells the client to wait. @default 1 */
  retryAfterS?: number
  /**
   * Told about every request the gateway refuses before the runtime sees it (unknown function,
   * missing key, overload, body too large), for metrics. `name` is "" for unknown functions so that
   * arbitrary names from the network never become metric labels.
   */
  onReject?: (name: string, code: string) => void
}

/** The function a request is for. */
export interface GatewayTarget {
  name: string
  /** Path below the function's route, starting with "/". */
  rest: string
  /** Query string without "?". */
  query: string
}

/** The gateway's decisions, independent of how the request was read. */
export interface GatewayCore {
  /** The function `url` is for, or undefined when it is not a function's URL (someone else serves it). */
  target(url: string): GatewayTarget | undefined
  /**
   * Whether a request for `name` may run: the function exists and its key matches. Counts nothing: a
   * request whose head or body is still arriving is not in flight yet (slow clients take no capacity).
   */
  check(name: string, rawHeaders: readonly string[]): FunctionConfig | JaegisError
  /**
   * Takes an in-flight slot for a checked request whose head and body are in: OVERLOADED at the
   * server's limit. On success the request counts as in flight until `invoke` or `release`.
   */
  acquire(name: string): JaegisError | undefined
  /** `check`, then `acquire`: for a request that is complete now. */
  admit(name: string, rawHeaders: readonly string[]): FunctionConfig | JaegisError
  /**
   * Runs an admitted request (and ends its in-flight count). Failures come back as error responses.
   * A function that runs in a lane answers with a promise (which never rejects).
   */
  invoke(target: GatewayTarget, method: string, rawHeaders: readonly string[], body: Uint8Array): WireResponse | Promise<WireResponse>
  /** Ends the in-flight count of an admitted request that will not be invoked. */
  release(): void
  /** Reports a refused request to onReject (metrics). */
  reject(name: string, code: string): void
  /** The JSON error response for `err` (unsafe errors logged with a reference id). */
  errorResponse(err: unknown): WireResponse
}

/** A request handler: returns false when the request is not for a function (so the caller can route it). */
export interface GatewayHandler {
  (req: IncomingMessage, res: ServerResponse): boolean
  /** The decisions behind it, for other ways of reading requests (acceptFastConnections). */
  readonly core: GatewayCore
}

const FN_PREFIX = '/fn/'
const EMPTY = new Uint8Array(0)

/** Creates the gateway for `runtime`: a node:http handler carrying its core. */
export function createGateway(runtime: Runtime, options: GatewayOptions = {}): GatewayHandler {
  const core = createCore(runtime, options)
  const onError = options.onError ?? defaultErrorLogger
  const retryAfterS = options.retryAfterS ?? 1

  const handler = (req: IncomingMessage, res: ServerResponse): boolean => {
    const target = core.target(req.url ?? '/')
    if (!target) return false
    const raw = req.rawHeaders
    const checked = core.check(target.name, raw)
    if (checked instanceof JaegisError) {
      writeResponse(res, core.errorResponse(checked))
      req.resume()
      return true
    }
    const respond = (body: Uint8Array) => {
      const overloaded = core.acquire(target.name)
      if (overloaded) return writeResponse(res, core.errorResponse(overloaded))
      const out = core.invoke(target, req.method ?? 'GET', raw, body)
      if (out instanceof Promise) void out.then((w) => writeResponse(res, w))
      else writeResponse(res, out)
    }
    // A request without a body is served in this tick; one with a body once it has arrived.
    // Read from the raw list: touching req.headers makes Node build the whole headers object.
    const declared = rawHeader(raw, 'content-length')
    if ((declared === undefined || declared === '0') && rawHeader(raw, 'transfer-encoding') === undefined) {
      req.resume()
      respond(EMPTY)
      return true
    }
    readBody(req, checked.limits.bodyBytes).then(respond, (err) => {
      if (err instanceof ClientGoneError) return void res.destroy() // nobody to answer; a client event, not an error
      core.reject(target.name, (err as { code?: string }).code ?? 'INTERNAL')
      if (err instanceof JaegisError && err.code === 'BODY_TOO_LARGE') res.setHeader('connection', 'close')
      sendError(res, err, onError, retryAfterS)
    })
    return true
  }
  return Object.assign(handler, { core })
}

function createCore(runtime: Runtime, options: GatewayOptions): GatewayCore {
  const maxInflight = options.maxInflight ?? 1024
  const onError = options.onError ?? defaultErrorLogger
  const retryAfterS = options.retryAfterS ?? 1
  const onReject = options.onReject
  let inflight = 0

  const toResponse = (err: unknown): WireResponse => errorResponse(err, onError, retryAfterS)
  const toWire = (out: FunctionResponse): WireResponse => {
    try {
      return { status: out.status, headers: wireHeaders(out), body: out.body }
    } catch (err) {
      return toResponse(err)
    }
  }
  const refuse = (name: string, err: JaegisError): JaegisError => {
    onReject?.(name, err.code)
    return err
  }

  const check = (name: string, rawHeaders: readonly string[]): FunctionConfig | JaegisError => {
    const config = runtime.config(name)
    if (!config) return refuse('', new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`))
    if (config.requireKey) {
      const key = rawHeader(rawHeaders, 'x-jaegis-key')
      if (key === undefined || !(options.checkKey?.(name, key) ?? false)) {
        return refuse(name, new JaegisError('UNAUTHORIZED', `function "${name}" needs its key in the x-jaegis-key header`))
      }
    }
    return config
  }

  const acquire = (name: string): JaegisError | undefined => {
    if (inflight >= maxInflight) return refuse(name, new JaegisError('OVERLOADED', `server is at its limit of ${maxInflight} requests in flight; retry after ${retryAfterS} s`))
    inflight++
    return undefined
  }

  return {
    target(url) {
      const q = url.indexOf('?')
      const pathname = q < 0 ? url : url.slice(0, q)
      const query = q < 0 ? '' : url.slice(q + 1)
      if (pathname.startsWith(FN_PREFIX)) {
        const slash = pathname.indexOf('/', FN_PREFIX.length)
        let name = slash < 0 ? pathname.slice(FN_PREFIX.length) : pathname.slice(FN_PREFIX.length, slash)
        if (name.includes('%')) {
          try {
            name = decodeURIComponent(name)
          } catch {
            // Not valid percent-encoding: no function has this name, so it stays as sent (404).
          }
        }
        return { name, rest: slash < 0 ? '/' : pathname.slice(slash), query }
      }
      const route = runtime.resolveRoute(pathname)
      return route && { name: route.name, rest: route.rest, query }
    },

    check,
    acquire,

    admit(name, rawHeaders) {
      const config = check(name, rawHeaders)
      if (config instanceof JaegisError) return config
      return acquire(name) ?? config
    },

    invoke(target, method, rawHeaders, body) {
      let out: FunctionResponse | Promise<FunctionResponse>
      try {
        out = runtime.dispatch(target.name, { method, path: target.rest, query: target.query, rawHeaders, body })
      } catch (err) {
        inflight--
        return toResponse(err)
      }
      if (out instanceof Promise) {
        return out.then(
          (r) => {
            inflight--
            return toWire(r)
          },
          (err) => {
            inflight--
            return toResponse(err)
          },
        )
      }
      inflight--
      return toWire(out)
    },

    release() {
      inflight--
    },

    reject(name, code) {
      onReject?.(name, code)
    },

    errorResponse: toResponse,
  }
}

/** Characters HTTP allows in a header name (a token) and in a value (no controls but tab; bytes up to 0xff). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/**
 * A function's headers as a flat list for the wire, without the framing headers the gateway owns
 * (FRAMING_HEADERS, in any case: the function's own values are dropped). Throws BAD_RESPONSE for a status that cannot end
 * an exchange (1xx) or a header HTTP cannot carry (which would otherwise let a function split responses).
 */
function wireHeaders(out: FunctionResponse): string[] {
  if (out.status < 200) throw new JaegisError('BAD_RESPONSE', `function returned a malformed response: status ${out.status} is informational, not a final response`)
  const headers: string[] = []
  for (const [k, v] of out.headers) {
    if (!TOKEN.test(k)) throw new JaegisError('BAD_RESPONSE', `function returned a malformed response: ${JSON.stringify(k)} is not a valid header name`)
    if (BAD_VALUE.test(v)) throw new JaegisError('BAD_RESPONSE', `function returned a malformed response: the value of header "${k}" has characters HTTP does not allow`)
    if (!isFramingHeader(k)) headers.push(k, v)
  }
  return headers
}

/** The first value of header `name` (lower-case) in Node's raw [name, value, ...] list, or undefined. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!
    if (k.length === name.length && (k === name || k.toLowerCase() === name)) return raw[i + 1]
  }
  return undefined
}
