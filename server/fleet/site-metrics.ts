// The hub's side of the edge sites' metrics (docs/cluster.md, "Edge sites"): one stream in the hub's
// domain sources every site's metrics stream (JetStream stores and forwards them across the leaf links,
// and resumes where it stopped after an outage); each control plane reads it with a durable consumer of
// its own and acks a record only after applying it. A record seen before (same message id: a republish,
// a redelivery after a lost ack) is acked and not applied again: each record counts once.
import type { NatsConnection } from '@nats-io/nats-core'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream'
import { METRICS_STREAM, metricsConsumer, siteMetricsStream } from '../jetstream/names.js'
import { siteMetricsMsgId, type SiteMetricsRecord } from './records.js'

/** Message ids remembered for de-duplication (the oldest are forgotten first). */
const SEEN_IDS = 200_000
/** A control plane's consumer left unused this long is removed by the server, ns. */
const CONSUMER_INACTIVE_NS = 3600e9

export interface SiteMetricsIntakeOptions {
  controlId: string
  prefix?: string
  onError(label: string, err: unknown): void
}

export class SiteMetricsIntake {
  /** Site -> function -> invocations, from every record applied. */
  readonly invocations = new Map<string, Map<string, number>>()
  /** Records applied, and records dropped as already applied. */
  records = 0
  duplicates = 0
  private readonly seen = new Set<string>()
  /** Sites the stream sources: only ever grows (a site offline now still has records to send later). */
  private readonly sites = new Set<string>()
  private sourced = ''
  private consuming = false
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private messages: { close(): Promise<void | Error> } | undefined
  private readonly stream: string
  private readonly tokenPrefix: string

  constructor(private readonly nc: NatsConnection, private readonly o: SiteMetricsIntakeOptions) {
    this.tokenPrefix = (o.prefix ?? '').replace(/[^A-Za-z0-9_-]/g, '_')
    this.stream = this.tokenPrefix + METRICS_STREAM
  }

  /**
   * Makes the hub's stream source `sites` too (the leader calls it when registered hosts change). A
   * site is never dropped: one whose hosts were reaped because its link is down buffers records that
   * the stream must still collect when the link returns.
   */
  async sourceSites(sites: Iterable<string>): Promise<void> {
    for (const s of sites) this.sites.add(s)
    const list = [...this.sites].sort()
    const key = list.join(',')
    if (key === this.sourced || list.length === 0) return
    const jsm = await jetstreamManager(this.nc)
    const existing = await jsm.streams.info(this.stream).catch(() => undefined)
    // Sites another control plane made the stream source (a leader before this one) stay sourced.
    for (const src of existing?.config.sources ?? []) {
      const site = src.name.slice(this.tokenPrefix.length).replace(/^JAEGIS_METRICS_/, '')
      if (src.name === this.tokenPrefix + siteMetricsStream(site) && !this.sites.has(site)) {
        this.sites.add(site)
        list.push(site)
      }
    }
    list.sort()
    const config = { name: this.stream, sources: list.map((s) => ({ name: this.tokenPrefix + siteMetricsStream(s), domain: s })) }
    if (existing) await jsm.streams.update(this.stream, config)
    else await jsm.streams.add(config)
    this.sourced = list.join(',')
  }

  /** Starts applying records once the stream exists (retried every 2 s), and again after a failure. */
  start(): void {
    const tick = async () => {
      if (this.closed || this.consuming) return
      this.consuming = true
      try {
        await this.consume()
      } catch (err) {
        if (!/stream not found/i.test(String((err as Error).message))) this.o.onError('site-metrics', err)
      } finally {
        this.consuming = false
      }
    }
    this.timer = setInterval(() => void tick(), 2_000)
    this.timer.unref()
    void tick()
  }

  private async consume(): Promise<void> {
    const jsm = await jetstreamManager(this.nc)
    await jsm.streams.info(this.stream) // not yet made: no site registered yet
    const durable = metricsConsumer(this.o.controlId)
    await jsm.consumers.info(this.stream, durable).catch(() =>
      jsm.consumers.add(this.stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, inactive_threshold: CONSUMER_INACTIVE_NS }),
    )
    const consumer = await jetstream(this.nc).consumers.get(this.stream, durable)
    const messages = await consumer.consume({ max_messages: 256 })
    this.messages = messages
    for await (const m of messages) {
      let r: SiteMetricsRecord
      try {
        r = m.json<SiteMetricsRecord>()
      } catch {
        m.ack() // not a record of ours
        continue
      }
      this.apply(r)
      m.ack()
    }
  }

  /** Folds one record in, unless its id was applied before. Returns whether it was applied. */
  apply(r: SiteMetricsRecord): boolean {
    const id = siteMetricsMsgId(r)
    if (this.seen.has(id)) {
      this.duplicates++
      return false
    }
    this.seen.add(id)
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!)
    let m = this.invocations.get(r.site)
    if (!m) this.invocations.set(r.site, (m = new Map()))
    for (const [fn, n] of Object.entries(r.invocations ?? {})) if (Number.isFinite(n) && n > 0) m.set(fn, (m.get(fn) ?? 0) + n)
    this.records++
    return true
  }

  /** What the cluster view shows. */
  view(): { records: number; duplicates: number; invocations: Record<string, Record<string, number>> } {
    return { records: this.records, duplicates: this.duplicates, invocations: Object.fromEntries([...this.invocations].map(([s, m]) => [s, Object.fromEntries(m)])) }
  }

  close(): void {
    this.closed = true
    clearInterval(this.timer)
    void this.messages?.close()
  }
}
