// An edge site as its hosts see it: a NATS leaf node whose JetStream domain is the site's name, joined
// to the hub (docs/cluster.md, "Edge sites"). A site host reads mirrors of the hub's deployments, hosts
// and plan buckets kept in the site's domain (so it keeps working with the hub gone), reaches the hub's
// domain only for what the hub alone has (artifacts not yet on its disk, its registration, log lines),
// and buffers its metrics in a stream of the site's domain that the hub sources when the link is up.
import type { NatsConnection } from '@nats-io/nats-core'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { JaegisError, isJaegisError, type Artifact } from '@jaegis/runtime'
import type { Deployment, LogRecord, Store } from '../store/store.js'
import { JetStreamStore } from '../jetstream/store.js'
import {
  DEPLOYMENTS_BUCKET, HOSTS_BUCKET, PLAN_BUCKET, SITE_DEPLOYMENTS_BUCKET, SITE_HOSTS_BUCKET, SITE_METRICS_MAX_AGE_MS, SITE_METRICS_MAX_BYTES, SITE_NAME_PATTERN,
  SITE_PLAN_BUCKET, SUBJECT_TOKEN_RULE, siteMetricsStream, siteMetricsSubject,
} from '../jetstream/names.js'
import { FUNCTION_NAME_PATTERN } from '@jaegis/artifact'
import { siteMetricsMsgId, type SiteMetricsRecord } from './records.js'

/** Checks a site name (and that it is not the hub's domain); the one check the CLI and the host share. */
export function checkSiteName(site: string, hubDomain: string): void {
  if (!SITE_NAME_PATTERN.test(site)) throw new JaegisError('BAD_REQUEST', `site name ${JSON.stringify(site)} is not valid: a site name is its leaf node's JetStream domain and must be ${SUBJECT_TOKEN_RULE}`)
  if (!SITE_NAME_PATTERN.test(hubDomain)) throw new JaegisError('BAD_REQUEST', `hub domain ${JSON.stringify(hubDomain)} is not valid: it must be ${SUBJECT_TOKEN_RULE}`)
  if (site === hubDomain) throw new JaegisError('BAD_REQUEST', `site name "${site}" is the hub's JetStream domain; a site needs a domain of its own`)
}

/**
 * What the hub's domain answers a site whose link is down: "no responders", a timeout, or, for a
 * bucket opened through the leaf, the misleading "jetstream is not enabled". All become one clear
 * UNAVAILABLE (503) error; anything else stays internal.
 */
export function hubUnavailable(site: string, hubDomain: string, what: string, err: unknown): JaegisError {
  if (isJaegisError(err)) return err
  const msg = String((err as Error)?.message ?? err)
  if (/jetstream is not enabled|no responders|timeout|timed out|503|disconnect|closed/i.test(msg)) {
    return new JaegisError('UNAVAILABLE', `site "${site}" cannot reach the hub (JetStream domain "${hubDomain}") for ${what}: its leaf node's link to the hub is down or the hub is not running`, { cause: err })
  }
  return new JaegisError('INTERNAL', `the hub refused ${what}: ${msg}`, { cause: err, expose: false })
}

/**
 * Checks that `nc` is connected to site `site`'s leaf node: its JetStream domain must be the site's name.
 * A site host pointed at the hub, at another site's leaf, or at a server without JetStream would read
 * the wrong mirrors (or none) and look healthy until the first outage: refuse it at start instead.
 */
export async function checkSiteServer(nc: NatsConnection, site: string, natsUrl: string): Promise<void> {
  let domain: string | undefined
  try {
    domain = (await (await jetstreamManager(nc)).getAccountInfo()).domain
  } catch (err) {
    throw new JaegisError('BAD_REQUEST', `the NATS server at ${natsUrl} has no JetStream for site "${site}": run the site's leaf node with jaegis site config ${site} (${(err as Error).message})`, { cause: err })
  }
  if (domain !== site) {
    throw new JaegisError('BAD_REQUEST', `the NATS server at ${natsUrl} is ${domain ? `in JetStream domain "${domain}"` : 'not in a JetStream domain'}, not site "${site}": --nats of a --site host must be its site's leaf node (jaegis site config ${site})`)
  }
}

