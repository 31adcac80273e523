// The headers and statuses that frame an HTTP/1.1 exchange: the platform writes them, a function never
// does. One list, imported by the response check, both writers and the worker's forwarding proxy.

/**
 * Lower-case names of the response headers the platform owns. Header names are case-insensitive
 * (RFC 9110), so compare `name.toLowerCase()` (or use `isFramingHeader`). A function's own values for
 * them are dropped, never sent: the writer sets Content-Length and Connection (and Keep-Alive) itself,
 * and a function never chooses chunked framing, an upgrade or transfer codings.
 */
export const FRAMING_HEADERS: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te'])

/** Whether `name` (any case) is one of FRAMING_HEADERS. */
export function isFramingHeader(name: string): boolean {
  // Only these lengths can match: most names are passed over without lower-casing them.
  switch (name.length) {
    case 2:
    case 7:
    case 10:
    case 14:
    case 17:
      return FRAMING_HEADERS.has(name.toLowerCase())
    default:
      return false
  }
}

/** Whether a response with `status` carries a body (and a Content-Length): 204 and 304 carry neither. */
export function statusHasBody(status: number): boolean {
  return status !== 204 && status !== 304
}
