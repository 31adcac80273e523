// Trust lists: which signing keys a host accepts. A trust list is text, one public key line per key
// (the `.pub` file `jaegis keys new` writes), `#` comments and blank lines ignored; a folder is every
// `*.pub` file in it.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { JaegisError } from '../errors.js'
import { decodePublicKey, type PublicSigningKey } from './keys.js'

/** Trusted keys by key id. */
export type TrustList = ReadonlyMap<string, PublicSigningKey>

/** Parses trust list text; `source` names it in errors. A line that is not a key is an error, not skipped. */
export function parseTrustList(text: string, source: string, into = new Map<string, PublicSigningKey>()): Map<string, PublicSigningKey> {
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const key = decodePublicKey(line)
    if (typeof key === 'string') throw new JaegisError('BAD_SIGNING_KEY', `${source}:${i + 1}: not a public key: ${key}`)
    into.set(key.keyId, key)
  }
  return into
}

/** Reads a trust list file, or every `*.pub` file of a folder. Throws BAD_SIGNING_KEY when it holds no key. */
export function loadTrustList(path: string): TrustList {
  const keys = new Map<string, PublicSigningKey>()
  let files: string[]
  try {
    files = statSync(path).isDirectory() ? readdirSync(path).filter((n) => n.endsWith('.pub')).sort().map((n) => join(path, n)) : [path]
  } catch (err) {
    throw new JaegisError('BAD_SIGNING_KEY', `cannot read trust list ${path}: ${(err as Error).message}`, { cause: err })
  }
  for (const f of files) parseTrustList(readFileSync(f, 'utf8'), f, keys)
  if (keys.size === 0) throw new JaegisError('BAD_SIGNING_KEY', `trust list ${path} holds no public key (a line "jaegis-sign-v1 <key>", as in the .pub file jaegis keys new writes)`)
  return keys
}
