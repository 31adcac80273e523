// An edge cluster of real processes for the edge-site test and bench:edge: a hub nats-server (JetStream
// domain "hub", leaf node port), one control plane on it, and sites, each a leaf node with its own
// JetStream domain (configurations from `jaegis site config` / `hub-config`, server/fleet/site-config.ts)
// and its hosts (`jaegis host --site`). Where the machine allows network namespaces (bench/netns.ts),
// each site is one namespace (its leaf node and its hosts, on the namespace's address) joined to the
// hub's bridge by a veth: cutting a site takes its veth down (packets vanish). Otherwise everything is on
// loopback and a site's leaf reaches the hub through a TCP link that is cut by resetting it.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jetstreamManager } from '@nats-io/jetstream'
import { hubConfig, leafNodeConfig } from '@jaegis/server/fleet/site-config'
import { connect } from '@nats-io/transport-node'
import { DEPLOYMENTS_BUCKET, METRICS_STREAM, PLAN_BUCKET, SITE_DEPLOYMENTS_BUCKET, SITE_PLAN_BUCKET, siteMetricsStream } from '@jaegis/server/jetstream/names'
import { freePortBelow32768, startNatsServer, type NatsServerProcess } from './nats-server.js'
import { createNetnsLayout, netnsUnavailable, type NetnsHost, type NetnsLayout } from './netns.js'
import { startControl, startHost, type JaegisProcess } from './cluster-processes.js'
import { startTcpLink, type TcpLink } from './tcp-link.js'

export interface EdgeSiteSpec {
  name: string
  hosts: number
  /** --memory-mb of its hosts. @default 4096 */
  memoryMb?: number
}

export interface EdgeSite {
  name: string
  leaf: NatsServerProcess
  hosts: JaegisProcess[]
  net?: NetnsHost
  link?: TcpLink
  /** Cuts the site's link to the hub (veth down, or the TCP link reset), or restores it. */
  setLink(up: boolean): void
}

export interface EdgeCluster {
  hub: NatsServerProcess
  control: JaegisProcess
  sites: EdgeSite[]
  /** How the sites are apart: 'netns' or why not ('loopback: <reason>'). */
  mode: string
  hosts(): JaegisProcess[]
  siteOf(hostId: string): string
  destroy(): Promise<void>
}

export async function startEdgeCluster(specs: EdgeSiteSpec[], heartbeatMs: number): Promise<EdgeCluster> {
  const why = netnsUnavailable()
  const layout: NetnsLayout | undefined = why ? undefined : createNetnsLayout(specs.length)
  const hubHost = layout ? layout.gateway : '127.0.0.1'
  const hb = ['--heartbeat-ms', String(heartbeatMs)]
  const leafPort = await freePortBelow32768(hubHost)
  const hub = await startNatsServer({ host: hubHost, config: ({ host, port, storeDir }) => hubConfig({ listen: `${host}:${port}`, leafListen: `${host}:${leafPort}`, storeDir }) })
  const started: JaegisProcess[] = []
  const sites: EdgeSite[] = []
  const leaves: NatsServerProcess[] = []
  const links: TcpLink[] = []
  const destroy = async () => {
    await Promise.all(started.map((p) => p.kill('SIGKILL')))
    await Promise.all(leaves.map((l) => l.destroy()))
    await hub.destroy()
    await Promise.all(links.map((l) => l.close()))
    layout?.teardown()
  }
  try {
    const control = await startControl('c1', hub.url, [...hb, '--lease-ms', String(Math.max(1000, 4 * heartbeatMs))])
    started.push(control)
    for (const [i, spec] of specs.entries()) {
      const net = layout?.hosts[i]
      const link = net ? undefined : await startTcpLink(hubHost, leafPort)
      if (link) links.push(link)
      const hubLeafUrl = `nats://${hubHost}:${link ? link.port : leafPort}`
      const leafHost = net ? net.address : '127.0.0.1'
      const leaf = await startNatsServer({
        host: leafHost,
        port: await freePortBelow32768(),
        ...(net ? { netns: net.ns } : {}),
        config: ({ host, port, storeDir }) => leafNodeConfig({ site: spec.name, hubUrls: [hubLeafUrl], listen: `${host}:${port}`, storeDir }),
      })
      leaves.push(leaf)
      const extra = [...hb, '--site', spec.name, ...(spec.memoryMb ? ['--memory-mb', String(spec.memoryMb)] : [])]
      const hosts = await Promise.all(Array.from({ length: spec.hosts }, (_, j) => startHost(`${spec.name}${j + 1}`, leaf.url, spec.name, extra, net ? { netns: net.ns, address: net.address } : {})))
      started.push(...hosts)
      sites.push({ name: spec.name, leaf, hosts, ...(net ? { net } : {}), ...(link ? { link } : {}), setLink: (up) => (net ? net.setLink(up) : up ? link!.restore() : link!.cut()) })
    }
    return {
      hub,
      control,
      sites,
      mode: layout ? `netns (bridge ${layout.bridge} ${layout.gateway}/24; ${sites.map((s) => `site ${s.name}: ${s.net!.ns} ${s.net!.address}`).join(', ')})` : `loopback: ${why}`,
      hosts: () => sites.flatMap((s) => s.hosts),
      siteOf: (hostId) => sites.find((s) => s.hosts.some((h) => h.id === hostId))?.name ?? '',
      destroy,
    }
  } catch (err) {
    await destroy()
    throw err
  }
}

