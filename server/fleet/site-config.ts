// The nats-server configuration of an edge site's leaf node and of the hub it joins (`jaegis site
// config`, docs/cluster.md "Edge sites"): each site is a leaf node with a JetStream domain of its own
// (named after the site), so that its buckets and streams keep working when the link to the hub is down.
import { JaegisError } from '@jaegis/runtime'
import { DEFAULT_HUB_DOMAIN } from '../jetstream/names.js'
import { checkSiteName } from './site.js'

/** Leaf node port on the hub, as NATS documents it. */
export const DEFAULT_LEAF_PORT = 7422

export interface LeafNodeConfigOptions {
  site: string
  /** The hub's leaf node URL(s): nats://host:7422 (nats-leaf://, tls:// too). */
  hubUrls: string[]
  /** @default "hub" */
  hubDomain?: string
  /** Where the site's hosts connect. @default "0.0.0.0:4222" */
  listen?: string
  /** @default "/var/lib/jaegis/nats-<site>" */
  storeDir?: string
}

export interface HubConfigOptions {
  /** Where control planes and hub hosts connect. @default "0.0.0.0:4222" */
  listen?: string
  /** Where sites' leaf nodes connect. @default "0.0.0.0:7422" */
  leafListen?: string
  /** @default "hub" */
  hubDomain?: string
  /** @default "/var/lib/jaegis/nats-hub" */
  storeDir?: string
}

const LISTEN_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

function checkListen(flag: string, v: string): string {
  const m = LISTEN_RE.exec(v)
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new JaegisError('BAD_REQUEST', `${flag} ${JSON.stringify(v)} is not <host>:<port>`)
  return v
}

function checkHubUrl(u: string): string {
  let url: URL
  try {
    url = new URL(u)
  } catch {
    throw new JaegisError('BAD_REQUEST', `--hub ${JSON.stringify(u)} is not a URL (nats://host:${DEFAULT_LEAF_PORT})`)
  }
  if (!['nats:', 'nats-leaf:', 'tls:'].includes(url.protocol) || !url.hostname) throw new JaegisError('BAD_REQUEST', `--hub ${JSON.stringify(u)} must be nats://, nats-leaf:// or tls:// with a host (the hub's leaf node port, usually ${DEFAULT_LEAF_PORT})`)
  if (url.username || url.password) throw new JaegisError('BAD_REQUEST', '--hub: put credentials in the leaf node configuration by hand (a credentials file), not in the URL printed here')
  return `${url.protocol}//${url.host}`
}

/** A nats.conf string literal (double-quoted, escaped). */
const str = (v: string) => JSON.stringify(v)

/** The leaf node configuration of site `site`. */
export function leafNodeConfig(o: LeafNodeConfigOptions): string {
  const hubDomain = o.hubDomain ?? DEFAULT_HUB_DOMAIN
  checkSiteName(o.site, hubDomain)
  if (o.hubUrls.length === 0) throw new JaegisError('BAD_REQUEST', `--hub <url> is required: the hub's leaf node URL (nats://<hub>:${DEFAULT_LEAF_PORT})`)
  const urls = o.hubUrls.map(checkHubUrl)
  const listen = checkListen('--listen', o.listen ?? '0.0.0.0:4222')
  return `# Jaegis edge site "${o.site}": a NATS leaf node with its own JetStream domain (docs/cluster.md).
# Run: nats-server -c <this file>. Hosts of the site: jaegis host --site ${o.site} --nats nats://<this machine>:${listen.split(':').pop()} ...
server_name: ${str(`jaegis-site-${o.site}`)}
listen: ${str(listen)}
jetstream {
  # The site's own domain: its mirrors and metrics stream live here and keep working offline.
  domain: ${str(o.site)}
  store_dir: ${str(o.storeDir ?? `/var/lib/jaegis/nats-${o.site}`)}
}
leafnodes {
  # The hub (JetStream domain ${str(hubDomain)}); the link is re-dialled every second while it is down.
  reconnect: 1
  remotes: [ { urls: [${urls.map(str).join(', ')}] } ]
}
`
}

/** The hub's configuration: JetStream in the hub's domain and a port for the sites' leaf nodes. */
export function hubConfig(o: HubConfigOptions = {}): string {
  const hubDomain = o.hubDomain ?? DEFAULT_HUB_DOMAIN
  checkSiteName('_', hubDomain) // the same name rule
  const listen = checkListen('--listen', o.listen ?? '0.0.0.0:4222')
  const leafListen = checkListen('--leaf-listen', o.leafListen ?? `0.0.0.0:${DEFAULT_LEAF_PORT}`)
  return `# Jaegis hub: control planes and hub hosts connect here; edge sites' leaf nodes join on the leaf port.
server_name: ${str('jaegis-hub')}
listen: ${str(listen)}
jetstream {
  domain: ${str(hubDomain)}
  store_dir: ${str(o.storeDir ?? '/var/lib/jaegis/nats-hub')}
}
leafnodes {
  listen: ${str(leafListen)}
}
`
}
