// The fields a jaegis.toml may hold, by table, written once: the manifest parsers check against this
// list and print it in "unknown field" messages, so the message cannot leave a field out.

/** Top-level fields every language accepts. */
const COMMON_TOP = ['name', 'route', 'entry', 'language', 'limits', 'env', 'pool', 'instance', 'auth'] as const

/** Top-level fields only components and WASI modules (`language = "js"` or `"wasm"`) accept. */
export const COMPONENT_ONLY_FIELDS = ['args', 'response_file', 'allowed_outbound_hosts', 'files'] as const

/** Known fields by table prefix ("" is the top level, "limits." the [limits] table). */
export const MANIFEST_FIELDS = {
  '': [...COMMON_TOP, ...COMPONENT_ONLY_FIELDS],
  'limits.': ['memory_mib', 'timeout_ms', 'body_bytes', 'max_concurrency', 'max_queue', 'on_memory_limit'],
  'pool.': ['min_warm', 'max_warm'],
  'instance.': ['reuse'],
  'auth.': ['require_key'],
  'files[].': ['source', 'destination', 'writable'],
} as const satisfies Record<string, readonly string[]>

export type ManifestTable = keyof typeof MANIFEST_FIELDS

/** The message for a field `key` that table `where` does not know, or undefined when it does. */
export function unknownFieldProblem(where: ManifestTable, key: string, shownAs: string = where): string | undefined {
  const known: readonly string[] = MANIFEST_FIELDS[where]
  if (known.includes(key)) return undefined
  return `unknown field "${shownAs}${key}" (known fields: ${known.map((k) => shownAs + k).join(', ')})`
}
