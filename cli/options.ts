// Flags every command accepts, and how they resolve against the environment.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { decodePrivateKey, loadTrustList, type SignaturePolicy, type SigningKey } from '@jaegis/artifact'
import { UsageError, type CommandContext } from './command.js'

/** --url, --token, --data, --json, --help: accepted by every command. */
export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies NonNullable<ParseArgsConfig['options']>

export const GLOBAL_USAGE = `Global options:
  --url <url>      server URL (default: $JAEGIS_URL, else http://localhost:8080)
  --token <token>  admin token (default: $JAEGIS_TOKEN, else <data dir>/token)
  --data <dir>     data directory (default: $JAEGIS_DATA, else ./.jaegis)
  --json           machine-readable output
  -h, --help       this help`

type OptionSpec = NonNullable<ParseArgsConfig['options']>
/** Parsed flag values, typed from their specs. */
export type Values<O> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string
}

/** parseArgs with the global options added and errors turned into UsageError. */
export function parse<O extends OptionSpec>(argv: string[], options: O): { values: Values<O & typeof GLOBAL_OPTIONS>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true }) as never
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[\w+\]: /, ''))
  }
}

export function dataDir(values: { data?: string }, ctx: CommandContext): string {
  return resolve(ctx.cwd, values.data ?? ctx.env.JAEGIS_DATA ?? '.jaegis')
}

export function serverUrl(values: { url?: string }, ctx: CommandContext): string {
  return (values.url ?? ctx.env.JAEGIS_URL ?? `http://localhost:${ctx.env.PORT ?? 8080}`).replace(/\/+$/, '')
}

/** --token, $JAEGIS_TOKEN, or the token file of the local data directory. */
export function adminToken(values: { token?: string; data?: string }, ctx: CommandContext): string | undefined {
  if (values.token) return values.token
  if (ctx.env.JAEGIS_TOKEN) return ctx.env.JAEGIS_TOKEN
  try {
    return readFileSync(join(dataDir(values, ctx), 'token'), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** --sign-key <file> for build and deploy: the flag, else $JAEGIS_SIGN_KEY. */
export const SIGN_KEY_OPTION = { 'sign-key': { type: 'string' } } as const
export const SIGN_KEY_USAGE = `  --sign-key <file>  sign the artifact with this private key (jaegis keys new; default: $JAEGIS_SIGN_KEY, else unsigned)`

/** The signing key --sign-key or $JAEGIS_SIGN_KEY names, loaded; undefined when neither is set. */
export function signingKey(values: { 'sign-key'?: string }, ctx: CommandContext): SigningKey | undefined {
  const given = values['sign-key'] ?? (ctx.env.JAEGIS_SIGN_KEY || undefined)
  if (given === undefined) return undefined
  const path = resolve(ctx.cwd, given)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read the signing key ${path}${values['sign-key'] === undefined ? ' ($JAEGIS_SIGN_KEY)' : ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return decodePrivateKey(text, path)
}

/** The signature policy of --trust <file|dir> and --require-signed (serve, host). */
export function signaturePolicy(values: { trust?: string[]; 'require-signed'?: boolean }, ctx: CommandContext): SignaturePolicy {
  const trust = new Map()
  for (const p of values.trust ?? []) for (const [id, key] of loadTrustList(resolve(ctx.cwd, p))) trust.set(id, key)
  if (values['require-signed'] && trust.size === 0) throw new UsageError('--require-signed needs --trust <file|dir>: without trusted keys nothing could be accepted')
  return { ...(trust.size ? { trust } : {}), ...(values['require-signed'] ? { requireSigned: true } : {}) }
}
