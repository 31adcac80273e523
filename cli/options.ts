// Flags every command accepts, and how they resolve against the environment.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
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
