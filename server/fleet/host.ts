// `jaegis host`: a gateway and runtime (with lanes, as `jaegis serve` has them) that joins a cluster
// through NATS: registers in the hosts bucket, heartbeats on its subject, loads exactly what the plan
// gives it (artifacts from its disk cache or the object store, verified by digest) and forwards the rest.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { jetstream } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { JaegisError, isJaegisError, type Artifact, type RuntimeOptions, type SignaturePolicy } from '@jaegis/runtime'
import { applyHttpTimeouts, createGateway, defaultErrorLogger, sendError, type ErrorLogger } from '@jaegis/gateway'
import { TIERS, type Tier } from '@jaegis/scheduler'
import { API_PREFIX } from '../admin.js'
import { createControl } from '../control.js'
import { baseUrlOf, listen, urlFor } from '../server.js'
import { connectNats } from '../jetstream/connect.js'
import { DEFAULT_HUB_DOMAIN, HOST_ID_PATTERN, HOSTS_BUCKET, PLAN_BUCKET, PLAN_KEY, SUBJECT_TOKEN_RULE, SUSPECT_SUBJECT, heartbeatSubject, hostPingSubject } from '../jetstream/names.js'
import { JetStreamStore } from '../jetstream/store.js'
import { DiskArtifactCache } from './artifact-cache.js'
import { FORWARDED_HEADER, HttpForwarder, NOT_HERE_HEADER, SERVED_BY_HEADER, type Peer } from './forwarder.js'
import type { ClusterPlan, Heartbeat, HostRecord } from './records.js'
import { followKv } from '../jetstream/follow.js'
import type { Store } from '../store/store.js'
import { HubHandle, SiteMetricsBuffer, SiteStore, checkSiteName, checkSiteServer, mirrorsAheadOfHub, openSiteMirrors } from './site.js'

/** A function the plan gives a host that failed to load for want of the hub is tried again after this long, doubling up to the maximum, ms. */
const RELOAD_RETRY_MS = 1_000
const RELOAD_RETRY_MAX_MS = 30_000

export interface FleetHostOptions {
  natsUrl: string
  tier: Tier
  region: string
  /** Labels such as `gpu`. @default none */
  labels?: string[]
  /** Memory this host offers functions, MiB. @default 4096 */
  memoryMb?: number
  /** Gateway port; 0 picks a free one. @default 8080 */
  port?: number
  /** @default "127.0.0.1" */
  host?: string
  /** URL other hosts reach this one at. @default the address it listens on; on 0.0.0.0 or ::, see `advertisedUrl` */
  advertiseUrl?: string
  /** Local data: artifact cache, upload spool. @default "./.jaegis" */
  dataDir?: string
  /** @default <hostname>-<random> */
  id?: string
  /** Heartbeat interval, ms (the control plane reaps after 3 missed). @default 1000 */
  heartbeatMs?: number
  /** Worker-thread lanes (runtime's `lanes` option). @default true */
  lanes?: RuntimeOptions['lanes']
  /**
   * Which artifact signatures this host accepts (docs/signing.md): the runtime checks every artifact
   * the plan gives it before compiling it, so a host with `requireSigned` never runs an unsigned or
   * untrusted one, whatever a control plane accepted. @default {} (a signature present must verify)
   */
  signatures?: SignaturePolicy
  maxInflight?: number
  onError?: ErrorLogger
  /** Bucket/subject prefix (tests). @default "" */
  prefix?: string
  /**
   * The edge site this host belongs to: `natsUrl` is then the site's leaf node, whose JetStream domain is
   * the site's name (docs/cluster.md, "Edge sites"). The host reads the site's mirrors, keeps serving
   * with the hub unreachable and buffers its metrics in the site's JetStream. @default none (a hub host)
   */
  site?: string
  /** The hub's JetStream domain, for a site host. @default "hub" */
  hubDomain?: string
}

export interface FleetHost {
  id: string
  url: string
  port: number
  /** Functions this host serves now, with their digests. */
  loaded(): Record<string, string>
  /** The plan epoch applied last. */
  epoch(): number
  /** A site host: whether its site's leaf reaches the hub now (always true for a hub host). */
  online(): boolean
  close(): Promise<void>
}

