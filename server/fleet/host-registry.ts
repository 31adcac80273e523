// The control plane's view of the hosts: registrations from the hosts bucket, liveness from the
// heartbeat subject, and (on the leader) the reaper. Every control plane keeps it, so that a standby
// that takes over already knows the fleet. Names of subjects and buckets: ../jetstream/names.ts.
import type { NatsConnection, QueuedIterator, Subscription } from '@nats-io/nats-core'
import type { KV, KvWatchEntry } from '@nats-io/kv'
import { HEARTBEAT_WILDCARD, SUSPECT_SUBJECT, hostPingSubject } from '../jetstream/names.js'
import type { Heartbeat, HostRecord } from './records.js'
import { followKv } from '../jetstream/follow.js'

export interface HostState {
  record: HostRecord
  /** Local clock, ms. */
  lastSeenMs: number
  hb?: Heartbeat
}

export interface HostRegistryOptions {
  prefix: string
  /** The hosts' heartbeat interval; silent for 3 of them, a host is checked and reaped. */
  heartbeatMs: number
  /** Only the leader reaps. */
  isLeader(): boolean
  /** A host joined, left or was lost: the leader re-plans. */
  onChange(reason: string, causeAtMs: number): void
  onError(label: string, err: unknown): void
}

export class HostRegistry {
  readonly hosts = new Map<string, HostState>()
  private hbSub: Subscription | undefined
  private suspectSub: Subscription | undefined
  private hostsWatch: QueuedIterator<KvWatchEntry> | undefined
  private reaper: NodeJS.Timeout | undefined
  private closed = false

  constructor(private readonly nc: NatsConnection, private readonly hostsKv: KV, private readonly o: HostRegistryOptions) {}

  /** Every known host gets a full reap interval from now (a new leader, a reconnect). */
  forgive(): void {
    const now = Date.now()
    for (const h of this.hosts.values()) h.lastSeenMs = Math.max(h.lastSeenMs, now)
  }

  stop(): void {
    this.closed = true
    clearInterval(this.reaper)
    this.hbSub?.unsubscribe()
    this.suspectSub?.unsubscribe()
    this.hostsWatch?.stop()
  }

  async start(): Promise<void> {
    const { nc, hostsKv, hosts } = this
    const { prefix, heartbeatMs, onError } = this.o
    const reapAfterMs = 3 * heartbeatMs
    const schedule = (reason: string, at: number) => this.o.onChange(reason, at)
    const isLeader = () => this.o.isLeader()
    // Heartbeats: a plain subject. One JSON decode and a map write each; no JetStream involved.
    this.hbSub = nc.subscribe(prefix + HEARTBEAT_WILDCARD, {
      callback: (err, msg) => {
        if (err) return
        let hb: Heartbeat
        try {
          hb = msg.json<Heartbeat>()
        } catch {
          return
        }
        const h = hosts.get(hb.id)
        if (!h) return adopt(hb) // registered while we were not watching, or a reap that did not reach the bucket
        h.lastSeenMs = Date.now()
        h.hb = hb
      },
    })

    /** A heartbeat from a host not in the registry: read its registration (at most once a second per host). */
    const adopting = new Map<string, number>()
    const adopt = (hb: Heartbeat) => {
      const now = Date.now()
      if ((adopting.get(hb.id) ?? 0) > now - 1000) return
      adopting.set(hb.id, now)
      hostsKv.get(hb.id).then((e) => {
        if (!e || e.operation !== 'PUT' || hosts.has(hb.id)) return
        const record = e.json<HostRecord>()
        hosts.set(record.id, { record, lastSeenMs: Date.now(), hb })
        schedule(`host ${record.id} joined`, Date.now())
      }, () => {})
    }

    // Registrations: the hosts bucket. A put is a join; a delete (the reaper's) a loss.
    const hostsWatch = (this.hostsWatch = await hostsKv.watch())
    followKv<HostRecord>(hostsWatch, 'hosts-watch', {
      put(record) {
        const had = hosts.get(record.id)
        hosts.set(record.id, { record, lastSeenMs: Date.now(), ...(had?.hb ? { hb: had.hb } : {}) })
        if (!had || had.record.startedAtMs !== record.startedAtMs) schedule(`host ${record.id} joined`, Date.now())
      },
      delete(key) {
        if (hosts.delete(key)) schedule(`host ${key} left`, Date.now())
      },
    }, onError, () => this.closed)

    // The reaper (leader only): a host silent for reapAfterMs is deleted from the bucket and re-planned around.
    const reap = async (hostId: string, why: string) => {
      const h = hosts.get(hostId)
      if (!h) return
      hosts.delete(hostId)
      const at = Date.now()
      try {
        await hostsKv.delete(hostId)
      } catch (err) {
        if (!hosts.has(hostId)) hosts.set(hostId, { ...h, lastSeenMs: Date.now() }) // judged again later
        onError('reap', err)
        return
      }
      schedule(`host ${hostId} lost (${why})`, at)
    }
    // While this process is cut off from NATS, heartbeats cannot arrive: no host is judged until it is
    // back and every host has had a full reap interval to be heard again.
    let connected = true
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect') connected = false
        else if (st.type === 'reconnect') {
          connected = true
          const now = Date.now()
          void now
        this.forgive()
        }
      }
    })().catch(() => {})
    // A silent host is asked once more on its ping subject before it is reaped: a host whose event loop
    // was starved for a few seconds answers (late) and stays; a dead one gets "no responders" from NATS.
    const confirming = new Set<string>()
    const confirmOrReap = (hostId: string, silentMs: number) => {
      if (confirming.has(hostId)) return
      confirming.add(hostId)
      nc.request(prefix + hostPingSubject(hostId), '', { timeout: Math.max(500, heartbeatMs) }).then(
        () => {
          const h = hosts.get(hostId)
          if (h) h.lastSeenMs = Date.now()
        },
        () => void reap(hostId, `no heartbeat for ${silentMs} ms`),
      ).finally(() => confirming.delete(hostId))
    }
    this.reaper = setInterval(() => {
      if (!isLeader() || !connected) return
      const now = Date.now()
      for (const [hid, h] of hosts) if (now - h.lastSeenMs > reapAfterMs) confirmOrReap(hid, now - h.lastSeenMs)
    }, Math.max(50, Math.floor(heartbeatMs / 4)))

    // A host that could not reach a peer says so; the leader checks with NATS whether anyone still
    // listens on that peer's subject ("no responders" is NATS's own answer) and reaps at once if not.
    this.suspectSub = nc.subscribe(prefix + SUSPECT_SUBJECT, {
      callback: (err, msg) => {
        if (err || !isLeader()) return
        const hostId = msg.string()
        if (!hosts.has(hostId)) return
        nc.request(prefix + hostPingSubject(hostId), '', { timeout: 500 }).then(
          () => {},
          (e) => void reap(hostId, /no responders|503/i.test(String((e as Error).message ?? e)) ? 'no responders on its subject' : 'ping timed out'),
        )
      },
    })
  }
}
