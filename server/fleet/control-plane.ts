// `jaegis control`: the admin API (the routes, token and CLI of `jaegis serve`) on the JetStream store,
// plus, on the one control plane holding the lease, the cluster's reaper and placer. Every control
// plane folds heartbeats and watches the buckets, so a standby that takes over already knows the fleet.
// Not to be confused with server/cluster/ (node:cluster gateway workers of one `jaegis serve`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { jetstream } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { JaegisError, type SignaturePolicy } from '@jaegis/runtime'
import { defaultErrorLogger, sendError, type ErrorLogger } from '@jaegis/gateway'
import type { PlacementPlan } from '@jaegis/scheduler'
import { API_PREFIX } from '../admin.js'
import { bearer, secretEquals } from '../auth.js'
import { createControl, type Control } from '../control.js'
import { baseUrlOf, listen } from '../server.js'
import { connectNats } from '../jetstream/connect.js'
import { CONTROL_BUCKET, DEPLOYMENTS_BUCKET, HOSTS_BUCKET, PLAN_BUCKET, PLAN_KEY } from '../jetstream/names.js'
import { JetStreamStore } from '../jetstream/store.js'
import type { Deployment } from '../store/store.js'
import { LeaderLease } from './lease.js'
import { HostRegistry } from './host-registry.js'
import { planCluster, type PlannedDeployment } from './planner.js'
import type { ClusterPlan, HostRecord } from './records.js'
import { followKv } from '../jetstream/follow.js'
import { SiteMetricsIntake } from './site-metrics.js'

export interface ControlPlaneOptions {
  /** NATS server URL(s), comma-separated. */
  natsUrl: string
  /** Admin API port; 0 picks a free one. @default 8080 */
  port?: number
  /** @default "127.0.0.1" */
  host?: string
  /** Local data directory (upload spool). @default "./.jaegis" */
  dataDir?: string
  /** Admin token; else $JAEGIS_TOKEN; else the cluster's, created once in the control bucket. */
  token?: string
  /** Control plane id (leader lease holder). @default <hostname>-<random> */
  id?: string
  /** Lease time: a silent leader is replaced after this long, ms. @default 3000 */
  leaseMs?: number
  /** Heartbeat interval the hosts use, ms; a host silent for 3 intervals is reaped. @default 1000 */
  heartbeatMs?: number
  /** Distinct hosts each function is placed on (fewer when fewer are alive). @default 2 */
  minHostsPerFunction?: number
  /** Which artifact signatures an upload must carry (docs/signing.md), checked before anything is stored. @default {} */
  signatures?: SignaturePolicy
  onError?: ErrorLogger
  /** Bucket/subject prefix: several clusters on one NATS server (tests). @default "" */
  prefix?: string
}

