// Every JetStream bucket, stream and NATS subject a Jaegis cluster uses: named here once, imported by
// the store, the control plane, the hosts, the simulated fleet and the docs' table (docs/cluster.md).

/** KV: function name -> Deployment JSON. Written with compare-and-set on the entry's revision. */
export const DEPLOYMENTS_BUCKET = 'jaegis-deployments'
/** Object store: artifact digest -> the artifact (meta, wasm, derived parts), verified on every read. */
export const ARTIFACTS_BUCKET = 'jaegis-artifacts'
/** Stream of function log lines, one subject per function, bounded per subject and in bytes. */
export const LOGS_STREAM = 'JAEGIS_LOGS'
export const logSubject = (name: string): string => `jaegis.logs.${name}`
/** Log lines kept per function (the oldest go first). */
export const LOG_LINES_PER_FUNCTION = 1000
/** Bytes the log stream keeps over all functions (the oldest lines go first). */
export const LOG_STREAM_MAX_BYTES = 256 * 1024 * 1024

/** KV: host id -> HostRecord (registration: tier, region, labels, memory, URL). Deleted by the reaper. */
export const HOSTS_BUCKET = 'jaegis-hosts'
/** KV: `leader` -> the control plane holding the lease (compare-and-set on revision). */
export const CONTROL_BUCKET = 'jaegis-control'
export const LEADER_KEY = 'leader'
/** KV: `current` -> the placement plan the leader published last (hosts read it at start and watch it). */
export const PLAN_BUCKET = 'jaegis-plan'
export const PLAN_KEY = 'current'

/**
 * Heartbeats: plain core-NATS messages, not KV writes, so that 10,000 hosts every 5 s cost the
 * control plane one decode per message and JetStream nothing. `jaegis.hb.<host id>`.
 */
export const HEARTBEAT_SUBJECT_PREFIX = 'jaegis.hb.'
export const HEARTBEAT_WILDCARD = 'jaegis.hb.*'
export const heartbeatSubject = (hostId: string): string => `${HEARTBEAT_SUBJECT_PREFIX}${hostId}`
/** A host that could not reach a peer publishes the peer's id here; the leader checks it at once. */
export const SUSPECT_SUBJECT = 'jaegis.suspect'
/**
 * Each host answers requests on its own ping subject. When the host is gone, NATS answers "no
 * responders" at once (the server knows nobody subscribes): the leader's fast liveness check.
 */
export const hostPingSubject = (hostId: string): string => `jaegis.host.${hostId}.ping`
/** Per-host request subject for invocations over NATS (measured against HTTP forwarding in bench:cluster). */
export const hostInvokeSubject = (hostId: string): string => `jaegis.host.${hostId}.invoke`

/**
 * A name that becomes one NATS subject token or a JetStream domain: letters, digits, '-' and '_'
 * (no '.', '*', '>', spaces). Host ids and site names follow it.
 */
export const SUBJECT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
export const SUBJECT_TOKEN_RULE = "1-64 letters, digits, '-' or '_'"
/** Host ids are subject tokens. */
export const HOST_ID_PATTERN = SUBJECT_TOKEN_PATTERN

// ---- Edge sites (docs/cluster.md, "Edge sites") ----
// A site is a NATS leaf node with its own JetStream domain (named after the site) connected to the hub.
// Names below live in the site's domain unless they say "hub". Site-side names differ from the hub's on
// purpose: a leaf's stream listening on a hub subject would also capture the hub's messages.

/** A site's name is its leaf node's JetStream domain, and a subject token. */
export const SITE_NAME_PATTERN = SUBJECT_TOKEN_PATTERN
/** The hub's JetStream domain, unless `--hub-domain` says otherwise. */
export const DEFAULT_HUB_DOMAIN = 'hub'
/** In a site's domain: mirrors of the hub's deployments, hosts and plan buckets (read by the site's hosts, offline too). */
export const SITE_DEPLOYMENTS_BUCKET = 'jaegis-site-deployments'
export const SITE_HOSTS_BUCKET = 'jaegis-site-hosts'
export const SITE_PLAN_BUCKET = 'jaegis-site-plan'
/** In a site's domain: the stream buffering its hosts' metrics records (one subject per host). */
export const siteMetricsStream = (site: string): string => `JAEGIS_METRICS_${site}`
export const siteMetricsSubject = (site: string, hostId: string): string => `jaegis.site.${site}.metrics.${hostId}`
/** Metrics records a site keeps for the hub, in bytes and age (an outage longer than this loses the oldest). */
export const SITE_METRICS_MAX_BYTES = 64 * 1024 * 1024
export const SITE_METRICS_MAX_AGE_MS = 24 * 3600_000
/** In the hub's domain: the stream that sources every site's metrics stream (store and forward by JetStream). */
export const METRICS_STREAM = 'JAEGIS_METRICS'
/** Each control plane's durable consumer on METRICS_STREAM, acked after a record is applied. */
export const metricsConsumer = (controlId: string): string => `jaegis-control-${controlId}`
