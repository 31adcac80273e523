// jaegis rm <name>: stop serving a function and delete its deployment record and logs.
import { UsageError, type Command } from '../command.js'
import { ApiClient } from '../client.js'
import { GLOBAL_USAGE, adminToken, parse, serverUrl } from '../options.js'

export const command: Command = {
  name: 'rm',
  summary: 'remove a deployed function',
  usage: `Usage: jaegis rm <name>\n\n${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {})
    const name = positionals[0]
    if (!name) throw new UsageError('missing the function name')
    const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
    const r = await client.request('DELETE', `/_api/v1/functions/${encodeURIComponent(name)}`)
    ctx.out(values.json ? JSON.stringify(r) + '\n' : `removed ${name}\n`)
    return 0
  },
}
