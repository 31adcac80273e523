// What an artifact signature covers, written once for signer and verifier: a domain-separated text
// message naming the scheme, the key, the wasm's sha256 and the sha256 of the configuration the
// artifact runs with (so a signed module cannot be redeployed with other limits, routes or hosts).
import { createHash } from 'node:crypto'
import { checkFunctionConfig, show } from '../check.js'
import { JaegisError } from '../errors.js'
import { SIGNING_ALG } from './keys.js'

/** First line of every signed message; a signature made for anything else never verifies here. */
export const SIGNED_MESSAGE_DOMAIN = 'jaegis-artifact-signature-v1'
/** FIPS 204 context string given to ML-DSA (a second, algorithm-level domain separation). */
export const ML_DSA_CONTEXT = new TextEncoder().encode(SIGNED_MESSAGE_DOMAIN)

/** `signature` in artifact.json. Both halves sign the same message (signedMessage). */
export interface ArtifactSignature {
  alg: typeof SIGNING_ALG
  keyId: string
  /** The signer's public key line (keys.ts), so that a signature can be checked even with no trust list. */
  publicKey: string
  /** base64 ML-DSA-65 signature */
  mlDsa65: string
  /** base64 Ed25519 signature */
  ed25519: string
}

/** The parts of artifact.json a signature covers besides the wasm digest. */
export interface SignedMeta {
  abi?: unknown
  kind?: unknown
  config?: unknown
  component?: { allowedOutboundHosts?: unknown; files?: unknown }
}

/**
 * The signed message, UTF-8:
 *   jaegis-artifact-signature-v1\nalg ML-DSA-65+Ed25519\nkey <keyId>\ndigest sha256:<wasm>\nconfig sha256:<configDigest>\n
 * `wasmDigest` must be the hash the caller computed over the bytes it holds, not one it was told.
 */
export function signedMessage(keyId: string, wasmDigest: string, meta: SignedMeta): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(wasmDigest)) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: digest ${show(wasmDigest)} is not a sha256 in lowercase hex`)
  const text = `${SIGNED_MESSAGE_DOMAIN}\nalg ${SIGNING_ALG}\nkey ${keyId}\ndigest sha256:${wasmDigest}\nconfig sha256:${configDigest(meta)}\n`
  return new TextEncoder().encode(text)
}

/**
 * sha256 of the canonical JSON (sorted keys, no spaces) of what decides how the module runs: ABI,
 * kind, the configuration as checkFunctionConfig normalizes it (so defaults filled in on the way do
 * not break a signature), and a component's outbound hosts and host folders. Derived parts
 * (jco glue, prepared core modules) are not covered: servers derive them from the signed wasm.
 */
export function configDigest(meta: SignedMeta): string {
  const checked = checkFunctionConfig(meta.config)
  if (checked.problem !== undefined) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${checked.problem}`)
  const c = meta.component
  const covered = { abi: meta.abi, kind: meta.kind, config: checked.config, ...(c ? { allowedOutboundHosts: c.allowedOutboundHosts ?? [], files: c.files ?? [] } : {}) }
  return createHash('sha256').update(canonicalJson(covered)).digest('hex')
}

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}
