// jaegis host: gateway + runtime that joins a cluster through NATS and serves what the plan gives it.
import { TIERS, type Tier } from '@jaegis/scheduler'
import { startFleetHost } from '@jaegis/server/fleet/host'
import { UsageError, type Command, type CommandContext } from '../command.js'
import { GLOBAL_USAGE, dataDir, parse, signaturePolicy } from '../options.js'

export const command: Command = {
  name: 'host',
  summary: 'run a cluster host (gateway + runtime) that joins through NATS and serves its share of the plan',
  usage: `Usage: jaegis host --nats <url> --tier edge-1|edge-2|edge-3|cloud --region <r> [options]

  --nats <url>       NATS server(s) with JetStream, comma-separated
  --tier <tier>      ${TIERS.join(', ')}
  --region <r>       the region this host serves (placement prefers hosts in the demand's region)
  --label <k=v>      a label functions can require (repeatable)
  --memory-mb <n>    memory offered to functions, MiB (default 4096)
  --port <n>         gateway port (default: $PORT, else 8080)
  --host <addr>      address to listen on (default 127.0.0.1)
  --advertise <url>  URL other hosts forward to (default: the listening address; on 0.0.0.0 or ::,
                     this machine's first IPv4 address that is not loopback)
  --id <id>          host id (default: <hostname>-<random>)
  --heartbeat-ms <n> heartbeat interval (default 1000); must match the control plane's
  --site <name>      an edge site's host: --nats is the site's leaf node (jaegis site config <name>);
                     it keeps serving what it holds when the site loses its link to the hub
  --hub-domain <d>   the hub's JetStream domain, for --site (default hub)
  --trust <file|dir>  public keys whose artifact signatures are accepted (repeatable; docs/signing.md)
  --require-signed  refuse unsigned artifacts (needs --trust); a bad signature is refused either way
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values } = parse(argv, { nats: { type: 'string' }, tier: { type: 'string' }, region: { type: 'string' }, label: { type: 'string', multiple: true }, 'memory-mb': { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, advertise: { type: 'string' }, id: { type: 'string' }, 'heartbeat-ms': { type: 'string' }, site: { type: 'string' }, 'hub-domain': { type: 'string' }, trust: { type: 'string', multiple: true }, 'require-signed': { type: 'boolean', default: false } })
    if (!values.nats) throw new UsageError('--nats <url> is required')
    if (!values.tier || !TIERS.includes(values.tier as Tier)) throw new UsageError(`--tier must be one of ${TIERS.join(', ')}`)
    if (!values.region || !/^[A-Za-z0-9_.:#-]{1,64}$/.test(values.region)) throw new UsageError('--region <r> is required (letters, digits, _ . : # -)')
    const labels = (values.label ?? []).map((l) => {
      if (!/^[A-Za-z0-9_.-]+(=[^\s]*)?$/.test(l)) throw new UsageError(`--label ${l} is not k=v`)
      return l
    })
    const h = await startFleetHost({
      natsUrl: values.nats,
      tier: values.tier as Tier,
      region: values.region,
      labels,
      memoryMb: intFlag('--memory-mb', values['memory-mb'], 1, 1 << 30),
      port: intFlag('--port', values.port ?? ctx.env.PORT, 0, 65535) ?? 8080,
      host: values.host ?? '127.0.0.1',
      ...(values.advertise ? { advertiseUrl: values.advertise } : {}),
      ...(values.id ? { id: values.id } : {}),
      heartbeatMs: intFlag('--heartbeat-ms', values['heartbeat-ms'], 50, 600_000),
      ...(values.site !== undefined ? { site: values.site } : {}),
      ...(values['hub-domain'] !== undefined ? { hubDomain: values['hub-domain'] } : {}),
      dataDir: dataDir(values, ctx),
      signatures: signaturePolicy(values, ctx),
    })
    ctx.out(`jaegis host ${h.id} (${values.tier}, ${values.region}${values.site !== undefined ? `, site ${values.site}` : ''}) serving on ${h.url} (nats: ${values.nats})\n`)
    await untilSignal(ctx, () => h.close())
    return 0
  },
}

/** An integer flag within [min, max], or undefined when absent. */
export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}`)
  return n
}

/** Resolves after SIGTERM/SIGINT once `close` has finished. */
export async function untilSignal(ctx: CommandContext, close: () => Promise<void>): Promise<void> {
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      ctx.err(`jaegis: ${signal}, leaving the cluster\n`)
      close().then(done, done)
    }
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
  })
}
