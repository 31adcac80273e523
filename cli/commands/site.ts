// jaegis site: prints the nats-server configuration of an edge site's leaf node (or of the hub it joins).
import { DEFAULT_LEAF_PORT, hubConfig, leafNodeConfig } from '@jaegis/server/fleet/site-config'
import { UsageError, type Command } from '../command.js'
import { GLOBAL_USAGE, parse } from '../options.js'

export const command: Command = {
  name: 'site',
  summary: "print the NATS leaf node configuration of an edge site (or of the hub): sites keep serving offline",
  usage: `Usage: jaegis site config <name> --hub <url> [--listen <host:port>] [--store-dir <dir>] [--hub-domain <d>]
       jaegis site hub-config [--listen <host:port>] [--leaf-listen <host:port>] [--store-dir <dir>] [--hub-domain <d>]

  config <name>        the leaf node of site <name> (its JetStream domain is <name>); run it with
                       nats-server -c <file> and start the site's hosts with jaegis host --site <name>
  --hub <url>          the hub's leaf node URL, nats://<hub>:${DEFAULT_LEAF_PORT} (repeatable)
  --listen <host:port> where hosts connect (default 0.0.0.0:4222)
  --leaf-listen <h:p>  hub-config: where sites' leaf nodes connect (default 0.0.0.0:${DEFAULT_LEAF_PORT})
  --store-dir <dir>    JetStream's store (default /var/lib/jaegis/nats-<name>, nats-hub)
  --hub-domain <d>     the hub's JetStream domain (default hub)

See docs/cluster.md, "Edge sites".
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { hub: { type: 'string', multiple: true }, listen: { type: 'string' }, 'leaf-listen': { type: 'string' }, 'store-dir': { type: 'string' }, 'hub-domain': { type: 'string' } })
    const [sub, name, ...extra] = positionals
    if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`)
    const common = { ...(values.listen ? { listen: values.listen } : {}), ...(values['store-dir'] ? { storeDir: values['store-dir'] } : {}), ...(values['hub-domain'] ? { hubDomain: values['hub-domain'] } : {}) }
    if (sub === 'config') {
      if (!name) throw new UsageError('a site name is required: jaegis site config <name> --hub <url>')
      ctx.out(leafNodeConfig({ site: name, hubUrls: values.hub ?? [], ...common }))
      return 0
    }
    if (sub === 'hub-config') {
      if (name) throw new UsageError(`unexpected argument ${JSON.stringify(name)}`)
      ctx.out(hubConfig({ ...common, ...(values['leaf-listen'] ? { leafListen: values['leaf-listen'] } : {}) }))
      return 0
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}" (config or hub-config)` : 'a subcommand is required: config or hub-config')
  },
}
