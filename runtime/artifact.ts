// The artifact the runtime consumes: a finished, versioned unit (Spin's "locked app"). It never sees
// sources or raw manifests; it checks that what it is handed is complete and consistent.
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ABI_VERSION } from './abi/index.js'
import { JaegisError } from './errors.js'
import { sha256Hex } from './module-cache.js'
import { checkComponentParts, isNonCoreKind, readComponentPartsSync, type ComponentMeta } from './component/artifact.js'

/** A function's configuration as fixed at build time. */
export interface FunctionConfig {
  name: string
  /** Extra public route the function claims besides /fn/<name> (a path prefix). */
  route?: string
  limits: {
    /** Linear memory ceiling. */
    memoryBytes: number
    /** Deadline of one invocation. */
    timeoutMs: number
    /** Largest request body accepted. */
    bodyBytes: number
  }
  /** Environment variables the function may read; no others are visible. */
  env: Record<string, string>
  /** Warm-pool bounds; the scheduler picks targets within them. */
  pool: { minWarm: number; maxWarm: number }
  /** Keep state between invocations on one instance instead of resetting to the snapshot. */
  reuse: boolean
  /** When true, invoking needs the function key (x-jaegis-key header). */
  requireKey: boolean
}

/** artifact.json: everything about the artifact but the wasm itself. */
export interface ArtifactMeta {
  abi: number
  /** 'core': ABI v1 module. 'component' / 'wasi': see runtime/component (jco-transpiled component, WASI preview-1 module). */
  kind: 'core' | 'component' | 'wasi'
  /** sha256 of module.wasm, lowercase hex. Names the artifact. */
  digest: string
  sizeBytes: number
  config: FunctionConfig
  /** Present for kinds 'component' and 'wasi'. */
  component?: ComponentMeta
}

export interface Artifact {
  meta: ArtifactMeta
  wasm: Uint8Array
  /** Derived parts of a non-core artifact (transpiled glue, prepared core modules), by file name. */
  files?: Record<string, Uint8Array>
}

export const ARTIFACT_META_FILE = 'artifact.json'
export const ARTIFACT_WASM_FILE = 'module.wasm'

const NAME_RE = /^[a-z][a-z0-9-]{0,62}$/

/** Checks meta against the wasm: digest, size, ABI, and every config field's type and range. */
export function verifyArtifact(meta: unknown, wasm: Uint8Array, files?: Record<string, Uint8Array>): Artifact {
  const bad = (msg: string) => new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${msg}`)
  if (typeof meta !== 'object' || meta === null) throw bad('artifact.json is not an object')
  const m = meta as Record<string, unknown>
  if (m.abi !== ABI_VERSION) throw new JaegisError('ABI_MISMATCH', `artifact was built for Jaegis ABI v${String(m.abi)}; this runtime speaks v${ABI_VERSION}`)
  if (m.kind !== 'core' && !isNonCoreKind(m.kind)) throw bad(`unsupported kind ${JSON.stringify(m.kind)} (expected "core", "component" or "wasi")`)
  const digest = sha256Hex(wasm)
  if (m.digest !== digest) throw bad(`digest mismatch: artifact.json says ${String(m.digest)}, module.wasm hashes to ${digest}`)
  const c = m.config as Record<string, unknown> | undefined
  if (typeof c !== 'object' || c === null) throw bad('config missing')
  if (typeof c.name !== 'string' || !NAME_RE.test(c.name)) throw bad(`config.name ${JSON.stringify(c.name)} is not a valid function name`)
  if (c.route !== undefined && (typeof c.route !== 'string' || !c.route.startsWith('/'))) throw bad('config.route must be a path starting with /')
  const limits = c.limits as Record<string, unknown> | undefined
  const int = (v: unknown, lo: number, hi: number, field: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${field} must be an integer in [${lo}, ${hi}]`)
    return v
  }
  int(limits?.memoryBytes, 65536, 4 * 1024 ** 3, 'config.limits.memoryBytes')
  int(limits?.timeoutMs, 1, 3_600_000, 'config.limits.timeoutMs')
  int(limits?.bodyBytes, 0, 1024 ** 3, 'config.limits.bodyBytes')
  const pool = c.pool as Record<string, unknown> | undefined
  const minWarm = int(pool?.minWarm, 0, 10_000, 'config.pool.minWarm')
  const maxWarm = int(pool?.maxWarm, 1, 10_000, 'config.pool.maxWarm')
  if (minWarm > maxWarm) throw bad('config.pool.minWarm is above maxWarm')
  if (typeof c.env !== 'object' || c.env === null || Object.values(c.env).some((v) => typeof v !== 'string')) throw bad('config.env must map names to strings')
  if (typeof c.reuse !== 'boolean') throw bad('config.reuse must be a boolean')
  if (typeof c.requireKey !== 'boolean') throw bad('config.requireKey must be a boolean')
  if (m.kind !== 'core') {
    const problem = checkComponentParts(m, files)
    if (problem) throw bad(problem)
    return { meta: { ...(m as unknown as ArtifactMeta), sizeBytes: wasm.byteLength }, wasm, files }
  }
  return { meta: { ...(m as unknown as ArtifactMeta), sizeBytes: wasm.byteLength }, wasm }
}

/** Reads and verifies an artifact directory (artifact.json + module.wasm). */
export async function readArtifact(dir: string): Promise<Artifact> {
  const [metaText, wasm] = await Promise.all([readFile(join(dir, ARTIFACT_META_FILE), 'utf8'), readFile(join(dir, ARTIFACT_WASM_FILE))])
  const meta = parseMeta(metaText)
  return verifyArtifact(meta, wasm, readComponentPartsSync(dir, meta))
}

/** Synchronous twin of readArtifact, for the cold-start path where a promise hop is measurable. */
export function readArtifactSync(dir: string): Artifact {
  const meta = parseMeta(readFileSync(join(dir, ARTIFACT_META_FILE), 'utf8'))
  return verifyArtifact(meta, readFileSync(join(dir, ARTIFACT_WASM_FILE)), readComponentPartsSync(dir, meta))
}

function parseMeta(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: artifact.json is not JSON (${(err as Error).message})`, { cause: err })
  }
}
