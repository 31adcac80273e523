// Artifact signatures: what checkArtifactSignature refuses, one way of tampering per case. Every case
// here passes on code that skips the check it names, so each expects the exact refusal.
import { createHash, sign as edSign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { JaegisError } from '../errors.js'
import {
  checkArtifactSignature,
  decodePrivateKey,
  decodePublicKey,
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  parseTrustList,
  signArtifact,
  signedMessage,
  type ArtifactSignature,
  type SignaturePolicy,
  type TrustList,
} from './index.js'

const config = { name: 'hello', limits: { memoryBytes: 16 * 1024 * 1024, timeoutMs: 1000, bodyBytes: 1024 * 1024, maxConcurrency: 0, maxQueue: 1000 }, env: {}, pool: { minWarm: 1, maxWarm: 16 }, reuse: false, requireKey: false }
const wasm = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff)
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const alice = generateSigningKey()
const mallory = generateSigningKey()
const trustAlice: TrustList = new Map([[alice.publicKey.keyId, alice.publicKey]])

function signed(key = alice, bytes = wasm, meta: Record<string, unknown> = { abi: 1, kind: 'core', config }) {
  const digest = sha(bytes)
  const m = { ...meta, digest }
  return { meta: { ...m, signature: signArtifact(key, digest, m) } as Record<string, unknown> & { signature: ArtifactSignature }, digest }
}

/** The error code checkArtifactSignature throws, or 'accepted:<state>'. */
function outcome(meta: Record<string, unknown>, digest: string, policy: SignaturePolicy): string {
  try {
    return `accepted:${checkArtifactSignature(meta, digest, policy).state}`
  } catch (err) {
    if (!(err instanceof JaegisError)) throw err
    return err.code
  }
}

const REQUIRED: SignaturePolicy = { trust: trustAlice, requireSigned: true }
const TRUST_ONLY: SignaturePolicy = { trust: trustAlice }

