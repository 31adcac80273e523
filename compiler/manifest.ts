// jaegis.toml -> FunctionConfig. Every error names the file and the field, and says what is allowed.
import { parse, TomlError } from 'smol-toml'
import { JaegisError, type FunctionConfig } from '../runtime/index.js'

/** Defaults for fields a manifest leaves out. */
export const MANIFEST_DEFAULTS = {
  memoryMib: 32,
  timeoutMs: 5_000,
  bodyBytes: 6 * 1024 * 1024,
  minWarm: 1,
  maxWarm: 16,
} as const

/** What jaegis.toml holds beyond the runtime's FunctionConfig. */
export interface Manifest {
  config: FunctionConfig
  /** Source entry relative to the function folder. @default "assembly/index.ts" */
  entry: string
  /** @default "assemblyscript" */
  language: 'assemblyscript'
}

const NAME_RE = /^[a-z][a-z0-9-]{0,62}$/
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*$/

type Table = Record<string, unknown>

/** Parses and validates manifest text. `file` is used in messages only. */
export function parseManifest(text: string, file = 'jaegis.toml'): Manifest {
  const fail = (msg: string) => new JaegisError('INVALID_MANIFEST', `${file}: ${msg}`)
  let doc: Table
  try {
    doc = parse(text) as Table
  } catch (err) {
    if (err instanceof TomlError) throw new JaegisError('INVALID_MANIFEST', `${file}:${err.line}:${err.column}: invalid TOML: ${err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')}`, { cause: err })
    throw err
  }
  const known = (table: Table, where: string, keys: string[]) => {
    for (const k of Object.keys(table)) if (!keys.includes(k)) throw fail(`unknown field "${where}${k}" (known fields: ${keys.map((x) => where + x).join(', ')})`)
  }
  const sub = (key: string): Table => {
    const v = doc[key]
    if (v === undefined) return {}
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) throw fail(`"${key}" must be a table ([${key}])`)
    return v as Table
  }
  const int = (table: Table, where: string, key: string, lo: number, hi: number, dflt: number): number => {
    const v = table[key]
    if (v === undefined) return dflt
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw fail(`"${where}${key}" must be an integer from ${lo} to ${hi}, got ${show(v)}`)
    return v
  }
  const str = (table: Table, where: string, key: string): string | undefined => {
    const v = table[key]
    if (v === undefined) return undefined
    if (typeof v !== 'string') throw fail(`"${where}${key}" must be a string, got ${show(v)}`)
    return v
  }

  known(doc, '', ['name', 'route', 'entry', 'language', 'limits', 'env', 'pool', 'instance', 'auth'])
  const name = str(doc, '', 'name')
  if (name === undefined) throw fail('missing required field "name"')
  if (!NAME_RE.test(name)) throw fail(`"name" must start with a lower-case letter and use only a-z, 0-9 and "-" (at most 63 characters), got ${show(name)}`)
  const route = str(doc, '', 'route')
  if (route !== undefined && (!route.startsWith('/') || route.startsWith('/fn/') || route.startsWith('/_api/') || /[?#\s]/.test(route) || route === '/')) {
    throw fail(`"route" must be a path like "/hello" (not "/", not under /fn/ or /_api/, no spaces, "?" or "#"), got ${show(route)}`)
  }
  const entry = str(doc, '', 'entry') ?? 'assembly/index.ts'
  const language = str(doc, '', 'language') ?? 'assemblyscript'
  if (language !== 'assemblyscript') throw fail(`"language" must be "assemblyscript", got ${show(language)}`)

  const limits = sub('limits')
  known(limits, 'limits.', ['memory_mib', 'timeout_ms', 'body_bytes'])
  const pool = sub('pool')
  known(pool, 'pool.', ['min_warm', 'max_warm'])
  const minWarm = int(pool, 'pool.', 'min_warm', 0, 1000, MANIFEST_DEFAULTS.minWarm)
  const maxWarm = int(pool, 'pool.', 'max_warm', 1, 1000, Math.max(minWarm, MANIFEST_DEFAULTS.maxWarm))
  if (minWarm > maxWarm) throw fail(`"pool.min_warm" (${minWarm}) must not be above "pool.max_warm" (${maxWarm})`)
  const instance = sub('instance')
  known(instance, 'instance.', ['reuse'])
  if (instance.reuse !== undefined && typeof instance.reuse !== 'boolean') throw fail(`"instance.reuse" must be true or false, got ${show(instance.reuse)}`)
  const auth = sub('auth')
  known(auth, 'auth.', ['require_key'])
  if (auth.require_key !== undefined && typeof auth.require_key !== 'boolean') throw fail(`"auth.require_key" must be true or false, got ${show(auth.require_key)}`)
  const envTable = sub('env')
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(envTable)) {
    if (!ENV_RE.test(k)) throw fail(`environment variable name "${k}" must match [A-Za-z_][A-Za-z0-9_]*`)
    if (typeof v !== 'string') throw fail(`"env.${k}" must be a string, got ${show(v)}`)
    env[k] = v
  }

  return {
    entry,
    language: 'assemblyscript',
    config: {
      name,
      ...(route !== undefined ? { route } : {}),
      limits: {
        memoryBytes: int(limits, 'limits.', 'memory_mib', 1, 4096, MANIFEST_DEFAULTS.memoryMib) * 1024 * 1024,
        timeoutMs: int(limits, 'limits.', 'timeout_ms', 1, 900_000, MANIFEST_DEFAULTS.timeoutMs),
        bodyBytes: int(limits, 'limits.', 'body_bytes', 0, 256 * 1024 * 1024, MANIFEST_DEFAULTS.bodyBytes),
      },
      env,
      pool: { minWarm, maxWarm },
      reuse: instance.reuse === true,
      requireKey: auth.require_key === true,
    },
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (v instanceof Date) return `a date (${v.toISOString()})`
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object' && v !== null) return 'a table'
  return String(v)
}
