// Signing an artifact (the compiler's call) and checking its signature against a trust policy (the
// runtime's and the server's, before anything is compiled). Both halves must verify.
import { sign as edSign, verify as edVerify } from 'node:crypto'
import { mlDsa65 } from './ml-dsa.js'
import { JaegisError } from '../errors.js'
import { decodePublicKey, ED25519_SIGNATURE_BYTES, encodePublicKey, ML_DSA65_SIGNATURE_BYTES, SIGNING_ALG, type PublicSigningKey, type SigningKey } from './keys.js'
import { ML_DSA_CONTEXT, signedMessage, type ArtifactSignature, type SignedMeta } from './payload.js'
import type { TrustList } from './trust.js'

/** Which artifacts a host accepts. */
export interface SignaturePolicy {
  /**
   * Keys whose signatures are accepted. When non-empty, a signature by any other key is refused
   * (UNTRUSTED_KEY). When empty, a signature is checked against the public key it carries: it
   * proves the artifact is intact, not who made it. @default empty
   */
  trust?: TrustList
  /** Refuse artifacts without a signature (SIGNATURE_REQUIRED). Needs a non-empty trust list. @default false */
  requireSigned?: boolean
}

/** What a check found; a signature that fails never returns, it throws. */
export type SignatureCheck =
  | { state: 'unsigned' }
  /** `trusted`: the key is on the trust list (false only when the policy has no trust list). */
  | { state: 'signed'; keyId: string; trusted: boolean }

/** Signs an artifact: `wasmDigest` is sha256 of module.wasm; `meta` is artifact.json as it will be written. */
export function signArtifact(key: SigningKey, wasmDigest: string, meta: SignedMeta): ArtifactSignature {
  const msg = signedMessage(key.publicKey.keyId, wasmDigest, meta)
  return {
    alg: SIGNING_ALG,
    keyId: key.publicKey.keyId,
    publicKey: encodePublicKey(key.publicKey, ''),
    mlDsa65: Buffer.from(mlDsa65().sign(msg, key.mlDsa65Secret, { context: ML_DSA_CONTEXT })).toString('base64'),
    ed25519: edSign(null, msg, key.ed25519Key).toString('base64'),
  }
}

/**
 * Checks `meta.signature` over `wasmDigest` (hashed by the caller from the bytes it will run) and
 * `meta`'s configuration. Throws SIGNATURE_REQUIRED, SIGNATURE_INVALID or UNTRUSTED_KEY. A signature
 * that is present is always checked: a bad one is refused whether or not signatures are required.
 */
export function checkArtifactSignature(meta: SignedMeta & { signature?: unknown }, wasmDigest: string, policy: SignaturePolicy = {}): SignatureCheck {
  const trust = policy.trust
  const sig = meta.signature
  if (sig === undefined || sig === null) {
    if (policy.requireSigned) throw new JaegisError('SIGNATURE_REQUIRED', `artifact ${wasmDigest.slice(0, 12)} is not signed, and this host requires signed artifacts (sign it with jaegis build --sign-key <file>)`)
    return { state: 'unsigned' }
  }
  const invalid = (why: string) => new JaegisError('SIGNATURE_INVALID', `artifact ${wasmDigest.slice(0, 12)} has an invalid signature: ${why}`)
  if (typeof sig !== 'object') throw invalid('"signature" is not an object')
  const s = sig as Partial<Record<keyof ArtifactSignature, unknown>>
  if (s.alg !== SIGNING_ALG) throw invalid(`alg ${JSON.stringify(s.alg)} is not "${SIGNING_ALG}"`)
  const mlDsaSig = bytes(s.mlDsa65, ML_DSA65_SIGNATURE_BYTES)
  const edSig = bytes(s.ed25519, ED25519_SIGNATURE_BYTES)
  // A hybrid signature with one half stripped is no signature: both must be there and both must verify.
  if (!mlDsaSig || !edSig) throw invalid(`${[!mlDsaSig && `the ML-DSA-65 half (${ML_DSA65_SIGNATURE_BYTES} bytes)`, !edSig && `the Ed25519 half (${ED25519_SIGNATURE_BYTES} bytes)`].filter(Boolean).join(' and ')} is missing or malformed`)
  if (typeof s.keyId !== 'string') throw invalid('keyId is missing')
  let key: PublicSigningKey | undefined
  if (trust && trust.size > 0) {
    key = trust.get(s.keyId)
    if (!key) throw new JaegisError('UNTRUSTED_KEY', `artifact ${wasmDigest.slice(0, 12)} is signed by key ${s.keyId}, which is not on this host's trust list (jaegis serve --trust)`)
  } else {
    if (policy.requireSigned) throw new JaegisError('SIGNATURE_REQUIRED', 'signatures are required but the trust list is empty: nothing could be verified')
    const carried = typeof s.publicKey === 'string' ? decodePublicKey(s.publicKey) : 'publicKey is missing'
    if (typeof carried === 'string') throw invalid(carried)
    if (carried.keyId !== s.keyId) throw invalid(`keyId ${s.keyId} does not match the public key it carries (${carried.keyId})`)
    key = carried
  }
  const msg = signedMessage(key.keyId, wasmDigest, meta)
  const mlDsaOk = mlDsa65().verify(mlDsaSig, msg, key.mlDsa65, { context: ML_DSA_CONTEXT })
  const edOk = edVerify(null, msg, key.ed25519Key, edSig)
  if (!mlDsaOk || !edOk) {
    throw invalid(`the ${[!mlDsaOk && 'ML-DSA-65', !edOk && 'Ed25519'].filter(Boolean).join(' and ')} signature does not verify for this module and configuration with key ${key.keyId} (tampered, or signed over something else)`)
  }
  return { state: 'signed', keyId: key.keyId, trusted: trust !== undefined && trust.size > 0 }
}

function bytes(v: unknown, length: number): Uint8Array | undefined {
  if (typeof v !== 'string') return undefined
  const b = Buffer.from(v, 'base64')
  return b.length === length && b.toString('base64') === v ? new Uint8Array(b) : undefined
}
