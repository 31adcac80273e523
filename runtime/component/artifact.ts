// The parts of a non-core artifact (a wasi:http or wasi:cli component transpiled by jco, or a WASI
// preview-1 command module) besides module.wasm, and their checks. module.wasm stays the original
// binary as deployed, so the digest names exactly what the user built; the parts are derived from it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { JaegisError } from '../errors.js'
import { sha256Hex, type KnownHashes } from '../module-cache.js'

/** Artifact kinds this folder runs. */
export const NON_CORE_KINDS = ['component', 'wasi'] as const
export type NonCoreKind = (typeof NON_CORE_KINDS)[number]

/** How a component or command module is driven. */
export type ComponentWorld =
  /** exports wasi:http/incoming-handler; answers a request per call */
  | 'http'
  /** a wasi:cli command component or a preview-1 module with _start; run CGI-style per request */
  | 'cgi'

/** One prepared core module: metered (deadline checks, memory cap) when it has a memory of its own. */
export interface CoreModulePart {
  file: string
  digest: string
  metered: boolean
  /**
   * When set, the module imports its memory (`jaegis:meter`.`memory`) and this file is the memory's
   * initial contents: the host fills a recycled memory from it instead of V8 applying data segments.
   */
  memoryImage?: { file: string; digest: string; maximumPages: number }
}

/** A host folder a function sees at `guest`. */
export interface FileMapping {
  guest: string
  host: string
  /** The guest may create, write and remove files below it (WASI preview-1 command modules). @default false */
  writable?: boolean
}

/** artifact.json's `component` section. */
export interface ComponentMeta {
  world: ComponentWorld
  /** For JavaScript functions: which handler style the source uses (informational). */
  jsStyle?: 'incoming-handler' | 'fetch-event'
  /** Export called for the http world, as jco names it (e.g. "wasi:http/incoming-handler@0.2.0"). */
  export?: string
  /** jco's instantiation-mode glue (absent for preview-1 modules). */
  glue?: { file: string; digest: string }
  coreModules: CoreModulePart[]
  /** Spin's allowed_outbound_hosts; empty denies all outbound HTTP. */
  allowedOutboundHosts: string[]
  /** Directory mappings: guest path -> absolute host path; read-only unless `writable` (command modules only). */
  files: FileMapping[]
  /** Initial linear memory of the main module, in bytes (for capacity planning). */
  initialMemoryBytes?: number
}

export function isNonCoreKind(kind: unknown): kind is NonCoreKind {
  return (NON_CORE_KINDS as readonly unknown[]).includes(kind)
}

/** Reads the parts a non-core artifact lists (undefined for core artifacts or unparsable meta). */
export function readComponentPartsSync(dir: string, meta: unknown): Record<string, Uint8Array> | undefined {
  const m = meta as { kind?: unknown; component?: ComponentMeta } | null
  if (!m || !isNonCoreKind(m.kind) || !m.component || !Array.isArray(m.component.coreModules)) return undefined
  const files: Record<string, Uint8Array> = {}
  const names = [...m.component.coreModules.flatMap((c) => (c.memoryImage ? [c.file, c.memoryImage.file] : [c.file])), ...(m.component.glue ? [m.component.glue.file] : [])]
  for (const name of names) {
    if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: part name ${JSON.stringify(name)} is not a plain file name`)
    try {
      files[name] = readFileSync(join(dir, name))
    } catch (err) {
      throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: part ${name} listed in artifact.json is missing`, { cause: err })
    }
  }
  return files
}

/** Checks the component section and the digest of every part. Returns a message for the first problem. */
export function checkComponentParts(meta: Record<string, unknown>, files: Record<string, Uint8Array> | undefined, hashes?: KnownHashes): string | undefined {
  const c = meta.component as ComponentMeta | undefined
  if (typeof c !== 'object' || c === null) return `kind "${String(meta.kind)}" needs a "component" section`
  if (c.world !== 'http' && c.world !== 'cgi') return `component.world must be "http" or "cgi", got ${JSON.stringify(c.world)}`
  if (meta.kind === 'component' && !c.glue) return 'component.glue is missing'
  if (c.world === 'http' && typeof c.export !== 'string') return 'component.export is missing for an http component'
  if (!Array.isArray(c.coreModules) || c.coreModules.length === 0) return 'component.coreModules is empty'
  if (!Array.isArray(c.allowedOutboundHosts) || c.allowedOutboundHosts.some((h) => typeof h !== 'string')) return 'component.allowedOutboundHosts must be a list of strings'
  if (!Array.isArray(c.files) || c.files.some((f) => typeof f?.guest !== 'string' || typeof f?.host !== 'string' || (f.writable !== undefined && typeof f.writable !== 'boolean'))) return 'component.files must be a list of {guest, host, writable?}'
  if (c.coreModules.some((m) => m.memoryImage && !(Number.isInteger(m.memoryImage.maximumPages) && m.memoryImage.maximumPages > 0))) return 'component.coreModules[].memoryImage.maximumPages must be a positive integer'
  if (!files) return 'the component parts were not supplied'
  for (const part of [...c.coreModules, ...c.coreModules.flatMap((m) => (m.memoryImage ? [m.memoryImage] : [])), ...(c.glue ? [c.glue] : [])]) {
    const bytes = files[part.file]
    if (!bytes) return `part ${part.file} is missing`
    const digest = hashes?.get(bytes) ?? sha256Hex(bytes)
    if (digest !== part.digest) return `digest mismatch for ${part.file}: artifact.json says ${part.digest}, the file hashes to ${digest}`
  }
  return undefined
}
