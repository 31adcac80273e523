// Artifact signatures: hybrid ML-DSA-65 + Ed25519 keys, the signed message, trust lists, checks.
export { SIGNING_ALG, PUBLIC_KEY_PREFIX, generateSigningKey, encodePrivateKey, decodePrivateKey, encodePublicKey, decodePublicKey, keyIdOf, ML_DSA65_PUBLIC_KEY_BYTES, ML_DSA65_SIGNATURE_BYTES, ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from './keys.js'
export type { SigningKey, PublicSigningKey } from './keys.js'
export { signedMessage, configDigest, canonicalJson, SIGNED_MESSAGE_DOMAIN } from './payload.js'
export type { ArtifactSignature, SignedMeta } from './payload.js'
export { signArtifact, checkArtifactSignature } from './verify.js'
export type { SignaturePolicy, SignatureCheck } from './verify.js'
export { parseTrustList, loadTrustList } from './trust.js'
export type { TrustList } from './trust.js'
