// jaegis explain <name>: why the function's warm pool has the size it has (forecast, histogram, burst).
import { UsageError, type Command } from '../command.js'
import { ApiClient } from '../client.js'
import { GLOBAL_USAGE, adminToken, parse, serverUrl } from '../options.js'

interface Explained {
  name: string
  autoscaler: string
  bounds?: { min_warm: number; max_warm: number }
  decision: null | {
    decidedAtMs: number
    appliedWarm?: number
    target: { warm: number; prewarmAtMs?: number; keepAliveMs: number; explanation: { decidedBy: string; summary: string; numbers: Record<string, unknown> } }
  }
  note?: string
}

export const command: Command = {
  name: 'explain',
  summary: "say why a function's warm-pool target is what it is",
  usage: `Usage: jaegis explain <name>\n\n${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {})
    const name = positionals[0]
    if (!name) throw new UsageError('missing the function name')
    const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
    const r = await client.request<Explained>('GET', `/_api/v1/functions/${encodeURIComponent(name)}/explain`)
    if (values.json) {
      ctx.out(JSON.stringify(r) + '\n')
      return 0
    }
    if (!r.decision) {
      ctx.out(`${name}: ${r.note ?? 'no decision yet'}\n`)
      return 0
    }
    const t = r.decision.target
    ctx.out(`${name}: keep ${t.warm} warm (applied ${r.decision.appliedWarm ?? '-'} within the manifest's ${r.bounds ? `${r.bounds.min_warm}..${r.bounds.max_warm}` : 'bounds'}), decided by ${t.explanation.decidedBy} at ${new Date(r.decision.decidedAtMs).toISOString()}\n`)
    ctx.out(`  ${t.explanation.summary}\n`)
    if (t.prewarmAtMs) ctx.out(`  pre-warm at ${new Date(t.prewarmAtMs).toISOString()}\n`)
    ctx.out(`  keep-alive ${(t.keepAliveMs / 1000).toFixed(0)} s\n`)
    for (const [k, v] of Object.entries(t.explanation.numbers)) ctx.out(`  ${k}: ${typeof v === 'number' ? Number(v.toFixed(3)) : v}\n`)
    return 0
  },
}