describe('signature checks', () => {
  it('accepts an artifact signed by a trusted key, with both halves verified', () => {
    const { meta, digest } = signed()
    expect(checkArtifactSignature(meta, digest, REQUIRED)).toEqual({ state: 'signed', keyId: alice.publicKey.keyId, trusted: true })
    expect(meta.signature.mlDsa65.length).toBe(Math.ceil(3309 / 3) * 4)
  })

  it('refuses a flipped byte in the wasm (digest recomputed to match), signatures required or not', () => {
    const { meta } = signed()
    const flipped = wasm.slice()
    flipped[100]! ^= 1
    for (const policy of [REQUIRED, TRUST_ONLY, {}]) expect(outcome({ ...meta, digest: sha(flipped) }, sha(flipped), policy)).toBe('SIGNATURE_INVALID')
  })

  it('refuses a signature over another digest', () => {
    const other = signed(alice, new Uint8Array(64).fill(7))
    const { meta, digest } = signed()
    for (const policy of [REQUIRED, TRUST_ONLY, {}]) expect(outcome({ ...meta, signature: other.meta.signature }, digest, policy)).toBe('SIGNATURE_INVALID')
  })

  it('refuses a changed configuration under an unchanged wasm', () => {
    const { meta, digest } = signed()
    const more = { ...config, limits: { ...config.limits, memoryBytes: 2 * config.limits.memoryBytes } }
    expect(outcome({ ...meta, config: more }, digest, REQUIRED)).toBe('SIGNATURE_INVALID')
    expect(outcome({ ...meta, config: { ...config, env: { SECRET: 'x' } } }, digest, REQUIRED)).toBe('SIGNATURE_INVALID')
    expect(outcome({ ...meta, component: { allowedOutboundHosts: ['https://evil.example'] } }, digest, REQUIRED)).toBe('SIGNATURE_INVALID')
  })

  it('takes the config as checkFunctionConfig normalizes it: defaults left out and key order do not matter', () => {
    const { meta, digest } = signed()
    const { maxConcurrency: _c, maxQueue: _q, ...olderLimits } = config.limits
    const reordered = Object.fromEntries(Object.entries({ ...config, limits: olderLimits }).reverse())
    expect(outcome({ ...meta, config: reordered }, digest, REQUIRED)).toBe('accepted:signed')
  })

  it('refuses a wrong key: the signature of one key presented under another key id', () => {
    const { meta, digest } = signed(mallory)
    const forged = { ...meta.signature, keyId: alice.publicKey.keyId, publicKey: encodePublicKey(alice.publicKey, '') }
    for (const policy of [REQUIRED, TRUST_ONLY, {}]) expect(outcome({ ...meta, signature: forged }, digest, policy)).toBe('SIGNATURE_INVALID')
  })

  it('refuses a key that is not on the trust list, signatures required or not; without a trust list it checks the carried key', () => {
    const { meta, digest } = signed(mallory)
    expect(outcome(meta, digest, REQUIRED)).toBe('UNTRUSTED_KEY')
    expect(outcome(meta, digest, TRUST_ONLY)).toBe('UNTRUSTED_KEY')
    expect(checkArtifactSignature(meta, digest, {})).toEqual({ state: 'signed', keyId: mallory.publicKey.keyId, trusted: false })
    // A carried key that is not the one the key id names.
    const swapped = { ...meta.signature, publicKey: encodePublicKey(alice.publicKey, '') }
    expect(outcome({ ...meta, signature: swapped }, digest, {})).toBe('SIGNATURE_INVALID')
    // The carried key is mallory's but the key id claims alice: refused, not reported as a signature by either.
    expect(outcome({ ...meta, signature: { ...meta.signature, keyId: alice.publicKey.keyId } }, digest, {})).toBe('SIGNATURE_INVALID')
  })

  it('refuses a signature with one half stripped, or both', () => {
    const { meta, digest } = signed()
    const { mlDsa65: _m, ...noMlDsa } = meta.signature
    const { ed25519: _e, ...noEd } = meta.signature
    const { mlDsa65: _m2, ed25519: _e2, ...neither } = meta.signature
    for (const sig of [noMlDsa, noEd, neither, { ...meta.signature, ed25519: '' }]) {
      for (const policy of [REQUIRED, TRUST_ONLY, {}]) expect(outcome({ ...meta, signature: sig }, digest, policy)).toBe('SIGNATURE_INVALID')
    }
    expect(() => checkArtifactSignature({ ...meta, signature: noEd }, digest, REQUIRED)).toThrow(/the Ed25519 half \(64 bytes\) is missing/)
  })

  it('needs both halves to verify: a valid half does not carry a bad one', () => {
    const { meta, digest } = signed()
    const other = signed(alice, new Uint8Array(64).fill(7)).meta.signature
    // Each half replaced by the same key's well-formed signature over another artifact.
    expect(outcome({ ...meta, signature: { ...meta.signature, ed25519: other.ed25519 } }, digest, REQUIRED)).toBe('SIGNATURE_INVALID')
    expect(outcome({ ...meta, signature: { ...meta.signature, mlDsa65: other.mlDsa65 } }, digest, REQUIRED)).toBe('SIGNATURE_INVALID')
    expect(() => checkArtifactSignature({ ...meta, signature: { ...meta.signature, ed25519: other.ed25519 } }, digest, REQUIRED)).toThrow(/the Ed25519 signature does not verify/)
  })

  it('is domain-separated: an Ed25519 signature over the bare digest is not a signature of the artifact', () => {
    const { meta, digest } = signed()
    const bare = edSign(null, Buffer.from(digest, 'hex'), alice.ed25519Key).toString('base64')
    expect(outcome({ ...meta, signature: { ...meta.signature, ed25519: bare } }, digest, REQUIRED)).toBe('SIGNATURE_INVALID')
    expect(new TextDecoder().decode(signedMessage(alice.publicKey.keyId, digest, meta))).toMatch(/^jaegis-artifact-signature-v1\nalg ML-DSA-65\+Ed25519\nkey [0-9a-f]{32}\ndigest sha256:[0-9a-f]{64}\nconfig sha256:[0-9a-f]{64}\n$/)
  })

  it('requires a signature only when told to', () => {
    const { meta, digest } = signed()
    const { signature: _s, ...unsigned } = meta
    expect(outcome(unsigned, digest, REQUIRED)).toBe('SIGNATURE_REQUIRED')
    expect(outcome(unsigned, digest, TRUST_ONLY)).toBe('accepted:unsigned')
    expect(outcome(unsigned, digest, {})).toBe('accepted:unsigned')
    expect(outcome({ ...unsigned, signature: null }, digest, REQUIRED)).toBe('SIGNATURE_REQUIRED')
    expect(outcome(meta, digest, { requireSigned: true })).toBe('SIGNATURE_REQUIRED') // nothing trusted: nothing passes
  })
})

describe('key formats', () => {
  it('round-trips a private key file to the same key, and refuses one whose key id does not match', () => {
    const text = encodePrivateKey(alice, 'ci')
    const back = decodePrivateKey(text, 'k')
    expect(back.publicKey.keyId).toBe(alice.publicKey.keyId)
    const { meta, digest } = signed(back)
    expect(outcome(meta, digest, REQUIRED)).toBe('accepted:signed')
    const wrongId = JSON.stringify({ ...JSON.parse(text), keyId: mallory.publicKey.keyId })
    expect(() => decodePrivateKey(wrongId, 'k')).toThrow(/keyId .* does not match its seeds/)
    expect(() => decodePrivateKey('{}', 'k')).toThrow(expect.objectContaining({ code: 'BAD_SIGNING_KEY' }))
  })

  it('parses trust lists: comments, several keys, and an error naming the line that is not a key', () => {
    const list = parseTrustList(`# ops\n${encodePublicKey(alice.publicKey, 'alice')}\n\n${encodePublicKey(mallory.publicKey)}\n`, 'trust')
    expect([...list.keys()].sort()).toEqual([alice.publicKey.keyId, mallory.publicKey.keyId].sort())
    expect(list.get(alice.publicKey.keyId)!.comment).toBe('alice')
    expect(() => parseTrustList(`${encodePublicKey(alice.publicKey)}\nssh-ed25519 AAAA x\n`, 'trust')).toThrow('trust:2: not a public key')
    const line = encodePublicKey(alice.publicKey)
    expect(typeof decodePublicKey(line.slice(0, -4))).toBe('string') // truncated key
  })
})