export interface SiteMirrors {
  deployments: KV
  hosts: KV
  plan: KV
}

/**
 * The site's mirrors of the hub's deployments, hosts and plan buckets (created by the first host that
 * needs them; the leaf node keeps them on disk). Works with the hub unreachable: the mirrors fill in
 * when the link comes up, and resume from where they stopped after an outage.
 */
export async function openSiteMirrors(nc: NatsConnection, hubDomain: string, prefix = ''): Promise<SiteMirrors> {
  // Always `create`: it binds to an existing mirror too, and only a bucket opened that way reads a
  // mirror correctly (`open` does not learn that the keys live under the origin bucket's subjects).
  const kvm = new Kvm(jetstream(nc))
  const mirror = (local: string, origin: string, history: number) => kvm.create(prefix + local, { history, mirror: { name: prefix + origin, domain: hubDomain } })
  const [deployments, hosts, plan] = await Promise.all([mirror(SITE_DEPLOYMENTS_BUCKET, DEPLOYMENTS_BUCKET, 5), mirror(SITE_HOSTS_BUCKET, HOSTS_BUCKET, 1), mirror(SITE_PLAN_BUCKET, PLAN_BUCKET, 1)])
  return { deployments, hosts, plan }
}

/**
 * The mirrors that are ahead of their origin on the hub: a hub that returned with less than it had (its
 * store lost or restored from an older copy) restarts its sequences, and a JetStream mirror, which
 * follows sequence numbers, does not follow it. Returns one line per such mirror (empty: all is well).
 */
export async function mirrorsAheadOfHub(nc: NatsConnection, hubDomain: string, prefix = ''): Promise<string[]> {
  const local = await jetstreamManager(nc)
  const hub = await jetstreamManager(nc, { domain: hubDomain })
  const out: string[] = []
  for (const [mirror, origin] of [[SITE_DEPLOYMENTS_BUCKET, DEPLOYMENTS_BUCKET], [SITE_HOSTS_BUCKET, HOSTS_BUCKET], [SITE_PLAN_BUCKET, PLAN_BUCKET]] as const) {
    const [m, o] = await Promise.all([local.streams.info(`KV_${prefix}${mirror}`), hub.streams.info(`KV_${prefix}${origin}`).catch(() => undefined)])
    const hubSeq = o?.state.last_seq ?? 0
    if (hubSeq < m.state.last_seq) out.push(`${prefix}${origin} is at sequence ${hubSeq} on the hub, the site's mirror at ${m.state.last_seq}`)
  }
  return out
}

/** Something that is opened on the hub when first needed, and again after a failure (the link may be down now and up later). */
export class HubHandle<T> {
  private pending: Promise<T> | undefined
  constructor(private readonly openIt: () => Promise<T>) {}
  get(): Promise<T> {
    this.pending ??= this.openIt().catch((err) => {
      this.pending = undefined
      throw err
    })
    return this.pending
  }
}

/**
 * A site host's Store: deployments read from the site's mirror (so a host knows its functions' configs
 * and keys offline), everything else from the hub's store through the hub's domain, opened when first
 * needed. A site host has no admin API: nothing here writes deployments.
 */
