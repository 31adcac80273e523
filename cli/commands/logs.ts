// jaegis logs <name> [-f]: recent log lines, or follow them live (Server-Sent Events).
import { UsageError, type Command } from '../command.js'
import { ApiClient, errorFrom } from '../client.js'
import { GLOBAL_USAGE, adminToken, parse, serverUrl } from '../options.js'

interface Line {
  timeMs: number
  level: string
  message: string
  version: number
}

const format = (l: Line) => `${new Date(l.timeMs).toISOString()} ${l.level.toUpperCase().padEnd(5)} ${l.version ? `v${l.version}` : '--'} ${l.message}\n`

export const command: Command = {
  name: 'logs',
  summary: "show a function's logs",
  usage: `Usage: jaegis logs <name> [-f] [-n <lines>]

  -f, --follow     keep printing new lines until interrupted
  -n, --lines <n>  how many recent lines (default 100)
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { follow: { type: 'boolean', short: 'f', default: false }, lines: { type: 'string', short: 'n', default: '100' } })
    const name = positionals[0]
    if (!name) throw new UsageError('missing the function name')
    const limit = Number(values.lines)
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--lines must be a positive integer')
    const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
    const path = `/_api/v1/functions/${encodeURIComponent(name)}/logs?limit=${limit}`
    if (!values.follow) {
      const { logs } = await client.request<{ logs: Line[] }>('GET', path)
      for (const l of logs) ctx.out(values.json ? JSON.stringify(l) + '\n' : format(l))
      return 0
    }
    const res = await client.raw('GET', `${path}&follow=1`, undefined, { accept: 'text/event-stream' })
    if (!res.ok || !res.body) throw errorFrom(res.status, await res.json().catch(() => ({})))
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true })
      let i: number
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, i)
        buf = buf.slice(i + 2)
        const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
        if (!data) continue
        const line = JSON.parse(data) as Line
        ctx.out(values.json ? JSON.stringify(line) + '\n' : format(line))
      }
    }
    return 0
  },
}
