// Errors with stable codes (after undici's lib/core/errors.js): the base every package shares, from
// the configuration schema and the wasm binary tools up. Whether an error is safe to show is decided
// here, once; only the gateway and the CLI turn errors into responses.

/** Stable error codes. Never rename one: clients match on them. */
export type ErrorCode =
  | 'INVALID_WASM'
  | 'ABI_MISMATCH'
  | 'INVALID_ARTIFACT'
  | 'INVALID_MANIFEST'
  | 'COMPILE_FAILED'
  | 'PREINIT_FAILED'
  | 'TRIAL_FAILED'
  | 'UNKNOWN_FUNCTION'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'BODY_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'TIMEOUT'
  | 'MEMORY_LIMIT'
  | 'TRAP'
  | 'BAD_RESPONSE'
  | 'OVERLOADED'
  | 'CLOSED'
  | 'SLICE_EXPIRED'
  | 'NO_SPACE'
  /** Something this request needs is out of reach for now (an edge site cut off from the hub): retry later. */
  | 'UNAVAILABLE'
  /** An artifact without a signature where signatures are required (jaegis serve --require-signed). */
  | 'SIGNATURE_REQUIRED'
  /** A signature that is malformed, has a half stripped, or does not verify: never accepted. */
  | 'SIGNATURE_INVALID'
  /** A signature by a key that is not on the trust list. */
  | 'UNTRUSTED_KEY'
  /** A private key file or trust list that cannot be read as one. */
  | 'BAD_SIGNING_KEY'
  | 'INTERNAL'

/** Base of every error Jaegis throws on purpose. `expose` says whether `message` is safe to show a caller. */
export class JaegisError extends Error {
  readonly code: ErrorCode
  readonly expose: boolean
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; expose?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'JaegisError'
    this.code = code
    this.expose = options.expose ?? true
  }
}

/** True for errors of ours; anything else is an internal error and is not safe to show. */
export function isJaegisError(err: unknown): err is JaegisError {
  return err instanceof JaegisError
}