export class SiteStore implements Store {
  private readonly hub: HubHandle<JetStreamStore>
  constructor(private readonly deployments: KV, nc: NatsConnection, private readonly site: string, private readonly hubDomain: string, prefix = '') {
    this.hub = new HubHandle(() => JetStreamStore.open(nc, { prefix, domain: hubDomain }))
  }
  private async onHub<T>(what: string, f: (s: JetStreamStore) => Promise<T>): Promise<T> {
    try {
      return await f(await this.hub.get())
    } catch (err) {
      throw hubUnavailable(this.site, this.hubDomain, what, err)
    }
  }
  getArtifact(digest: string): Promise<Artifact | undefined> {
    return this.onHub(`artifact ${digest}`, (s) => s.getArtifact(digest))
  }
  async getDeployment(name: string): Promise<Deployment | undefined> {
    if (!FUNCTION_NAME_PATTERN.test(name)) return undefined
    const e = await this.deployments.get(name)
    return e && e.operation === 'PUT' ? e.json<Deployment>() : undefined
  }
  async listDeployments(): Promise<Deployment[]> {
    const names: string[] = []
    for await (const k of await this.deployments.keys()) if (FUNCTION_NAME_PATTERN.test(k)) names.push(k)
    const all = await Promise.all(names.map((n) => this.getDeployment(n)))
    return all.filter((d): d is Deployment => d !== undefined).sort((a, b) => a.name.localeCompare(b.name))
  }
  appendLogs(name: string, records: LogRecord[]): Promise<void> {
    return this.onHub('log lines', (s) => s.appendLogs(name, records))
  }
  readLogs(name: string, limit: number): Promise<LogRecord[]> {
    return this.onHub('log lines', (s) => s.readLogs(name, limit))
  }
  listArtifacts(): Promise<string[]> {
    return this.onHub('the artifact list', (s) => s.listArtifacts())
  }
  private readOnly(): never {
    throw new JaegisError('NOT_FOUND', 'a site host has no admin API: deploy through a control plane (jaegis control)')
  }
  putArtifact(): Promise<void> {
    this.readOnly()
  }
  deleteArtifact(): Promise<void> {
    this.readOnly()
  }
  putDeployment(): Promise<void> {
    this.readOnly()
  }
  deleteDeployment(): Promise<boolean> {
    this.readOnly()
  }
  async close(): Promise<void> {}
}

/**
 * A site host's metrics buffer: one record per interval in which it ran something, published to the
 * site's stream with a message id (JetStream drops a repeated id), kept in memory until the leaf took
 * it. The hub sources the stream when the link is up; control planes apply each record once.
 */
export class SiteMetricsBuffer {
  private readonly unsent: SiteMetricsRecord[] = []
  private seq = 0
  private fromMs = Date.now()
  private readonly startedAtMs = Date.now()
  private sending = false
  /** Records the leaf accepted. */
  published = 0

  private constructor(private readonly nc: NatsConnection, private readonly site: string, private readonly host: string, private readonly prefix: string) {}

  /** Creates (or binds to) the site's metrics stream in the site's domain. */
  static async open(nc: NatsConnection, site: string, host: string, prefix = ''): Promise<SiteMetricsBuffer> {
    const jsm = await jetstreamManager(nc)
    const name = prefix.replace(/[^A-Za-z0-9_-]/g, '_') + siteMetricsStream(site)
    const config = { subjects: [prefix + siteMetricsSubject(site, '*')], max_bytes: SITE_METRICS_MAX_BYTES, max_age: SITE_METRICS_MAX_AGE_MS * 1e6, duplicate_window: 120e9 }
    try {
      await jsm.streams.info(name)
    } catch {
      await jsm.streams.add({ name, ...config }).catch(async (err) => {
        if (!/already in use/i.test(String((err as Error).message))) throw err // another host of the site made it first
      })
    }
    return new SiteMetricsBuffer(nc, site, host, prefix)
  }

  /** Closes the interval: queues a record of `invocations` (if any) and sends what is queued. */
  record(invocations: Record<string, number>): void {
    const toMs = Date.now()
    if (Object.keys(invocations).length > 0) this.unsent.push({ host: this.host, site: this.site, startedAtMs: this.startedAtMs, seq: ++this.seq, fromMs: this.fromMs, toMs, invocations })
    this.fromMs = toMs
    void this.flush()
  }

  /** Records not yet accepted by the leaf (it was down). */
  get pending(): number {
    return this.unsent.length
  }

  async flush(): Promise<void> {
    if (this.sending) return
    this.sending = true
    const js = jetstream(this.nc)
    try {
      while (this.unsent.length > 0) {
        const r = this.unsent[0]!
        await js.publish(this.prefix + siteMetricsSubject(this.site, this.host), JSON.stringify(r), { msgID: siteMetricsMsgId(r), timeout: 2_000 })
        this.unsent.shift()
        this.published++
      }
    } catch {
      // The leaf is unreachable: kept, sent again (same id) with the next record.
    } finally {
      this.sending = false
    }
  }
}
