// jaegis rollback <name> [version]: serve an earlier version again (default: the previous one).
import { UsageError, type Command } from '../command.js'
import { ApiClient } from '../client.js'
import { GLOBAL_USAGE, adminToken, parse, serverUrl } from '../options.js'

export const command: Command = {
  name: 'rollback',
  summary: 'serve an earlier version of a function',
  usage: `Usage: jaegis rollback <name> [version]\n\n${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {})
    const [name, v] = positionals
    if (!name) throw new UsageError('missing the function name')
    const version = v === undefined ? undefined : Number(v.replace(/^v/, ''))
    if (version !== undefined && !Number.isInteger(version)) throw new UsageError(`version "${v}" is not a number`)
    const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
    const r = await client.request<{ version: number; digest: string }>('POST', `/_api/v1/functions/${encodeURIComponent(name)}/rollback`, JSON.stringify(version === undefined ? {} : { version }), { 'content-type': 'application/json' })
    ctx.out(values.json ? JSON.stringify(r) + '\n' : `${name} now serves v${r.version} (${r.digest.slice(0, 12)})\n`)
    return 0
  },
}
