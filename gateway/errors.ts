// Errors -> HTTP: the one place that decides status codes and what a caller may see.
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { isJaegisError, JaegisError, type ErrorCode } from '@jaegis/runtime'
import { statusHasBody } from './framing.js'

/** HTTP status for each stable error code. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_WASM: 400,
  ABI_MISMATCH: 400,
  INVALID_ARTIFACT: 400,
  INVALID_MANIFEST: 400,
  COMPILE_FAILED: 400,
  PREINIT_FAILED: 400,
  TRIAL_FAILED: 422,
  UNKNOWN_FUNCTION: 404,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  BODY_TOO_LARGE: 413,
  REQUEST_TIMEOUT: 408,
  TIMEOUT: 504,
  MEMORY_LIMIT: 500,
  TRAP: 500,
  BAD_RESPONSE: 500,
  OVERLOADED: 503,
  CLOSED: 503,
  SLICE_EXPIRED: 500,
  NO_SPACE: 507,
  UNAVAILABLE: 503,
  SIGNATURE_REQUIRED: 403,
  SIGNATURE_INVALID: 400,
  UNTRUSTED_KEY: 403,
  BAD_SIGNING_KEY: 400,
  INTERNAL: 500,
}

/** Where errors that are not safe to show go, with their reference id. */
export type ErrorLogger = (ref: string, err: unknown) => void

export const defaultErrorLogger: ErrorLogger = (ref, err) => {
  process.stderr.write(JSON.stringify({ level: 'error', ref, error: String((err as Error)?.stack ?? err) }) + '\n')
}

/** The JSON body and status for an error. Unsafe errors become INTERNAL with only a reference id. */
export function errorBody(err: unknown, log: ErrorLogger): { status: number; body: string; code: string } {
  if (isJaegisError(err) && err.expose) {
    return { status: STATUS_BY_CODE[err.code] ?? 500, body: JSON.stringify({ error: { code: err.code, message: err.message } }), code: err.code }
  }
  const ref = randomUUID()
  log(ref, err)
  return { status: 500, body: JSON.stringify({ error: { code: 'INTERNAL', message: `internal error (reference ${ref})`, ref } }), code: 'INTERNAL' }
}

/** A response ready for the wire: status, header pairs (without framing headers) and body. */
export interface WireResponse {
  status: number
  /** Flat [name, value, ...] list, checked for what HTTP allows; content-length is added by the writer. */
  headers: string[]
  body: Uint8Array
}

/** The whole error response for `err`: JSON body, content type, and Retry-After on 503s. */
export function errorResponse(err: unknown, log: ErrorLogger = defaultErrorLogger, retryAfterS = 1): WireResponse & { code: string } {
  const { status, body, code } = errorBody(err, log)
  const headers = ['content-type', 'application/json']
  if (status === 503) headers.push('retry-after', String(retryAfterS))
  return { status, headers, body: Buffer.from(body), code }
}

/**
 * The client closed the connection before its request (a function's body, an upload) ended: nobody is
 * left to answer and nothing to log. A client event, not an internal error.
 */
export class ClientGoneError extends JaegisError {
  constructor(cause?: unknown) {
    super('BAD_REQUEST', 'the client closed the connection before its request ended', { cause })
    this.name = 'ClientGoneError'
  }
}

/**
 * Writes a wire response through node:http (with its content-length; 204 and 304 with neither a length
 * nor a body); destroys the socket if headers already went.
 */
export function writeResponse(res: ServerResponse, out: WireResponse): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (!statusHasBody(out.status)) {
    res.writeHead(out.status, out.headers)
    res.end()
    return
  }
  res.writeHead(out.status, [...out.headers, 'content-length', String(out.body.byteLength)])
  res.end(out.body)
}

/** Writes an error response; 503s carry Retry-After. */
export function sendError(res: ServerResponse, err: unknown, log: ErrorLogger = defaultErrorLogger, retryAfterS = 1): string {
  const out = errorResponse(err, log, retryAfterS)
  writeResponse(res, out)
  return out.code
}
