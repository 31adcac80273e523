// Leadership among control planes: a compare-and-set lease on one KV key. The leader rewrites the key
// every leaseMs/3 at the revision it wrote last; a standby that sees the revision unchanged for leaseMs
// (by its own clock: no clock comparison between machines) writes itself at that revision. JetStream's
// compare-and-set lets exactly one writer win; nothing else is voted on here.
import type { KV } from '@nats-io/kv'
import { LEADER_KEY } from '../jetstream/names.js'
import type { LeaseRecord } from './records.js'

export interface LeaseOptions {
  /** How long a silent leader keeps the lease, ms. @default 3000 */
  leaseMs?: number
  /** Told when this process starts or stops leading. */
  onChange?: (leading: boolean) => void
  onError?: (label: string, err: unknown) => void
}

export class LeaderLease {
  readonly leaseMs: number
  private leading = false
  /** Revision of the key as last seen, and when (local clock) it was first seen at that revision. */
  private seenRevision = -1
  private seenAtMs = 0
  /** The revision this process wrote last while leading. */
  private ownRevision = -1
  /** When this process last renewed successfully (local clock). */
  private renewedAtMs = 0
  private timer: NodeJS.Timeout | undefined
  private busy = false

  constructor(private readonly kv: KV, private readonly me: LeaseRecord, private readonly options: LeaseOptions = {}) {
    this.leaseMs = options.leaseMs ?? 3000
  }

  get isLeader(): boolean {
    return this.leading
  }

  start(): void {
    const tick = () => {
      if (this.busy) return
      this.busy = true
      this.step().catch((err) => this.options.onError?.('lease', err)).finally(() => (this.busy = false))
    }
    this.timer = setInterval(tick, Math.max(50, Math.floor(this.leaseMs / 6)))
    tick()
  }

  /** Stops renewing; when leading, deletes the key at its revision so a standby takes over at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    if (this.leading) {
      this.setLeading(false)
      await this.kv.delete(LEADER_KEY, { previousSeq: this.ownRevision }).catch(() => {})
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return
    this.leading = v
    this.options.onChange?.(v)
  }

  private async step(): Promise<void> {
    const now = Date.now()
    if (this.leading) {
      // Could not renew for a whole lease (NATS unreachable): someone else may lead by now.
      if (now - this.renewedAtMs > this.leaseMs) this.setLeading(false)
      else if (now - this.renewedAtMs < this.leaseMs / 3) return
    }
    const e = await this.kv.get(LEADER_KEY)
    const rev = e?.revision ?? 0
    if (rev !== this.seenRevision) {
      this.seenRevision = rev
      this.seenAtMs = now
    }
    const mine = e !== null && e.operation === 'PUT' && rev === this.ownRevision
    const vacant = e === null || e.operation !== 'PUT'
    const lapsed = now - this.seenAtMs >= this.leaseMs
    if (!mine && !vacant && !lapsed) {
      this.setLeading(false)
      return
    }
    try {
      const data = JSON.stringify(this.me)
      const next = e === null ? await this.kv.create(LEADER_KEY, data) : await this.kv.update(LEADER_KEY, data, rev)
      this.ownRevision = next
      this.seenRevision = next
      this.seenAtMs = now
      this.renewedAtMs = now
      this.setLeading(true)
    } catch {
      this.setLeading(false) // another control plane wrote first
    }
  }
}