export interface ControlPlane {
  id: string
  url: string
  port: number
  token: string
  /** True when this control plane created the cluster's token (print it once). */
  tokenCreated: boolean
  readonly isLeader: boolean
  /** Hosts known with their last heartbeat (local clock, ms). */
  hosts(): Array<HostRecord & { lastSeenMs: number }>
  /** The plan this process published last (leader) or saw last. */
  plan(): ClusterPlan | undefined
  /** Stops: releases the lease (a standby takes over at once), closes the API and the connection. */
  close(): Promise<void>
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const onError = options.onError ?? defaultErrorLogger
  const id = options.id ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '')}-${randomBytes(3).toString('hex')}`
  const prefix = options.prefix ?? ''
  const heartbeatMs = options.heartbeatMs ?? 1000
  const nc = await connectNats(options.natsUrl, { name: `jaegis-control ${id}` })
  const kvm = new Kvm(jetstream(nc))
  const store = await JetStreamStore.open(nc, { prefix })
  const hostsKv = await kvm.create(prefix + HOSTS_BUCKET, { history: 1 })
  const controlKv = await kvm.create(prefix + CONTROL_BUCKET, { history: 1 })
  const planKv = await kvm.create(prefix + PLAN_BUCKET, { history: 1 })
  const deploymentsKv = await kvm.open(prefix + DEPLOYMENTS_BUCKET)
  const { token, created: tokenCreated } = await clusterToken(controlKv, options.token ?? process.env.JAEGIS_TOKEN)

  const control: Control = await createControl({ dataDir: options.dataDir, store, token, autoscale: false, onError, signatures: options.signatures ?? {} }, { lanes: false })
  const server: Server = createServer({ keepAlive: true }, (req, res) => handle(req, res))
  await listen(server, options.port ?? 8080, options.host ?? '127.0.0.1')
  const { url, port } = baseUrlOf(server)
  control.setBaseUrl(url)

  // What every control plane keeps up to date, leader or not.
  const deployments = new Map<string, PlannedDeployment>()
  /** Function -> region -> invocations, from the latest heartbeat of each host. */
  let lastPlan: ClusterPlan | undefined
  let placement: PlacementPlan | undefined
  let closed = false

  const lease = new LeaderLease(controlKv, { id, url, sinceMs: Date.now() }, {
    leaseMs: options.leaseMs,
    onError,
    onChange: (leading) => {
      if (!leading) return
      registry.forgive() // a new leader gives every registered host a full reap interval before judging it
      sourceSites()
      void loadPlan().then(() => replan('leader elected', Date.now()))
    },
  })

  const loadPlan = async () => {
    const e = await planKv.get(PLAN_KEY).catch(() => null)
    if (e && e.operation === 'PUT') lastPlan = e.json<ClusterPlan>()
  }

  // Re-planning is batched: many events within a few ms make one plan.
  let pending: { reason: string; causeAtMs: number } | undefined
  let timer: NodeJS.Timeout | undefined
  let planning = Promise.resolve()
  const schedule = (reason: string, causeAtMs: number) => {
    if (!lease.isLeader) return
    if (!pending) pending = { reason, causeAtMs }
    else {
      pending.causeAtMs = Math.min(pending.causeAtMs, causeAtMs)
      // Every reason of the batch, up to a few (a fleet-wide event would otherwise make a huge string).
      const n = pending.reason.split('; ').length
      if (n < 4) pending.reason += `; ${reason}`
      else if (n === 4) pending.reason += '; ...'
    }
    if (!timer) timer = setTimeout(() => {
      timer = undefined
      const p = pending!
      pending = undefined
      planning = planning.then(() => replan(p.reason, p.causeAtMs)).catch((err) => onError('replan', err))
    }, 5)
  }
  const replan = async (reason: string, causeAtMs: number) => {
    if (!lease.isLeader || closed) return
    const demand = new Map<string, Map<string, number>>()
    for (const h of hosts.values()) {
      for (const [fn, n] of Object.entries(h.hb?.demand ?? {})) {
        let m = demand.get(fn)
        if (!m) demand.set(fn, (m = new Map()))
        m.set(h.record.region, (m.get(h.record.region) ?? 0) + n)
      }
    }
    const out = planCluster({ hosts: [...hosts.values()].map((h) => h.record), deployments: [...deployments.values()], demand, minHosts: options.minHostsPerFunction, ...(placement ? { previous: placement } : {}) })
    placement = out.placement
    const siteHosts = [...hosts.values()].filter((h) => h.record.site !== undefined).map((h) => h.record.id)
    const plan: ClusterPlan = { epoch: (lastPlan?.epoch ?? 0) + 1, leader: id, publishedAtMs: Date.now(), reason, causeAtMs, functions: out.functions, ...(siteHosts.length ? { siteHosts } : {}) }
    await planKv.put(PLAN_KEY, JSON.stringify(plan))
    lastPlan = plan
  }


  // Edge sites' buffered metrics: the leader makes the hub's stream source every registered site's.
  const siteMetrics = new SiteMetricsIntake(nc, { controlId: id, prefix, onError })
  const sourceSites = () => {
    if (!lease.isLeader) return
    const sites = [...hosts.values()].flatMap((h) => (h.record.site !== undefined ? [h.record.site] : []))
    siteMetrics.sourceSites(sites).catch((err) => onError('site-metrics-sources', err))
  }
  const registry = new HostRegistry(nc, hostsKv, {
    prefix,
    heartbeatMs,
    isLeader: () => lease.isLeader,
    onChange: (reason, at) => {
      schedule(reason, at)
      sourceSites()
    },
    onError,
  })
  const hosts = registry.hosts
  await registry.start()
  siteMetrics.start()

  // Deployments: the leader re-plans when one changes.
  const deploymentsWatch = await deploymentsKv.watch()
  followKv<Deployment>(deploymentsWatch, 'deployments-watch', {
    put(d, key) {
      const v = d.versions.find((x) => x.version === d.current)
      if (!v) return
      deployments.set(d.name, { name: d.name, digest: v.digest, version: v.version, memoryMb: Math.ceil(v.config.limits.memoryBytes / 1048576) })
      schedule(`deployment ${key} changed`, Date.now())
    },
    delete(key) {
      deployments.delete(key)
      schedule(`deployment ${key} changed`, Date.now())
    },
  }, onError, () => closed)


  lease.start()

  /** GET /_api/v1/cluster: leader, this control plane, hosts with last_seen, the plan's epoch. */
  const clusterRoute = (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    const presented = bearer(req.headers.authorization)
    if (!presented || !secretEquals(presented, token)) throw new JaegisError('UNAUTHORIZED', 'the admin API needs "Authorization: Bearer <token>"')
    const now = Date.now()
    const body = {
      id,
      leader: lease.isLeader,
      plan: lastPlan ? { epoch: lastPlan.epoch, leader: lastPlan.leader, reason: lastPlan.reason, publishedAtMs: lastPlan.publishedAtMs, causeAtMs: lastPlan.causeAtMs, functions: lastPlan.functions } : null,
      hosts: [...hosts.values()].map((h) => ({ ...h.record, last_seen_ms_ago: now - h.lastSeenMs, inflight: h.hb?.inflight ?? 0, loaded: h.hb?.loaded ?? {} })),
      site_metrics: siteMetrics.view(),
    }
    const text = JSON.stringify(body, null, 2) + '\n'
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  function handle(req: IncomingMessage, res: ServerResponse) {
    try {
      if (req.url === `${API_PREFIX}cluster` && req.method === 'GET') return clusterRoute(req, res)
      control.handle(req, res)
    } catch (err) {
      sendError(res, err, onError)
    }
  }

  return {
    id,
    url,
    port,
    token,
    tokenCreated,
    get isLeader() {
      return lease.isLeader
    },
    hosts: () => [...hosts.values()].map((h) => ({ ...h.record, lastSeenMs: h.lastSeenMs })),
    plan: () => lastPlan,
    async close() {
      closed = true
      registry.stop()
      siteMetrics.close()
      clearTimeout(timer)
      await lease.stop()
      deploymentsWatch.stop()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      control.recorder.stop()
      await control.logs.close()
      control.runtime.close()
      await nc.drain().catch(() => {})
    },
  }
}

/**
 * The cluster's admin token, in the control bucket: the first control plane creates it (its --token or
 * $JAEGIS_TOKEN, else a random one; compare-and-set), the others read it. An explicit token wins locally.
 */
async function clusterToken(kv: KV, explicit: string | undefined): Promise<{ token: string; created: boolean }> {
  const e = await kv.get('admin-token')
  if (e && e.operation === 'PUT') return { token: explicit ?? e.string(), created: false }
  const token = explicit ?? `jgs_${randomBytes(24).toString('base64url')}`
  try {
    await kv.create('admin-token', token)
    return { token, created: explicit === undefined }
  } catch {
    return { token: explicit ?? (await kv.get('admin-token'))!.string(), created: false } // another control plane created it first
  }
}
