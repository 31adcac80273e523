// The artifact the runtime consumes: a finished, versioned unit (Spin's "locked app"). It never sees
// sources or raw manifests; it checks that what it is handed is complete and consistent.
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ABI_VERSION } from './abi/index.js'
import { JaegisError } from './errors.js'
import { sha256Hex, sha256HexAsync, type KnownHashes } from './module-cache.js'
import { checkComponentParts, isNonCoreKind, readComponentPartsSync, type ComponentMeta } from './component/artifact.js'
import { checkFunctionConfig, show, type ArtifactSignature, type FunctionConfig } from '@jaegis/artifact'

export type { FunctionConfig }

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
  /** The builder's signature over the digest and configuration (artifact/signing); absent when unsigned. */
  signature?: ArtifactSignature
}

export interface Artifact {
  meta: ArtifactMeta
  wasm: Uint8Array
  /** Derived parts of a non-core artifact (transpiled glue, prepared core modules), by file name. */
  files?: Record<string, Uint8Array>
}

export const ARTIFACT_META_FILE = 'artifact.json'
export const ARTIFACT_WASM_FILE = 'module.wasm'

/** Checks meta against the wasm: digest, size, ABI, and the config against artifact/ (limits an older artifact leaves out take their defaults). */
export function verifyArtifact(meta: unknown, wasm: Uint8Array, files?: Record<string, Uint8Array>, hashes?: KnownHashes): Artifact {
  const bad = (msg: string) => new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${msg}`)
  if (typeof meta !== 'object' || meta === null) throw bad('artifact.json is not an object')
  const m = meta as Record<string, unknown>
  // Values go into messages through show(): String() throws on JSON like {"toString": []} (found by fuzzing).
  const plain = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : show(v))
  if (m.abi !== ABI_VERSION) throw new JaegisError('ABI_MISMATCH', `artifact was built for Jaegis ABI v${plain(m.abi)}; this runtime speaks v${ABI_VERSION}`)
  if (m.kind !== 'core' && !isNonCoreKind(m.kind)) throw bad(`unsupported kind ${show(m.kind)} (expected "core", "component" or "wasi")`)
  const digest = hashes?.get(wasm) ?? sha256Hex(wasm)
  if (m.digest !== digest) throw bad(`digest mismatch: artifact.json says ${plain(m.digest)}, module.wasm hashes to ${digest}`)
  // Names, limits, routes and capabilities: the one schema the manifest parser uses too.
  const checked = checkFunctionConfig(m.config)
  if (checked.problem !== undefined) throw bad(checked.problem)
  const checkedMeta = { ...(m as unknown as ArtifactMeta), config: checked.config, sizeBytes: wasm.byteLength }
  if (m.kind !== 'core') {
    const problem = checkComponentParts(m, files, hashes)
    if (problem) throw bad(problem)
    return { meta: checkedMeta, wasm, files }
  }
  return { meta: checkedMeta, wasm }
}

/** verifyArtifact with the hashing on the thread pool: for a thread that serves requests. */
export async function verifyArtifactAsync(meta: unknown, wasm: Uint8Array, files?: Record<string, Uint8Array>): Promise<Artifact> {
  const all = [wasm, ...Object.values(files ?? {})]
  const digests = await Promise.all(all.map(sha256HexAsync))
  return verifyArtifact(meta, wasm, files, new Map(all.map((b, i) => [b, digests[i]!])))
}

/** Reads and verifies an artifact directory (artifact.json + module.wasm); the hashing runs on the thread pool. */
export async function readArtifact(dir: string): Promise<Artifact> {
  const [metaText, wasm] = await Promise.all([readFile(join(dir, ARTIFACT_META_FILE), 'utf8'), readFile(join(dir, ARTIFACT_WASM_FILE))])
  const meta = parseMeta(metaText)
  return verifyArtifactAsync(meta, wasm, readComponentPartsSync(dir, meta))
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
