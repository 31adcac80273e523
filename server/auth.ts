// The admin token: JAEGIS_TOKEN, or generated on first start into <data>/token with mode 0600.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from './store/atomic.js'

export const TOKEN_FILE = 'token'

/** Returns the token and whether it was just created (so the caller prints it once). */
export async function loadOrCreateToken(dataDir: string, fromEnv: string | undefined): Promise<{ token: string; created: boolean; path?: string }> {
  if (fromEnv) return { token: fromEnv, created: false }
  const path = join(dataDir, TOKEN_FILE)
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), created: false, path }
  const token = `jgs_${randomBytes(24).toString('base64url')}`
  await writeFileAtomic(path, token + '\n', 0o600)
  return { token, created: true, path }
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretEquals(presented: string, expected: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The bearer token of an Authorization header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return m ? m[1] : undefined
}