/**
 * A second version of `hello` that answers differently: lookup's program deployed under the name hello
 * (a copy of build/functions/lookup with the name changed). It answers `?n=27` with {"n":27,"steps":111}.
 */
export function helloVersion2(root: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'jaegis-hello-v2-'))
  cpSync(join(root, 'build', 'functions', 'lookup'), dir, { recursive: true })
  const meta = JSON.parse(readFileSync(join(dir, 'artifact.json'), 'utf8')) as { config: { name: string } }
  meta.config.name = 'hello'
  writeFileSync(join(dir, 'artifact.json'), JSON.stringify(meta))
  return dir
}
export const isHelloVersion2 = (body: string | undefined): boolean => body !== undefined && body.includes('"steps"')

/** What JetStream says about the sites' mirrors and the hub's sourcing (for a failure's message). */
export async function describeReplication(edge: EdgeCluster): Promise<string> {
  const out: string[] = []
  const line = async (url: string, label: string, names: string[]) => {
    const nc = await connect({ servers: url, timeout: 2_000, maxReconnectAttempts: 0 }) // a cut-off site does not answer: fail, never wait
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2_000 })
      for (const name of names) {
        const info = await jsm.streams.info(name).catch((err: Error) => err)
        if (info instanceof Error) {
          out.push(`${label} ${name}: ${info.message}`)
          continue
        }
        const rep = [info.mirror, ...(info.sources ?? [])].filter((x) => x !== undefined).map((s) => `${s!.name} lag ${s!.lag} active ${Math.round(s!.active / 1e6)} ms${s!.error ? ` error ${JSON.stringify(s!.error)}` : ''}`)
        out.push(`${label} ${name}: ${info.state.messages} msgs, last seq ${info.state.last_seq}; ${rep.join('; ')}`)
      }
    } finally {
      await nc.close()
    }
  }
  await line(edge.hub.url, 'hub', [METRICS_STREAM, `KV_${DEPLOYMENTS_BUCKET}`, `KV_${PLAN_BUCKET}`]).catch((err) => out.push(`hub: ${err}`))
  for (const s of edge.sites) await line(s.leaf.url, `site ${s.name}`, [siteMetricsStream(s.name), `KV_${SITE_DEPLOYMENTS_BUCKET}`, `KV_${SITE_PLAN_BUCKET}`]).catch((err) => out.push(`site ${s.name}: ${err}`))
  return out.join('\n')
}
