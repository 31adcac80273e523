// Reserved route prefixes and the rule for a function's own route. One constant: the manifest parser,
// the artifact check and the runtime's route resolution all import it (spin's `crates/routes`).

/**
 * Paths the platform serves itself. A prefix reserves itself and everything below it
 * ("/fn" reserves "/fn" and "/fn/..."), never a sibling ("/fnord" is free).
 */
export const RESERVED_ROUTE_PREFIXES = ['/_api', '/healthz', '/readyz', '/metrics', '/fn', '/_dashboard'] as const

/** Whether a request path or route falls under a reserved prefix. */
export function isReservedPath(path: string): boolean {
  for (const p of RESERVED_ROUTE_PREFIXES) if (path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47 /* / */)) return true
  return false
}

/** What a valid route looks like, for messages. */
export const ROUTE_RULE = `a path like "/hello" (not "/", no empty, "." or ".." segments, no trailing "/", no spaces, control characters, "?" or "#", not under ${RESERVED_ROUTE_PREFIXES.join(', ')})`

/** Why `route` cannot be a function's route, or undefined when it can. */
export function routeProblem(route: unknown): string | undefined {
  if (typeof route !== 'string') return 'must be a string'
  if (!route.startsWith('/') || route === '/') return `must be ${ROUTE_RULE}`
  // eslint-disable-next-line no-control-regex
  if (/[?#\s\x00-\x1f\x7f]/.test(route)) return `must be ${ROUTE_RULE}`
  const segments = route.slice(1).split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return `must be ${ROUTE_RULE}`
  if (isReservedPath(route)) return `is reserved for the platform (${RESERVED_ROUTE_PREFIXES.join(', ')})`
  return undefined
}
