// Signing keys: one hybrid key is an ML-DSA-65 key (FIPS 204, @noble/post-quantum) and an Ed25519 key
// (node:crypto) used together. This file owns the key formats (private key file, public key line, key
// id); what is signed is payload.ts's, and how a signature is checked is verify.ts's.
import { createHash, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto'
import { mlDsa65 } from './ml-dsa.js'
import { JaegisError } from '../errors.js'

/** The one signature scheme: both signatures must verify. Named in every key, signature and signed message. */
export const SIGNING_ALG = 'ML-DSA-65+Ed25519'
/** First word of a public key line (trust lists, `*.pub` files). */
export const PUBLIC_KEY_PREFIX = 'jaegis-sign-v1'
/** `type` of a private key file. */
export const PRIVATE_KEY_TYPE = 'jaegis-signing-key'

export const ML_DSA65_PUBLIC_KEY_BYTES = 1952
export const ML_DSA65_SIGNATURE_BYTES = 3309
export const ED25519_PUBLIC_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64
const SEED_BYTES = 32
/** RFC 8410 PKCS#8 header of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** The public half: what a trust list holds. */
export interface PublicSigningKey {
  /** 32 hex digits: sha256 over both public keys, truncated to 128 bits (keyIdOf). */
  keyId: string
  mlDsa65: Uint8Array
  ed25519: Uint8Array
  /** The same Ed25519 key, ready for node:crypto. */
  ed25519Key: KeyObject
  /** Free text after the key on its line (who or what the key is for). */
  comment?: string
}

/** A private key, loaded: signs with both halves. */
export interface SigningKey {
  publicKey: PublicSigningKey
  mlDsa65Secret: Uint8Array
  ed25519Key: KeyObject
  /** The 32-byte seeds both halves derive from: what the private key file holds. */
  seeds: { mlDsa65: Uint8Array; ed25519: Uint8Array }
}

/** The key id of a pair of public keys: sha256("jaegis-signing-key-v1\0" || ML-DSA key || Ed25519 key), first 16 bytes in hex. */
export function keyIdOf(mlDsa65: Uint8Array, ed25519: Uint8Array): string {
  return createHash('sha256').update('jaegis-signing-key-v1\0').update(mlDsa65).update(ed25519).digest('hex').slice(0, 32)
}

/** A new key pair from the system's CSPRNG. */
export function generateSigningKey(): SigningKey {
  return signingKeyFromSeeds(randomBytes(SEED_BYTES), randomBytes(SEED_BYTES))
}

function signingKeyFromSeeds(mlDsaSeed: Uint8Array, edSeed: Uint8Array, comment?: string): SigningKey {
  const { secretKey, publicKey } = mlDsa65().keygen(mlDsaSeed)
  const ed25519Key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_SEED_PREFIX, edSeed]), format: 'der', type: 'pkcs8' })
  const edPublic = createPublicKey(ed25519Key)
  const edRaw = Buffer.from(edPublic.export({ format: 'jwk' }).x as string, 'base64url')
  return {
    publicKey: { keyId: keyIdOf(publicKey, edRaw), mlDsa65: publicKey, ed25519: edRaw, ed25519Key: edPublic, ...(comment ? { comment } : {}) },
    mlDsa65Secret: secretKey,
    ed25519Key,
    seeds: { mlDsa65: mlDsaSeed, ed25519: edSeed },
  }
}

/**
 * The private key file (JSON, written with mode 0600): both 32-byte seeds, from which keygen
 * re-derives the keys. `keyId` lets a reader see which key it is without loading it.
 */
export function encodePrivateKey(key: SigningKey, comment?: string): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
  const file = { type: PRIVATE_KEY_TYPE, version: 1, alg: SIGNING_ALG, keyId: key.publicKey.keyId, ...(comment ? { comment } : {}), mlDsa65Seed: b64(key.seeds.mlDsa65), ed25519Seed: b64(key.seeds.ed25519) }
  return JSON.stringify(file, null, 2) + '\n'
}

/** Reads a private key file; `source` names it in errors. */
export function decodePrivateKey(text: string, source: string): SigningKey {
  const bad = (why: string) => new JaegisError('BAD_SIGNING_KEY', `${source} is not a Jaegis signing key: ${why} (make one with jaegis keys new)`)
  let f: Record<string, unknown>
  try {
    f = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw bad('not JSON')
  }
  if (typeof f !== 'object' || f === null || f.type !== PRIVATE_KEY_TYPE) throw bad(`"type" is not "${PRIVATE_KEY_TYPE}"`)
  if (f.version !== 1 || f.alg !== SIGNING_ALG) throw bad(`version ${String(f.version)} / alg ${String(f.alg)} is not version 1 / ${SIGNING_ALG}`)
  const mlDsa = seed(f.mlDsa65Seed)
  const ed = seed(f.ed25519Seed)
  if (!mlDsa || !ed) throw bad('mlDsa65Seed and ed25519Seed must each be 32 bytes in base64')
  const key = signingKeyFromSeeds(mlDsa, ed, typeof f.comment === 'string' ? f.comment : undefined)
  if (f.keyId !== undefined && f.keyId !== key.publicKey.keyId) throw bad(`its keyId ${String(f.keyId)} does not match its seeds (${key.publicKey.keyId})`)
  return key
}

function seed(v: unknown): Buffer | undefined {
  if (typeof v !== 'string') return undefined
  const b = Buffer.from(v, 'base64')
  return b.length === SEED_BYTES && b.toString('base64') === v ? b : undefined
}

/** One line: `jaegis-sign-v1 <base64(ML-DSA-65 key || Ed25519 key)> [comment]`. */
export function encodePublicKey(key: PublicSigningKey, comment = key.comment): string {
  const b64 = Buffer.concat([key.mlDsa65, key.ed25519]).toString('base64')
  return `${PUBLIC_KEY_PREFIX} ${b64}${comment ? ` ${comment.replace(/[\r\n]+/g, ' ')}` : ''}`
}

/** Parses a public key line; returns why not as a string. */
export function decodePublicKey(line: string): PublicSigningKey | string {
  const [prefix, b64, ...rest] = line.trim().split(/\s+/)
  if (prefix !== PUBLIC_KEY_PREFIX) return `a public key line starts with "${PUBLIC_KEY_PREFIX}"`
  const bytes = Buffer.from(b64 ?? '', 'base64')
  if (bytes.length !== ML_DSA65_PUBLIC_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES || bytes.toString('base64') !== b64) {
    return `the key must be ${ML_DSA65_PUBLIC_KEY_BYTES + ED25519_PUBLIC_KEY_BYTES} bytes in base64 (ML-DSA-65 then Ed25519)`
  }
  const mlDsa65 = new Uint8Array(bytes.subarray(0, ML_DSA65_PUBLIC_KEY_BYTES))
  const ed25519 = new Uint8Array(bytes.subarray(ML_DSA65_PUBLIC_KEY_BYTES))
  const ed25519Key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(ed25519).toString('base64url') }, format: 'jwk' })
  const comment = rest.join(' ')
  return { keyId: keyIdOf(mlDsa65, ed25519), mlDsa65, ed25519, ed25519Key, ...(comment ? { comment } : {}) }
}