/**
 * The URL a host listening on `addr` tells other hosts to forward to (when it is not given one): the
 * address it listens on, or, listening on every address (0.0.0.0, ::), this machine's (or network
 * namespace's) first IPv4 address that is not loopback. Never 127.0.0.1 while another address exists:
 * another host's 127.0.0.1 is that host itself. Only a machine with nothing but loopback gets 127.0.0.1.
 */
export function advertisedUrl(addr: Pick<AddressInfo, 'address' | 'family' | 'port'>, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  if (addr.address !== '0.0.0.0' && addr.address !== '::') return urlFor(addr.address, addr.family, addr.port).url.replace('//localhost:', '//127.0.0.1:')
  const external = Object.values(interfaces).flatMap((list) => list ?? []).find((i) => i.family === 'IPv4' && !i.internal)
  return `http://${external?.address ?? '127.0.0.1'}:${addr.port}`
}

export async function startFleetHost(o: FleetHostOptions): Promise<FleetHost> {
  if (!TIERS.includes(o.tier)) throw new JaegisError('BAD_REQUEST', `tier must be one of ${TIERS.join(', ')}`)
  const onError = o.onError ?? defaultErrorLogger
  const id = o.id ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '')}-${randomBytes(3).toString('hex')}`
  if (!HOST_ID_PATTERN.test(id)) throw new JaegisError('BAD_REQUEST', `host id ${JSON.stringify(id)} must be ${SUBJECT_TOKEN_RULE}`)
  const site = o.site
  const hubDomain = o.hubDomain ?? DEFAULT_HUB_DOMAIN
  if (site !== undefined) checkSiteName(site, hubDomain)
  const prefix = o.prefix ?? ''
  const heartbeatMs = o.heartbeatMs ?? 1000
  const memoryMb = o.memoryMb ?? 4096
  const dataDir = resolve(o.dataDir ?? '.jaegis')

  const nc = await connectNats(o.natsUrl, { name: `jaegis-host ${id}` })
  // A hub host uses the hub's buckets directly. A site host reads the site's mirrors of them (they work
  // with the hub gone) and writes its registration to the hub's bucket through the hub's domain.
  let store: Store
  let hostsKv: KV
  let planKv: KV
  let hubHosts: HubHandle<KV>
  let deploymentsMirror: KV | undefined
  let metricsBuffer: SiteMetricsBuffer | undefined
  if (site === undefined) {
    const kvm = new Kvm(jetstream(nc))
    store = await JetStreamStore.open(nc, { prefix })
    hostsKv = await kvm.create(prefix + HOSTS_BUCKET, { history: 1 })
    planKv = await kvm.create(prefix + PLAN_BUCKET, { history: 1 })
    const kv = hostsKv
    hubHosts = new HubHandle(async () => kv)
  } else {
    await checkSiteServer(nc, site, o.natsUrl).catch(async (err) => {
      await nc.close()
      throw err
    })
    const mirrors = await openSiteMirrors(nc, hubDomain, prefix)
    store = new SiteStore(mirrors.deployments, nc, site, hubDomain, prefix)
    hostsKv = mirrors.hosts
    planKv = mirrors.plan
    deploymentsMirror = mirrors.deployments
    hubHosts = new HubHandle(() => new Kvm(jetstream(nc, { domain: hubDomain })).open(prefix + HOSTS_BUCKET))
    metricsBuffer = await SiteMetricsBuffer.open(nc, site, id, prefix)
  }
  const cache = new DiskArtifactCache(join(dataDir, 'artifacts'))

  // The serve-mode parts around one runtime: logs to the cluster's log stream, metrics, the autoscaler
  // (pool targets per host), keys. The admin API is the control plane's, not the host's.
  const control = await createControl({ dataDir, store, token: randomBytes(24).toString('base64url') /* no admin API here: a token nobody knows */, onError, autoscale: true, signatures: o.signatures ?? {} }, { lanes: o.lanes ?? true })
  const { runtime, metrics } = control
  const gateway = createGateway(runtime, { maxInflight: o.maxInflight, onError, checkKey: (name, key) => control.keys.get(name) === key, onReject: (name, code) => metrics.gatewayError(name, code) })

  const peers = new Map<string, Peer>()
  let plan: ClusterPlan | undefined
  let closed = false
  let inflight = 0
  let demand: Record<string, number> = {}
  /** Function -> invocations this host ran since the last heartbeat (a site host's metrics record). */
  let served: Record<string, number> = {}
  /** A site host: whether the site's leaf reaches the hub's JetStream (probed every heartbeat). */
  let online = site === undefined
  /** Applies the current plan again (a deployment changed, the link came back); set once the plan is followed. */
  let reapply = (): void => {}
  const forwarder = new HttpForwarder({
    selfId: id,
    selfRegion: o.region,
    placed: (name) => plan?.functions[name]?.hosts ?? [],
    peer: (pid) => peers.get(pid),
    onPeerDown: (pid) => nc.publish(prefix + SUSPECT_SUBJECT, pid),
    // A site cut off from the hub forwards only inside itself: other sites are not reachable through
    // the hub and may not be reachable at all.
    allowed: (peer) => online || peer.site === site,
    onError,
  })

  const server: Server = createServer({ keepAlive: true }, (req, res) => handle(req, res))
  applyHttpTimeouts(server)
  await listen(server, o.port ?? 8080, o.host ?? '127.0.0.1')
  const { port } = baseUrlOf(server)
  const url = o.advertiseUrl ?? advertisedUrl(server.address() as AddressInfo)
  control.setBaseUrl(url)

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const target = gateway.core.target(req.url ?? '/')
    if (target) {
      demand[target.name] = (demand[target.name] ?? 0) + 1
      inflight++
      res.once('close', () => inflight--)
      if (runtime.has(target.name)) {
        res.setHeader(SERVED_BY_HEADER, id)
        if (site !== undefined) served[target.name] = (served[target.name] ?? 0) + 1
        gateway(req, res)
        return
      }
      if (!plan?.functions[target.name]) {
        if (!online) {
          // Offline, "not in our plan" may only mean "deployed after the link went down": not a 404.
          req.resume()
          sendError(res, new JaegisError('UNAVAILABLE', `function "${target.name}" is not held at site "${site}", and the site cannot reach the hub right now to find it elsewhere; retry later`), onError)
          return
        }
        gateway(req, res) // a function the plan does not know (never deployed, or removed): the gateway's 404
        return
      }
      if (req.headers[FORWARDED_HEADER] !== undefined) {
        // Forwarded by a host whose plan is older or newer than ours: it tries the next placed host.
        req.resume()
        res.setHeader(NOT_HERE_HEADER, id)
        forwarder.noHost(target.name, res)
        return
      }
      if (!online && forwarder.candidates(target.name).length === 0) {
        req.resume()
        const elsewhere = (plan.functions[target.name]?.hosts ?? []).map((h) => `${h}${peers.get(h)?.site ? ` (site ${peers.get(h)!.site})` : ''}`).join(', ')
        sendError(res, new JaegisError('UNAVAILABLE', `function "${target.name}" is not held at site "${site}" (it is placed on ${elsewhere || 'no host'}), and the site is cut off from the hub, so requests stay inside it; retry later`), onError)
        return
      }
      forwarder.forward(target.name, req, res).catch((err) => sendError(res, err, onError))
      return
    }
    if ((req.url ?? '').startsWith(API_PREFIX)) {
      req.resume()
      sendError(res, new JaegisError('NOT_FOUND', 'a host has no admin API: use the control plane (jaegis control) for deploys, lists and logs'), onError)
      return
    }
    control.handle(req, res)
  }

  // Registration, kept while the host lives: if the reaper deleted it (a pause, a partition), the host registers again.
  const record: HostRecord = { id, tier: o.tier, region: o.region, labels: o.labels ?? [], memoryMb, url, startedAtMs: Date.now(), ...(site !== undefined ? { site } : {}) }
  let registered = false
  let registering = false
  const register = async () => {
    if (registering) return
    registering = true
    try {
      await (await hubHosts.get()).put(id, JSON.stringify(record))
      registered = true
    } catch (err) {
      registered = false
      if (site === undefined) onError('register', err) // a site host tries again every heartbeat until it lands
    } finally {
      registering = false
    }
  }
  const hostsWatch = await hostsKv.watch()
  followKv<HostRecord>(hostsWatch, 'hosts-watch', {
    put(r) {
      const had = peers.get(r.id)
      if (had && had.url !== r.url) forwarder.forget(r.id)
      peers.set(r.id, { id: r.id, url: r.url, region: r.region, ...(r.site !== undefined ? { site: r.site } : {}) })
    },
    delete(key) {
      peers.delete(key)
      forwarder.forget(key)
      if (key === id && !closed) void register()
    },
  }, onError, () => closed)
  if (site === undefined) await register()
  else void register() // the hub may be unreachable: the host starts on what its site holds

  // Liveness for the leader's fast check: while this subscription exists, NATS has a responder.
  const pingSub = nc.subscribe(prefix + hostPingSubject(id), { callback: (_e, m) => void m.respond(id) })

  let seq = 0
  const beat = () => {
    const loaded: Record<string, string> = {}
    const warm: Record<string, number> = {}
    const stats = runtime.stats().functions
    let usedMb = 0
    for (const f of runtime.list()) {
      loaded[f.name] = f.digest
      warm[f.name] = (stats[f.name]?.pool.ready ?? 0) + (stats[f.name]?.pool.dirty ?? 0)
      usedMb += (runtime.config(f.name)?.limits.memoryBytes ?? 0) / 1048576
    }
    const hb: Heartbeat = { id, seq: ++seq, sentAtMs: Date.now(), inflight, freeMemoryMb: Math.max(0, memoryMb - usedMb), loaded, warm, demand }
    demand = {}
    nc.publish(prefix + heartbeatSubject(id), JSON.stringify(hb))
    if (metricsBuffer) {
      metricsBuffer.record(served)
      served = {}
      void probeHub()
      if (online && !registered) void register() // e.g. the hub came up before its control plane made the hosts bucket
    }
  }
  /** A site host asks the hub's JetStream for its account info: "no responders" or a timeout means the site's link is down. */
  let probing = false
  const probeHub = async () => {
    if (probing || closed) return
    probing = true
    const up = await nc.request(`$JS.${hubDomain}.API.INFO`, '', { timeout: Math.min(1000, Math.max(200, heartbeatMs)) }).then(() => true, () => false)
    probing = false
    if (up === online || closed) return
    online = up
    if (!up) {
      onError('site', new JaegisError('UNAVAILABLE', `site "${site}" lost its link to the hub: serving what it holds, forwarding inside the site, buffering metrics`))
      return
    }
    // Back: register again at once (reaped meanwhile, or a hub that returned without our record), and
    // re-apply the newest plan.
    await register()
    reapply()
    // A hub that returned with less than it had (store lost, restored from an older copy): the site's
    // mirrors cannot follow it. Said loudly; what to do is in docs/cluster.md ("Edge sites").
    const ahead = await mirrorsAheadOfHub(nc, hubDomain, prefix).catch(() => [])
    if (ahead.length) {
      onError('site', new JaegisError('CONFLICT', `site "${site}": the hub returned with less state than the site mirrored (${ahead.join('; ')}); the site keeps serving what it holds but will not follow the hub until its mirrors are rebuilt (docs/cluster.md, "Edge sites")`))
    }
  }
  beat()
  const hbTimer = setInterval(beat, heartbeatMs)

  // The plan: apply the newest one; applications never overlap (a newer plan waits for the current one).
  let applying = Promise.resolve()
  let appliedEpoch = 0
  let retryMs = RELOAD_RETRY_MS
  /** The deployment version each loaded function runs: a new version may keep the digest (a new config or signature). */
  const loadedVersion = new Map<string, number>()
  const apply = async (p: ClusterPlan) => {
    if (closed) return
    const mine = new Map<string, { digest: string; version: number }>()
    let failed = false
    if (site === undefined || !p.siteHosts || p.siteHosts.includes(id)) {
      for (const [name, f] of Object.entries(p.functions)) if (f.hosts.includes(id)) mine.set(name, f)
    } else {
      // A plan made while this host was not registered (its site was cut off and it was reaped): keep
      // what it holds, at the version the deployments bucket says now (removed: dropped; rolled back:
      // the older version), until a plan that includes this host arrives.
      for (const f of runtime.list()) {
        const d = await store.getDeployment(f.name)
        const v = d?.versions.find((x) => x.version === d.current)
        if (v) mine.set(f.name, { digest: v.digest, version: v.version })
      }
    }
    for (const f of runtime.list()) {
      if (!mine.has(f.name)) {
        runtime.unload(f.name)
        loadedVersion.delete(f.name)
        await control.refreshKeys(f.name)
      }
    }
    for (const [name, want] of mine) {
      if (loadedVersion.get(name) === want.version && runtime.list().some((f) => f.name === name && f.digest === want.digest)) continue
      try {
        const artifact = await fetchArtifact(want.digest)
        const d = await store.getDeployment(name)
        const version = d?.versions.find((v) => v.version === want.version)
        // The version's own config and signature: one stored artifact (by digest) may serve versions
        // deployed with other configs, signed or not, and the runtime checks the signature it is given.
        const { signature: stored, ...meta } = artifact.meta
        const signature = version ? version.signature : stored
        // Signature check, metering and compiling run off the gateway thread (prepareAsync).
        runtime.activate(await runtime.prepareAsync({ ...artifact, meta: { ...meta, config: version?.config ?? artifact.meta.config, ...(signature ? { signature } : {}) } }))
        await runtime.synced()
        loadedVersion.set(name, want.version)
        await control.refreshKeys(name)
      } catch (err) {
        onError(`load ${name}`, err)
        // Out of reach (a site cut off, the store unreachable) is worth another try; a refused artifact is not.
        if (!isJaegisError(err) || err.code === 'UNAVAILABLE') failed = true
      }
    }
    appliedEpoch = p.epoch
    // A load that failed (the hub's artifact store out of reach, say) is tried again, not left until the plan changes.
    if (failed && !closed) {
      setTimeout(() => reapply(), retryMs).unref()
      retryMs = Math.min(RELOAD_RETRY_MAX_MS, retryMs * 2)
    } else retryMs = RELOAD_RETRY_MS
  }
  /** The artifact for `digest`: the disk cache when it verifies, else the object store (verified) into the cache. */
  const fetchArtifact = async (digest: string): Promise<Artifact> => {
    const cached = await cache.get(digest)
    if (cached) return cached
    const fetched = await store.getArtifact(digest)
    if (!fetched) throw new JaegisError('NOT_FOUND', `artifact ${digest} is not in the object store`)
    await cache.put(fetched)
    return fetched
  }
  const planWatch = await planKv.watch({ key: PLAN_KEY })
  followKv<ClusterPlan>(planWatch, 'plan-watch', {
    put(next) {
      plan = next
      applying = applying.then(() => (plan === next ? apply(next) : undefined)).catch((err) => onError('apply-plan', err))
    },
  }, onError, () => closed)
  // Calls arriving while a re-application waits make one.
  let reapplyQueued = false
  reapply = () => {
    if (reapplyQueued) return
    reapplyQueued = true
    applying = applying.then(() => {
      reapplyQueued = false
      return plan ? apply(plan) : undefined
    }).catch((err) => onError('apply-plan', err))
  }
  // A site host follows its site's deployments mirror: a version deployed, rolled back or removed while
  // the host is out of the plan (see apply) reaches it from there.
  const deploymentsWatch = deploymentsMirror ? await deploymentsMirror.watch() : undefined
  if (deploymentsWatch) followKv<unknown>(deploymentsWatch, 'deployments-watch', { put: () => reapply(), delete: () => reapply() }, onError, () => closed)
  control.driver?.start()

  return {
    id,
    url,
    port,
    loaded: () => Object.fromEntries(runtime.list().map((f) => [f.name, f.digest])),
    epoch: () => appliedEpoch,
    online: () => online,
    async close() {
      closed = true
      clearInterval(hbTimer)
      control.driver?.stop()
      control.recorder.stop()
      pingSub.unsubscribe()
      hostsWatch.stop()
      planWatch.stop()
      deploymentsWatch?.stop()
      // A clean leave: re-planned at once, no reap wait (a site host offline cannot tell the hub: it is reaped later).
      await Promise.race([hubHosts.get().then((kv) => kv.delete(id)).catch(() => {}), new Promise((r) => setTimeout(r, 2_000).unref())])
      await metricsBuffer?.flush()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await forwarder.close()
      await control.logs.close()
      runtime.close()
      await nc.drain().catch(() => {})
    },
  }
}
