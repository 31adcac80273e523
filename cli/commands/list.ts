// jaegis list: deployed functions, their versions, status, pools and URLs.
import type { Command } from '../command.js'
import { ApiClient } from '../client.js'
import { GLOBAL_USAGE, adminToken, parse, serverUrl } from '../options.js'

interface Row {
  name: string
  version: number
  status: { state: string; error?: string }
  url: string
  pool?: { min_warm: number; max_warm: number; ready: number }
  scheduler?: { target?: number; reason?: string }
}

export const command: Command = {
  name: 'list',
  summary: 'list deployed functions',
  usage: `Usage: jaegis list\n\n${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values } = parse(argv, {})
    const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
    const { functions } = await client.request<{ functions: Row[] }>('GET', '/_api/v1/functions')
    if (values.json) {
      ctx.out(JSON.stringify(functions) + '\n')
      return 0
    }
    if (functions.length === 0) {
      ctx.out('no functions deployed (try: jaegis new hello && jaegis deploy hello)\n')
      return 0
    }
    const rows = functions.map((f) => [f.name, `v${f.version}`, f.status.state, f.pool ? `${f.pool.ready} ready / target ${f.pool.min_warm} (max ${f.pool.max_warm})` : '-', f.scheduler?.reason ?? '', f.url])
    const head = ['NAME', 'VERSION', 'STATUS', 'POOL', 'WHY', 'URL']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    for (const r of [head, ...rows]) ctx.out(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n')
    return 0
  },
}
