// CGI the way WAGI defined it: the request body goes to stdin, method, path, query and headers go
// into environment variables, and stdout is an optional header block, a blank line, then the body.
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import { JaegisError, TrapError } from '../errors.js'
import type { LogLevel } from '../instance.js'

/** Lower-case header pairs of a request, whichever form they came in (rawHeaders wins, as in the ABI encoder). */
export function headerPairs(req: FunctionRequest): Array<[string, string]> {
  const raw = req.rawHeaders
  if (raw) {
    const out: Array<[string, string]> = []
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!])
    return out
  }
  const headers = req.headers
  if (!headers) return []
  const entries = Symbol.iterator in headers ? (headers as Iterable<readonly [string, string]>) : Object.entries(headers)
  return [...entries].map(([k, v]) => [k.toLowerCase(), v])
}

/** The CGI/1.1 variables (RFC 3875, plus WAGI's X_* extras), then the function's own environment. */
export function cgiEnvironment(req: FunctionRequest, functionName: string, env: Record<string, string>): Record<string, string> {
  const headers = headerPairs(req)
  const header = (name: string) => headers.find(([k]) => k === name)?.[1]
  const body = req.body
  const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0)
  const path = req.path ?? '/'
  const query = req.query ?? ''
  const [hostName, hostPort] = (header('host') ?? 'localhost').split(':')
  const vars: Record<string, string> = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'Jaegis',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: hostName ?? 'localhost',
    SERVER_PORT: hostPort ?? '80',
    REQUEST_METHOD: (req.method ?? 'GET').toUpperCase(),
    SCRIPT_NAME: `/fn/${functionName}`,
    PATH_INFO: path,
    PATH_TRANSLATED: path,
    QUERY_STRING: query,
    CONTENT_LENGTH: String(bodyBytes),
    CONTENT_TYPE: header('content-type') ?? '',
    REMOTE_ADDR: header('x-forwarded-for')?.split(',')[0]?.trim() ?? '127.0.0.1',
    REMOTE_HOST: header('x-forwarded-for')?.split(',')[0]?.trim() ?? '127.0.0.1',
    REMOTE_USER: '',
    AUTH_TYPE: '',
    X_MATCHED_ROUTE: `/fn/${functionName}/...`,
    X_RAW_PATH_INFO: path,
    X_FULL_URL: `http://${header('host') ?? 'localhost'}/fn/${functionName}${path}${query ? `?${query}` : ''}`,
  }
  for (const [k, v] of headers) {
    if (k === 'authorization' || k === 'proxy-authorization') continue // RFC 3875 4.1.18: not passed on
    const name = `HTTP_${k.toUpperCase().replace(/-/g, '_')}`
    vars[name] = vars[name] ? `${vars[name]}, ${v}` : v
  }
  return { ...vars, ...env }
}

const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*)$/

/**
 * Parses a command's stdout. When it opens with "Name: value" lines ended by a blank line, those
 * are the headers ("Status: 404 Not Found" sets the status, "Location" alone means 302); otherwise
 * all of stdout is the body and the status is 200.
 */
export function parseCgiOutput(stdout: Uint8Array): FunctionResponse {
  return cgiHeaderBlock(stdout) ?? { status: 200, headers: [], body: new Uint8Array(stdout) }
}

/** The response stdout describes when it opens with a CGI header block; undefined when it does not. */
export function cgiHeaderBlock(stdout: Uint8Array): FunctionResponse | undefined {
  const text = Buffer.from(stdout.buffer, stdout.byteOffset, stdout.byteLength)
  const limit = Math.min(text.length, 64 * 1024)
  let end = -1
  let sepLen = 0
  for (let i = 0; i < limit; i++) {
    if (text[i] === 0x0a && text[i + 1] === 0x0a) {
      end = i
      sepLen = 2
      break
    }
    if (text[i] === 0x0d && text[i + 1] === 0x0a && text[i + 2] === 0x0d && text[i + 3] === 0x0a) {
      end = i
      sepLen = 4
      break
    }
  }
  if (end >= 0) {
    const lines = text.subarray(0, end).toString('utf8').split(/\r?\n/)
    const parsed = lines.map((l) => HEADER_LINE.exec(l))
    if (lines.length > 0 && parsed.every((m) => m !== null)) {
      let status = 200
      const headers: Array<[string, string]> = []
      for (const m of parsed) {
        const name = m![1]!.toLowerCase()
        const value = m![2]!.trim()
        if (name === 'status') {
          const code = Number.parseInt(value, 10)
          if (!(code >= 100 && code <= 599)) throw new JaegisError('BAD_RESPONSE', `function returned a malformed response: CGI Status "${value}" is not an HTTP status`)
          status = code
        } else headers.push([name, value])
      }
      if (status === 200 && !parsed.some((m) => m![1]!.toLowerCase() === 'status') && headers.some(([k]) => k === 'location')) status = 302
      return { status, headers, body: new Uint8Array(stdout.subarray(end + sepLen)) }
    }
  }
  return undefined
}

/** Request body as bytes. */
export function bodyBytes(body: FunctionRequest['body']): Uint8Array {
  return typeof body === 'string' ? (body ? new TextEncoder().encode(body) : NO_BYTES) : (body ?? NO_BYTES)
}

/** The empty body, shared (zero bytes cannot be written to). */
const NO_BYTES = new Uint8Array(0)

/** How much of a failed command's stdout goes to the function's log. */
export const FAILED_STDOUT_LOG_BYTES = 16 * 1024

/**
 * A command that exited non-zero: its stdout goes to the log (stderr already did, line by line).
 * When stdout opened with a CGI header block, its response is returned with status 500, as WAGI
 * does; otherwise the invocation fails with TRAP.
 */
export function failedCommandResponse(code: number, stdout: Uint8Array, log: (level: LogLevel, message: string) => void): FunctionResponse {
  if (stdout.length > 0) {
    const shown = Buffer.from(stdout.buffer, stdout.byteOffset, Math.min(stdout.length, FAILED_STDOUT_LOG_BYTES)).toString('utf8')
    const more = stdout.length > FAILED_STDOUT_LOG_BYTES ? ` [${stdout.length - FAILED_STDOUT_LOG_BYTES} more bytes]` : ''
    log('error', `command exited with status ${code}; its stdout: ${shown}${more}`)
  } else log('error', `command exited with status ${code} and wrote nothing to stdout`)
  const cgi = cgiHeaderBlock(stdout)
  if (cgi) return { ...cgi, status: 500 }
  throw new TrapError(`command exited with status ${code}`)
}
