// jaegis control: the cluster's admin API, autoscaler and placer on NATS JetStream, until SIGTERM.
import { startControlPlane } from '@jaegis/server/fleet/control-plane'
import { UsageError, type Command } from '../command.js'
import { GLOBAL_USAGE, dataDir, parse, signaturePolicy } from '../options.js'
import { intFlag, untilSignal } from './host.js'

export const command: Command = {
  name: 'control',
  summary: 'run a cluster control plane (admin API, placer) on NATS JetStream; several may run, one leads',
  usage: `Usage: jaegis control --nats <url> [--port <n>] [--host <addr>]

  --nats <url>      NATS server(s) with JetStream, comma-separated (e.g. nats://127.0.0.1:4222)
  --port <n>        admin API port (default: $PORT, else 8080)
  --host <addr>     address to listen on (default 127.0.0.1)
  --id <id>         this control plane's id (default: <hostname>-<random>)
  --lease-ms <n>    a silent leader is replaced after this long (default 3000)
  --heartbeat-ms <n>  the hosts' heartbeat interval; a host silent for 3 is reaped (default 1000)
  --min-hosts <n>   distinct hosts each function is placed on (default 2)

The admin token is --token, else $JAEGIS_TOKEN, else the cluster's own (created once in NATS);
the deploy, list, logs, rm and rollback commands work against any control plane with --url.
  --trust <file|dir>  public keys whose artifact signatures are accepted (repeatable; docs/signing.md)
  --require-signed  refuse unsigned artifacts (needs --trust); a bad signature is refused either way
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values } = parse(argv, { nats: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, id: { type: 'string' }, 'lease-ms': { type: 'string' }, 'heartbeat-ms': { type: 'string' }, 'min-hosts': { type: 'string' }, trust: { type: 'string', multiple: true }, 'require-signed': { type: 'boolean', default: false } })
    if (!values.nats) throw new UsageError('--nats <url> is required')
    const port = intFlag('--port', values.port ?? ctx.env.PORT, 0, 65535) ?? 8080
    const cp = await startControlPlane({
      natsUrl: values.nats,
      port,
      host: values.host ?? '127.0.0.1',
      dataDir: dataDir(values, ctx),
      ...(values.token ? { token: values.token } : {}),
      ...(values.id ? { id: values.id } : {}),
      leaseMs: intFlag('--lease-ms', values['lease-ms'], 100, 600_000),
      heartbeatMs: intFlag('--heartbeat-ms', values['heartbeat-ms'], 50, 600_000),
      minHostsPerFunction: intFlag('--min-hosts', values['min-hosts'], 1, 1000),
      signatures: signaturePolicy(values, ctx),
    })
    ctx.out(`jaegis control ${cp.id} on ${cp.url} (nats: ${values.nats})\n`)
    if (cp.tokenCreated) ctx.out(`cluster admin token (created now, kept in NATS for every control plane; shown once):\n  ${cp.token}\n`)
    await untilSignal(ctx, () => cp.close())
    return 0
  },
}
