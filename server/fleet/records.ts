// What travels between hosts and the control plane, as plain data: a host's registration (KV), its
// heartbeat (a core-NATS message) and the placement plan (KV). Names of buckets and subjects are in
// ../jetstream/names.ts.
import type { Tier } from '@jaegis/scheduler'

/** A host's registration, in the hosts bucket under its id. Written by the host; deleted by the reaper. */
export interface HostRecord {
  id: string
  tier: Tier
  region: string
  labels: string[]
  memoryMb: number
  /** Where its gateway listens; other hosts forward invocations here. */
  url: string
  startedAtMs: number
  /** The edge site (leaf node) the host belongs to; absent for a host on the hub. */
  site?: string
}

/** Every `heartbeatMs` on jaegis.hb.<id>: load and what the host holds, for the placer and the reaper. */
export interface Heartbeat {
  id: string
  /** Increases by one per heartbeat of this host process. */
  seq: number
  sentAtMs: number
  /** Requests in flight on the gateway. */
  inflight: number
  /** Free memory the host offers functions, MiB (its --memory-mb minus what its loaded functions take). */
  freeMemoryMb: number
  /** Function -> digest it serves now. */
  loaded: Record<string, string>
  /** Function -> warm instances ready (the autoscaler's pools on this host). */
  warm: Record<string, number>
  /** Function -> invocations received at this host since the previous heartbeat (its region's demand). */
  demand: Record<string, number>
}

/** One function in the plan: the version to serve and the hosts that serve it. */
export interface PlannedFunction {
  digest: string
  version: number
  /** Host ids, best first. */
  hosts: string[]
}

/** The leader's placement, in the plan bucket: each host loads what names it and drops the rest. */
export interface ClusterPlan {
  /** Increases with every plan a leader publishes (a new leader continues from the last one). */
  epoch: number
  leader: string
  publishedAtMs: number
  /** Why this plan was made (deploy, host joined, host lost ...), for the logs and the benchmark. */
  reason: string
  /** When the event behind `reason` was noticed (e.g. a host reaped), ms since the epoch. */
  causeAtMs: number
  functions: Record<string, PlannedFunction>
  /**
   * The site hosts (hosts with a `site`) this plan was made with. A site host missing from it was not
   * registered when the plan was made (its site was offline and it was reaped): it keeps what it holds
   * instead of dropping it, following the deployments bucket for new versions and removals, until a
   * plan that includes it arrives. Absent when no host has a site.
   */
  siteHosts?: string[]
}

/** What a site host buffers in its site's JetStream every heartbeat interval it served something (docs/cluster.md, edge sites). */
export interface SiteMetricsRecord {
  host: string
  site: string
  /** The host process's start (ms) and a counter: the record's message id is `<host>-<startedAtMs>-<seq>`. */
  startedAtMs: number
  seq: number
  fromMs: number
  toMs: number
  /** Function -> invocations this host ran in [fromMs, toMs). */
  invocations: Record<string, number>
}

export const siteMetricsMsgId = (r: Pick<SiteMetricsRecord, 'host' | 'startedAtMs' | 'seq'>): string => `${r.host}-${r.startedAtMs}-${r.seq}`

/** The leader lease, in the control bucket under `leader`. */
export interface LeaseRecord {
  id: string
  /** The leader's admin URL. */
  url: string
  /** When this leader first took the lease. */
  sinceMs: number
}
