// jaegis.toml -> FunctionConfig. Every error names the file and the field, and says what is allowed.
import { parse, TomlError } from 'smol-toml'
import { COMPONENT_ONLY_FIELDS, MEMORY_LIMIT_ACTIONS, ENV_NAME_PATTERN, FUNCTION_NAME_RULE, LIMITS, POOL_LIMITS, isFunctionName, routeProblem, unknownFieldProblem, type IntRange, type ManifestTable, type MemoryLimitAction } from '@jaegis/artifact'
import { JaegisError, type FunctionConfig } from '@jaegis/runtime'

/** Defaults for fields a manifest leaves out (from artifact/limits.ts, the one owner of limits). */
export const MANIFEST_DEFAULTS = {
  memoryMib: LIMITS.memoryMib.default,
  timeoutMs: LIMITS.timeoutMs.default,
  bodyBytes: LIMITS.bodyBytes.default,
  maxConcurrency: LIMITS.maxConcurrency.default,
  maxQueue: LIMITS.maxQueue.default,
  minWarm: POOL_LIMITS.minWarm.default,
  maxWarm: POOL_LIMITS.maxWarm.default,
} as const

/** What jaegis.toml holds beyond the runtime's FunctionConfig. */
export interface Manifest {
  config: FunctionConfig
  /** Source entry relative to the function folder. @default "assembly/index.ts" */
  entry: string
  /** @default "assemblyscript" */
  language: 'assemblyscript'
}


type Table = Record<string, unknown>

/** Parses and validates manifest text. `file` is used in messages only. */
export function parseManifest(text: string, file = 'jaegis.toml', options: { component?: boolean } = {}): Manifest {
  const fail = (msg: string) => new JaegisError('INVALID_MANIFEST', `${file}: ${msg}`)
  let doc: Table
  try {
    doc = parse(text) as Table
  } catch (err) {
    if (err instanceof TomlError) throw new JaegisError('INVALID_MANIFEST', `${file}:${err.line}:${err.column}: invalid TOML: ${err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')}`, { cause: err })
    throw err
  }
  // The known fields come from artifact/manifest-fields.ts, the one list both parsers share.
  const known = (table: Table, where: ManifestTable) => {
    for (const k of Object.keys(table)) {
      const problem = unknownFieldProblem(where, k)
      if (problem) throw fail(problem)
    }
  }
  const sub = (key: string): Table => {
    const v = doc[key]
    if (v === undefined) return {}
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date) throw fail(`"${key}" must be a table ([${key}])`)
    return v as Table
  }
  const int = (table: Table, where: string, key: string, range: IntRange, dflt = range.default): number => {
    const v = table[key]
    if (v === undefined) return dflt
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) throw fail(`"${where}${key}" must be an integer from ${range.min} to ${range.max}, got ${show(v)}`)
    return v
  }
  const str = (table: Table, where: string, key: string): string | undefined => {
    const v = table[key]
    if (v === undefined) return undefined
    if (typeof v !== 'string') throw fail(`"${where}${key}" must be a string, got ${show(v)}`)
    return v
  }

  known(doc, '')
  // parseComponentManifest takes these fields out before it hands the rest here.
  const componentOnly = COMPONENT_ONLY_FIELDS.find((k) => doc[k] !== undefined)
  if (componentOnly) throw fail(`"${componentOnly}" is for functions with language = "wasm" or "js" (components and WASI programs), not AssemblyScript ones`)
  const name = str(doc, '', 'name')
  if (name === undefined) throw fail('missing required field "name"')
  if (!isFunctionName(name)) throw fail(`"name" ${FUNCTION_NAME_RULE}, got ${show(name)}`)
  const route = str(doc, '', 'route')
  const badRoute = route === undefined ? undefined : routeProblem(route)
  if (badRoute) throw fail(`"route" ${badRoute}, got ${show(route)}`)
  const entry = str(doc, '', 'entry') ?? 'assembly/index.ts'
  const language = str(doc, '', 'language') ?? 'assemblyscript'
  if (language !== 'assemblyscript') throw fail(`"language" must be "assemblyscript", got ${show(language)}`)

  const limits = sub('limits')
  known(limits, 'limits.')
  const onMemoryLimit = str(limits, 'limits.', 'on_memory_limit')
  if (onMemoryLimit !== undefined && !(MEMORY_LIMIT_ACTIONS as readonly string[]).includes(onMemoryLimit)) throw fail(`"limits.on_memory_limit" must be ${MEMORY_LIMIT_ACTIONS.map((a) => `"${a}"`).join(' or ')}, got ${show(onMemoryLimit)}`)
  if (onMemoryLimit !== undefined && !options.component) throw fail('"limits.on_memory_limit" is for functions with language = "wasm" or "js" (components and WASI programs), not AssemblyScript ones')
  const pool = sub('pool')
  known(pool, 'pool.')
  const minWarm = int(pool, 'pool.', 'min_warm', POOL_LIMITS.minWarm)
  const maxWarm = int(pool, 'pool.', 'max_warm', POOL_LIMITS.maxWarm, Math.max(minWarm, POOL_LIMITS.maxWarm.default))
  if (minWarm > maxWarm) throw fail(`"pool.min_warm" (${minWarm}) must not be above "pool.max_warm" (${maxWarm})`)
  const instance = sub('instance')
  known(instance, 'instance.')
  if (instance.reuse !== undefined && typeof instance.reuse !== 'boolean') throw fail(`"instance.reuse" must be true or false, got ${show(instance.reuse)}`)
  const auth = sub('auth')
  known(auth, 'auth.')
  if (auth.require_key !== undefined && typeof auth.require_key !== 'boolean') throw fail(`"auth.require_key" must be true or false, got ${show(auth.require_key)}`)
  const envTable = sub('env')
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(envTable)) {
    if (!ENV_NAME_PATTERN.test(k)) throw fail(`environment variable name "${k}" must match [A-Za-z_][A-Za-z0-9_]*`)
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
        memoryBytes: int(limits, 'limits.', 'memory_mib', LIMITS.memoryMib) * 1024 * 1024,
        timeoutMs: int(limits, 'limits.', 'timeout_ms', LIMITS.timeoutMs),
        bodyBytes: int(limits, 'limits.', 'body_bytes', LIMITS.bodyBytes),
        maxConcurrency: int(limits, 'limits.', 'max_concurrency', LIMITS.maxConcurrency),
        maxQueue: int(limits, 'limits.', 'max_queue', LIMITS.maxQueue),
        ...(onMemoryLimit !== undefined ? { onMemoryLimit: onMemoryLimit as MemoryLimitAction } : {}),
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
