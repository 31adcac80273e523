// Checks an artifact's `config` object (artifact.json, written by a compiler or by hand) against the
// schema and fills the fields older artifacts leave out. Callers turn a problem into their own error.
import type { FunctionConfig } from './config.js'
import { LIMITS, MEMORY_BYTES, MEMORY_LIMIT_ACTIONS, POOL_LIMITS, WASM_PAGE_BYTES, argsProblem, inRange, poolProblem, responseFileProblem } from './limits.js'
import { ENV_NAME_PATTERN, FUNCTION_NAME_RULE, isFunctionName } from './names.js'
import { routeProblem } from './routes.js'

/** Either the checked configuration, with defaults filled in, or the first problem found. */
export type ConfigCheck = { config: FunctionConfig; problem?: undefined } | { problem: string; config?: undefined }

/** Limits an artifact may leave out (added after artifacts were first written); they take their defaults. */
const OPTIONAL_LIMITS = ['maxConcurrency', 'maxQueue'] as const

/** Checks `raw` as an artifact's config; field names in problems are as in artifact.json ("config.limits.timeoutMs"). */
export function checkFunctionConfig(raw: unknown): ConfigCheck {
  const fail = (problem: string): ConfigCheck => ({ problem })
  if (!isObject(raw)) return fail('config missing')
  const c = raw
  if (!isFunctionName(c.name)) return fail(`config.name ${show(c.name)} is not a valid function name: it ${FUNCTION_NAME_RULE}`)
  if (c.route !== undefined) {
    const p = routeProblem(c.route)
    if (p) return fail(`config.route ${show(c.route)} ${p}`)
  }
  if (!isObject(c.limits)) return fail('config.limits must be an object')
  const l = c.limits
  const range = (field: string, r: { min: number; max: number }) => `config.${field} must be an integer in [${r.min}, ${r.max}], got ${show(field.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), c))}`
  if (!inRange(l.memoryBytes, MEMORY_BYTES) || l.memoryBytes % WASM_PAGE_BYTES !== 0) return fail(`config.limits.memoryBytes must be a multiple of ${WASM_PAGE_BYTES} in [${MEMORY_BYTES.min}, ${MEMORY_BYTES.max}], got ${show(l.memoryBytes)}`)
  for (const k of ['timeoutMs', 'bodyBytes', ...OPTIONAL_LIMITS] as const) {
    if (l[k] === undefined && (OPTIONAL_LIMITS as readonly string[]).includes(k)) continue
    if (!inRange(l[k], LIMITS[k])) return fail(range(`limits.${k}`, LIMITS[k]))
  }
  if (l.onMemoryLimit !== undefined && !(MEMORY_LIMIT_ACTIONS as readonly unknown[]).includes(l.onMemoryLimit)) return fail(`config.limits.onMemoryLimit must be one of ${MEMORY_LIMIT_ACTIONS.map((a) => `"${a}"`).join(', ')}, got ${show(l.onMemoryLimit)}`)
  if (!isObject(c.pool)) return fail('config.pool must be an object')
  if (!inRange(c.pool.minWarm, POOL_LIMITS.minWarm)) return fail(range('pool.minWarm', POOL_LIMITS.minWarm))
  if (!inRange(c.pool.maxWarm, POOL_LIMITS.maxWarm)) return fail(range('pool.maxWarm', POOL_LIMITS.maxWarm))
  const pp = poolProblem(c.pool.minWarm, c.pool.maxWarm)
  if (pp) return fail(`config.pool: ${pp}`)
  if (!isObject(c.env)) return fail('config.env must map names to strings')
  for (const [k, v] of Object.entries(c.env)) {
    if (!ENV_NAME_PATTERN.test(k)) return fail(`config.env: variable name ${show(k)} must match ${ENV_NAME_PATTERN.source}`)
    if (typeof v !== 'string') return fail(`config.env.${k} must be a string, got ${show(v)}`)
  }
  if (typeof c.reuse !== 'boolean') return fail(`config.reuse must be a boolean, got ${show(c.reuse)}`)
  if (typeof c.requireKey !== 'boolean') return fail(`config.requireKey must be a boolean, got ${show(c.requireKey)}`)
  if (c.responseFile !== undefined) {
    const p = responseFileProblem(c.responseFile)
    if (p) return fail(`config.responseFile ${p}, got ${show(c.responseFile)}`)
  }
  if (c.args !== undefined) {
    const p = argsProblem(c.args)
    if (p) return fail(`config.args ${p}`)
  }
  const config = {
    ...(c as unknown as FunctionConfig),
    limits: {
      ...(l as unknown as FunctionConfig['limits']),
      maxConcurrency: (l.maxConcurrency as number | undefined) ?? LIMITS.maxConcurrency.default,
      maxQueue: (l.maxQueue as number | undefined) ?? LIMITS.maxQueue.default,
    },
  }
  return { config }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A value as it appears in a message: JSON where it has one, bounded in length. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = String(v)
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
