// The HTTP gateway: /fn/<name>/<rest>?query and claimed routes -> runtime invocations. It is part of
// the runtime so an edge host can serve functions with node:http alone; admin APIs live elsewhere.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { JaegisError } from '../errors.js'
import type { Runtime } from '../runtime.js'
import { readBody } from './body.js'
import { defaultErrorLogger, sendError, type ErrorLogger } from './errors.js'

export interface GatewayOptions {
  /** Requests being served at once (reading bodies included) before new ones get 503. @default 1024 */
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

/** A request handler: returns false when the request is not for a function (so the caller can route it). */
export type GatewayHandler = (req: IncomingMessage, res: ServerResponse) => boolean

const FN_PREFIX = '/fn/'
const EMPTY = new Uint8Array(0)

/** Creates the gateway handler for `runtime`. */
export function createGateway(runtime: Runtime, options: GatewayOptions = {}): GatewayHandler {
  const maxInflight = options.maxInflight ?? 1024
  const onError = options.onError ?? defaultErrorLogger
  const retryAfterS = options.retryAfterS ?? 1
  let inflight = 0

  return (req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const pathname = q < 0 ? url : url.slice(0, q)
    let name: string
    let rest: string
    if (pathname.startsWith(FN_PREFIX)) {
      const slash = pathname.indexOf('/', FN_PREFIX.length)
      name = decodeURIComponent(slash < 0 ? pathname.slice(FN_PREFIX.length) : pathname.slice(FN_PREFIX.length, slash))
      rest = slash < 0 ? '/' : pathname.slice(slash)
    } else {
      const route = runtime.resolveRoute(pathname)
      if (!route) return false
      name = route.name
      rest = route.rest
    }
    const config = runtime.config(name)
    const reject = options.onReject
    if (!config) {
      reject?.('', 'UNKNOWN_FUNCTION')
      sendError(res, new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`), onError)
      req.resume()
      return true
    }
    if (config.requireKey) {
      const key = req.headers['x-jaegis-key']
      if (typeof key !== 'string' || !(options.checkKey?.(name, key) ?? false)) {
        reject?.(name, 'UNAUTHORIZED')
        sendError(res, new JaegisError('UNAUTHORIZED', `function "${name}" needs its key in the x-jaegis-key header`), onError)
        req.resume()
        return true
      }
    }
    if (inflight >= maxInflight) {
      reject?.(name, 'OVERLOADED')
      sendError(res, new JaegisError('OVERLOADED', `server is at its limit of ${maxInflight} requests in flight; retry after ${retryAfterS} s`), onError, retryAfterS)
      req.resume()
      return true
    }
    inflight++
    const done = () => {
      inflight--
    }
    const query = q < 0 ? '' : url.slice(q + 1)
    const respond = (body: Uint8Array) => {
      try {
        const out = runtime.invokeSync(name, { method: req.method ?? 'GET', path: rest, query, rawHeaders: req.rawHeaders, body })
        const headers: string[] = []
        for (const [k, v] of out.headers) if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') headers.push(k, v)
        headers.push('content-length', String(out.body.byteLength))
        res.writeHead(out.status, headers)
        res.end(out.body)
      } catch (err) {
        sendError(res, err, onError, retryAfterS)
      } finally {
        done()
      }
    }
    // A request without a body is served in this tick; one with a body once it has arrived.
    // Read from the raw list: touching req.headers makes Node build the whole headers object.
    const declared = rawHeader(req.rawHeaders, 'content-length')
    if ((declared === undefined || declared === '0') && rawHeader(req.rawHeaders, 'transfer-encoding') === undefined) {
      req.resume()
      respond(EMPTY)
      return true
    }
    readBody(req, config.limits.bodyBytes).then(respond, (err) => {
      done()
      reject?.(name, (err as { code?: string }).code ?? 'INTERNAL')
      if (err instanceof JaegisError && err.code === 'BODY_TOO_LARGE') res.setHeader('connection', 'close')
      sendError(res, err, onError, retryAfterS)
    })
    return true
  }
}

/** The first value of header `name` (lower-case) in Node's raw [name, value, ...] list, or undefined. */
function rawHeader(raw: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!
    if (k.length === name.length && (k === name || k.toLowerCase() === name)) return raw[i + 1]
  }
  return undefined
}
