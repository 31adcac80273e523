// jaegis.toml for functions that are not AssemblyScript: `language = "js"` (built with
// componentize-js) or `language = "wasm"` (a prebuilt component or WASI command module). The fields
// shared with AssemblyScript functions are checked by the same parser, so their messages are identical.
import { parse, stringify, TomlError } from 'smol-toml'
import { JaegisError, type FunctionConfig } from '@jaegis/runtime'
import { checkOutboundRule } from '@jaegis/runtime/component'
import { argsProblem, COMPONENT_ONLY_FIELDS, responseFileProblem, unknownFieldProblem } from '@jaegis/artifact'
import { parseManifest } from '../manifest.js'

/** Languages built into components here. */
export const COMPONENT_LANGUAGES = ['js', 'wasm'] as const
export type ComponentLanguage = (typeof COMPONENT_LANGUAGES)[number]

/** Default memory for JavaScript functions: the engine alone starts at about 9 MiB. */
export const JS_DEFAULT_MEMORY_MIB = 128

export interface ComponentManifest {
  config: FunctionConfig
  language: ComponentLanguage
  /** js: the source module (default "src/index.js"); wasm: the binary (default "app.wasm"). */
  entry: string
  allowedOutboundHosts: string[]
  /** Directories: `source` relative to the function folder, mounted at `destination`; read-only unless `writable`. */
  files: Array<{ source: string; destination: string; writable?: boolean }>
  /** True when the manifest set [instance] reuse itself. */
  reuseSet: boolean
}

/** The `language` a manifest names (default "assemblyscript"), without validating the rest. */
export function manifestLanguage(text: string, file = 'jaegis.toml'): string {
  try {
    const doc = parse(text) as Record<string, unknown>
    return typeof doc.language === 'string' ? doc.language : 'assemblyscript'
  } catch (err) {
    if (err instanceof TomlError) throw new JaegisError('INVALID_MANIFEST', `${file}:${err.line}:${err.column}: invalid TOML: ${err.message.split('\n')[0]}`, { cause: err })
    throw err
  }
}

/** Parses a js or wasm function's manifest. */
export function parseComponentManifest(text: string, file = 'jaegis.toml'): ComponentManifest {
  const fail = (msg: string) => new JaegisError('INVALID_MANIFEST', `${file}: ${msg}`)
  const language = manifestLanguage(text, file)
  if (!(COMPONENT_LANGUAGES as readonly string[]).includes(language)) throw fail(`"language" must be "assemblyscript", "js" or "wasm", got "${language}"`)
  const doc = parse(text) as Record<string, unknown>
  const entry = doc.entry ?? (language === 'js' ? 'src/index.js' : 'app.wasm')
  if (typeof entry !== 'string' || entry.length === 0) throw fail(`"entry" must be a file path, got ${JSON.stringify(entry)}`)
  const hosts = doc.allowed_outbound_hosts ?? []
  if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string')) throw fail('"allowed_outbound_hosts" must be a list of strings like "https://api.example.com"')
  for (const h of hosts as string[]) {
    const problem = checkOutboundRule(h)
    if (problem) throw fail(`allowed_outbound_hosts: ${problem}`)
  }
  const filesRaw = doc.files ?? []
  if (!Array.isArray(filesRaw)) throw fail('"files" must be a list like [{ source = "static", destination = "/static" }]')
  const files = filesRaw.map((f, i) => {
    const e = f as Record<string, unknown>
    if (typeof e !== 'object' || e === null || typeof e.source !== 'string' || typeof e.destination !== 'string') throw fail(`files[${i}] must be { source = "<folder>", destination = "/<path>" }`)
    if (!e.destination.startsWith('/')) throw fail(`files[${i}].destination must be an absolute path like "/static", got ${JSON.stringify(e.destination)}`)
    if (e.source.split(/[\\/]/).includes('..') || e.source.startsWith('/')) throw fail(`files[${i}].source must be a folder inside the function folder, got ${JSON.stringify(e.source)}`)
    for (const k of Object.keys(e)) {
      const problem = unknownFieldProblem('files[].', k, `files[${i}].`)
      if (problem) throw fail(problem)
    }
    if (e.writable !== undefined && typeof e.writable !== 'boolean') throw fail(`files[${i}].writable must be true or false, got ${JSON.stringify(e.writable)}`)
    return { source: e.source, destination: e.destination, ...(e.writable === true ? { writable: true } : {}) }
  })
  const responseFile = doc.response_file
  if (responseFile !== undefined) {
    const problem = responseFileProblem(responseFile)
    if (problem) throw fail(`"response_file" ${problem}, got ${JSON.stringify(responseFile)}`)
    if (language === 'js') throw fail('"response_file" is for WASI command modules (language = "wasm")')
  }
  const args = doc.args
  if (args !== undefined) {
    const problem = argsProblem(args)
    if (problem) throw fail(`"args" ${problem}`)
  }
  // The shared fields go through the AssemblyScript parser; the component-only ones are removed first.
  const shared: Record<string, unknown> = { ...doc }
  for (const k of ['language', 'entry', ...COMPONENT_ONLY_FIELDS]) delete shared[k]
  const limits = (shared.limits ?? {}) as Record<string, unknown>
  if (language === 'js' && typeof limits === 'object' && limits.memory_mib === undefined) shared.limits = { ...limits, memory_mib: JS_DEFAULT_MEMORY_MIB }
  const parsed = parseManifest(stringify(shared), file, { component: true }).config
  const config = { ...parsed, ...(args !== undefined ? { args: args as string[] } : {}), ...(responseFile !== undefined ? { responseFile: responseFile as string } : {}) }
  const instance = doc.instance as Record<string, unknown> | undefined
  return { config, language: language as ComponentLanguage, entry, allowedOutboundHosts: hosts as string[], files, reuseSet: instance?.reuse !== undefined }
}
